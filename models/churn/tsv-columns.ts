/**
 * Reads a TabSeparated answer of the shape `key String, n numeric columns` straight into typed
 * columns. The feature query answers a million rows of ~40 numbers; JSONCompactEachRow through
 * the client's row objects cost one string, one JSON.parse and ~40 boxed values per row (about a
 * fifth of the feature phase's CPU). Here each line is cut at its tabs in the raw bytes.
 *
 * Values read exactly as the JSON path read them: the engine writes a Float64 with the same
 * shortest round-trip text in both formats, and Number() of that text is the double JSON.parse
 * gives. What JSON wrote as null reads as NaN: `\N` (NULL) and the non-finite `nan`/`inf` (which
 * JSON output writes as null too).
 */

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;
const MINUS = 45;
const ZERO = 48;

const UNESCAPE: Readonly<Record<string, string>> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', '0': '\0', "'": "'", '\\': '\\', a: '\x07', v: '\v', e: '\x1b' };

export interface TsvColumns {
  keys: string[];
  columns: Float64Array[];
}

/** One numeric field of bytes [a, b): exact for integers (the common case) and any float text. */
function numberAt(buf: Buffer, a: number, b: number): number {
  let i = a;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  // Integers of up to 15 digits are exact in a double: summed digit by digit, no string made.
  if (b - i > 0 && b - i <= 15) {
    let v = 0;
    let k = i;
    for (; k < b; k++) {
      const d = buf[k] - ZERO;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (k === b) return negative ? -v : v;
  }
  if (buf[a] === BACKSLASH) return NaN; // \N
  const v = Number(buf.toString('latin1', a, b));
  // nan, inf, -inf (JSON output: null) and anything that is not a number at all.
  return Number.isFinite(v) ? v : NaN;
}

function keyAt(buf: Buffer, a: number, b: number): string {
  const s = buf.toString('utf8', a, b);
  return s.includes('\\') ? s.replace(/\\(.)/gs, (_, c: string) => UNESCAPE[c] ?? c) : s;
}

/** Parses TabSeparated lines of `key, nCols numbers`, chunk by chunk (lines may span chunks). */
export class TsvColumnReader {
  readonly #nCols: number;
  readonly #keys: string[] = [];
  #columns: Float64Array[];
  #rows = 0;
  #rest: Buffer | null = null;

  #skip: number;

  /** `headerLines`: lines at the start of the answer that are not rows (TabSeparatedWithNames: 1). */
  constructor(nCols: number, capacity = 1024, headerLines = 0) {
    this.#nCols = nCols;
    this.#skip = headerLines;
    this.#columns = Array.from({ length: nCols }, () => new Float64Array(Math.max(16, capacity)));
  }

  get rows(): number {
    return this.#rows;
  }

  push(chunk: Buffer): void {
    while (this.#skip > 0) {
      const line = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
      const eol = line.indexOf(NEWLINE);
      if (eol < 0) {
        this.#rest = line;
        return;
      }
      this.#skip--;
      this.#rest = null;
      chunk = line.subarray(eol + 1);
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.#rest = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
      return;
    }
    const buf = this.#rest ? Buffer.concat([this.#rest, chunk.subarray(0, last + 1)]) : chunk.subarray(0, last + 1);
    this.#rest = last + 1 < chunk.length ? chunk.subarray(last + 1) : null;
    this.#lines(buf);
  }

  /**
   * The complete rows read so far, handed over: the reader starts again empty (a partial line
   * stays for the next chunk). Lets a caller work on a block while the rest of the answer streams.
   */
  take(): TsvColumns {
    const out = { keys: this.#keys.splice(0), columns: this.#columns.map((c) => c.slice(0, this.#rows)) };
    this.#rows = 0;
    return out;
  }

  finish(): TsvColumns {
    if (this.#skip > 0) this.#rest = null; // an answer that ended inside its header has no rows
    if (this.#rest && this.#rest.length > 0) this.#lines(Buffer.concat([this.#rest, Buffer.from('\n')]));
    this.#rest = null;
    return { keys: this.#keys, columns: this.#columns.map((c) => c.slice(0, this.#rows)) };
  }

  #grow(): void {
    this.#columns = this.#columns.map((c) => {
      const bigger = new Float64Array(c.length * 2);
      bigger.set(c);
      return bigger;
    });
  }

  /** Every line of buf, which ends with a newline. */
  #lines(buf: Buffer): void {
    const n = this.#nCols;
    let start = 0;
    while (start < buf.length) {
      const end = buf.indexOf(NEWLINE, start);
      if (this.#rows === this.#columns[0].length) this.#grow();
      const row = this.#rows;
      let a = start;
      let tab = buf.indexOf(TAB, a);
      if (tab < 0 || tab > end) throw this.#bad(buf, start, end, 1);
      this.#keys.push(keyAt(buf, a, tab));
      for (let j = 0; j < n; j++) {
        a = tab + 1;
        if (j + 1 < n) {
          tab = buf.indexOf(TAB, a);
          if (tab < 0 || tab > end) throw this.#bad(buf, start, end, j + 2);
        } else {
          const extra = buf.indexOf(TAB, a);
          // A tab inside the last field: more fields than asked for.
          if (extra !== -1 && extra < end) throw this.#bad(buf, start, end, n + 2);
          tab = end;
        }
        this.#columns[j][row] = numberAt(buf, a, tab);
      }
      this.#rows++;
      start = end + 1;
    }
  }

  #bad(buf: Buffer, start: number, end: number, fields: number): Error {
    const line = buf.toString('utf8', start, Math.min(end, start + 300));
    return new Error(`feature answer line ${this.#rows + 1} has ${fields} field${fields === 1 ? '' : 's'} where ${this.#nCols + 1} were expected: ${JSON.stringify(line)}`);
  }
}
