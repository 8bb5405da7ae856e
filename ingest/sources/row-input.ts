import { showBytes } from '../core/reasons.ts';

const EMPTY = Buffer.alloc(0);

/**
 * The current input row as every reader hands it on: one byte range per canonical field
 * (start -1: no value). Readers refill one instance row after row, so reading makes no object per row.
 */
export class RowInput {
  readonly bufs: Buffer[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  line = 0;
  /** Some byte ≥ 0x80 in the row: fields are checked for valid UTF-8. */
  high = false;
  /** The row as read, for rejects. */
  rawBuf: Buffer = EMPTY;
  rawStart = 0;
  rawEnd = 0;
  rawText: string | undefined;
  /** Values whose JSON type the field cannot take (objects, arrays, booleans as numbers): rejects. */
  readonly typeProblems: { field: number; detail: string }[] = [];

  constructor(readonly fieldCount: number) {
    this.bufs = new Array<Buffer>(fieldCount).fill(EMPTY);
    this.start = new Int32Array(fieldCount).fill(-1);
    this.end = new Int32Array(fieldCount);
  }

  raw(): string {
    if (this.rawText !== undefined) return this.rawText;
    let e = this.rawEnd;
    while (e > this.rawStart && (this.rawBuf[e - 1] === 10 || this.rawBuf[e - 1] === 13)) e--;
    return showBytes(this.rawBuf, this.rawStart, Math.min(e, this.rawStart + 4000));
  }
}
