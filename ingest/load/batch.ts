import { OutBuffer } from './out-buffer.ts';

export interface RejectRow {
  line: number;
  recordId: string;
  field: string;
  reason: string;
  raw: string;
  /** A return/credit line (a negative quantity, amount or unit price): counted apart in the summary. */
  credit?: boolean;
}

/**
 * One insert's worth of encoded rows plus what the writer needs to decide, per row, whether to
 * write it: offsets of the key columns and of customer_id in the payload, the row hash, version and
 * the movable sort date. Typed arrays, no object per row.
 */
export class Batch {
  readonly out: OutBuffer;
  rows = 0;
  /** Input rows seen (loaded or rejected), header excluded. */
  read = 0;
  /** Input bytes consumed up to the end of this batch (for progress). */
  bytesRead = 0;
  rowStart: Int32Array;
  hash: Float64Array;
  version: Float64Array;
  /** Input line (or record position) of each row: duplicate ids in one input are reported by line. */
  line: Int32Array;
  sortDate: Float64Array;
  /** Offset of the 14 customer_id bytes in `out`, or -1. */
  custOff: Int32Array;
  /** -1: id known; ≥ 0: index into `pendingRefs`; -2: fast path, see refTag/refStart/refEnd. */
  pendingRef: Int32Array;
  /** Fast path: source tag and the customer_ref bytes in `out` of rows still waiting for an id. */
  refTag: Int32Array;
  refStart: Int32Array;
  refEnd: Int32Array;
  pendingCount = 0;
  /** Per row and key column: start and end offsets in `out`. */
  keyOff: Int32Array;
  readonly pendingRefs: { source: string; ref: string }[] = [];
  readonly pendingRefIndex = new Map<string, number>();
  readonly rejects: RejectRow[] = [];

  constructor(
    readonly keyCount: number,
    capacity: number,
    outBytes: number,
  ) {
    this.out = new OutBuffer(outBytes);
    this.rowStart = new Int32Array(capacity + 1);
    this.hash = new Float64Array(capacity);
    this.version = new Float64Array(capacity);
    this.line = new Int32Array(capacity);
    this.sortDate = new Float64Array(capacity);
    this.custOff = new Int32Array(capacity);
    this.pendingRef = new Int32Array(capacity);
    this.refTag = new Int32Array(capacity);
    this.refStart = new Int32Array(capacity);
    this.refEnd = new Int32Array(capacity);
    this.keyOff = new Int32Array(capacity * keyCount * 2);
  }

  /** Makes room for one more row; called before a row is encoded. */
  ensureRow(): void {
    if (this.rows < this.hash.length) return;
    const n = this.hash.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, size: number): T => {
      const next = new (a.constructor as new (n: number) => T)(size);
      next.set(a);
      return next;
    };
    this.rowStart = grow(this.rowStart, n + 1);
    this.hash = grow(this.hash, n);
    this.version = grow(this.version, n);
    this.line = grow(this.line, n);
    this.sortDate = grow(this.sortDate, n);
    this.custOff = grow(this.custOff, n);
    this.pendingRef = grow(this.pendingRef, n);
    this.refTag = grow(this.refTag, n);
    this.refStart = grow(this.refStart, n);
    this.refEnd = grow(this.refEnd, n);
    this.keyOff = grow(this.keyOff, n * this.keyCount * 2);
  }

  /** Registers a customer ref whose id must be looked up before the batch is written. */
  pending(source: string, ref: string): number {
    const k = `${source}\u001f${ref}`;
    let i = this.pendingRefIndex.get(k);
    if (i === undefined) {
      i = this.pendingRefs.length;
      this.pendingRefs.push({ source, ref });
      this.pendingRefIndex.set(k, i);
    }
    return i;
  }

  /** Payload bytes of row r (including its newline). */
  rowEnd(r: number): number {
    return r + 1 < this.rows ? this.rowStart[r + 1] : this.out.pos;
  }

  /** Text of key column k of row r, TSV escapes undone. */
  keyText(r: number, k: number): string {
    const i = (r * this.keyCount + k) * 2;
    return tsvUnescape(this.out.buf, this.keyOff[i], this.keyOff[i + 1]);
  }

  /** All key columns of row r joined by \x1f (a map key). */
  keyString(r: number): string {
    let s = this.keyText(r, 0);
    for (let k = 1; k < this.keyCount; k++) s += `\u001f${this.keyText(r, k)}`;
    return s;
  }

  customerId(r: number): string {
    const o = this.custOff[r];
    return o < 0 ? '' : this.out.buf.toString('latin1', o, o + 14);
  }
}

export function tsvUnescape(b: Buffer, s: number, e: number): string {
  const text = b.toString('utf8', s, e);
  if (!text.includes('\\')) return text;
  return text.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === '0' ? '\0' : c));
}
