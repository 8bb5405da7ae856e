import { CsvTooLongError, type CsvRowSink } from './csv-parser.ts';

/**
 * A streaming parser for the dialects the one-byte fast path (csv-parser.ts) does not take: fields
 * separated by a string of several bytes (`||`, `; `, `¦`), or by runs of spaces and tabs with
 * leading and trailing whitespace on a line ignored (the CDNOW purchase log and other
 * fixed-width-looking exports). Quotes are honoured the RFC 4180 way in both (a quoted field may
 * hold separators, newlines and doubled quotes). CRLF, a UTF-8 BOM, blank lines and a last line
 * without a newline are accepted.
 *
 * Each record's fields are copied into a scratch buffer (quotes undone) and reported like the fast
 * parser reports them, so the readers do not care which parser ran. Kept apart from the fast
 * parser so that the common one-byte case pays nothing for these dialects.
 */
export type Separator = Buffer | 'whitespace';

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

export class SeparatedParser {
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  #leftover: Buffer | undefined;
  #line = 1;
  #first = true;
  #out = Buffer.allocUnsafe(1 << 16);
  readonly #ws: boolean;
  readonly #sep: Buffer;

  constructor(
    separator: Separator,
    readonly quote: number,
    readonly sink: CsvRowSink,
    readonly maxRecordBytes = 64 << 20,
  ) {
    this.#ws = separator === 'whitespace';
    this.#sep = separator === 'whitespace' ? Buffer.alloc(0) : separator;
    if (!this.#ws && this.#sep.length === 0) throw new Error('SeparatedParser: empty separator');
  }

  push(chunk: Buffer): void {
    let data = this.#leftover ? Buffer.concat([this.#leftover, chunk]) : chunk;
    this.#leftover = undefined;
    if (this.#first) {
      if (data.length < 3 && data[0] === 0xef) {
        this.#leftover = Buffer.from(data);
        return;
      }
      this.#first = false;
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    }
    const consumed = this.#parse(data, false);
    if (consumed < data.length) {
      if (data.length - consumed > this.maxRecordBytes) {
        throw new CsvTooLongError(
          `line ${this.#line}: a record is longer than ${this.maxRecordBytes} bytes (an unbalanced quote?)`,
        );
      }
      // Copied: `chunk` may be reused by the caller.
      this.#leftover = Buffer.from(data.subarray(consumed));
    }
  }

  finish(): void {
    const data = this.#leftover;
    this.#leftover = undefined;
    if (data && data.length > 0) this.#parse(data, true);
  }

  /** Is `pos` the start of a separator? Returns its length (a whitespace run's whole length), else 0. */
  #separatorAt(data: Buffer, pos: number, len: number): number {
    if (this.#ws) {
      let p = pos;
      while (p < len && (data[p] === SP || data[p] === TAB)) p++;
      return p - pos;
    }
    const sep = this.#sep;
    if (data[pos] !== sep[0] || pos + sep.length > len) return 0;
    for (let i = 1; i < sep.length; i++) if (data[pos + i] !== sep[i]) return 0;
    return sep.length;
  }

  #ensureOut(need: number): void {
    if (this.#out.length < need) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.#out.length * 2));
      this.#out.copy(bigger);
      this.#out = bigger;
    }
  }

  #setField(f: number, s: number, e: number): void {
    if (f >= this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      const ends = new Int32Array(this.ends.length * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[f] = s;
    this.ends[f] = e;
  }

  /** Returns the offset just past the last complete record. */
  #parse(data: Buffer, final: boolean): number {
    const Q = this.quote;
    const len = data.length;
    let pos = 0;
    records: while (pos < len) {
      const rowStart = pos;
      // A record's fields never take more room than the record itself.
      let lineEnd = data.indexOf(LF, pos);
      if (lineEnd < 0) lineEnd = len;
      this.#ensureOut(lineEnd - pos + 1);
      let w = 0;
      let f = 0;
      let high = false;
      let newlines = 0;
      let quotedAny = false;
      if (this.#ws) while (pos < len && (data[pos] === SP || data[pos] === TAB)) pos++;
      for (;;) {
        const s = w;
        let ended = false; // the record ends after this field
        if (pos < len && data[pos] === Q) {
          quotedAny = true;
          pos++;
          for (;;) {
            if (pos >= len) {
              if (!final) return rowStart;
              this.sink.bad(
                this.#line,
                'a quoted field is not closed before the end of the file',
                data.toString('utf8', rowStart, Math.min(len, rowStart + 200)),
              );
              this.#line += newlines + 1;
              return len;
            }
            const b = data[pos];
            if (b === Q) {
              if (pos + 1 >= len && !final) return rowStart;
              if (data[pos + 1] === Q) {
                this.#ensureOut(w + 1);
                this.#out[w++] = Q;
                pos += 2;
                continue;
              }
              pos++;
              break;
            }
            if (b === LF) newlines++;
            else if (b >= 0x80) high = true;
            this.#ensureOut(w + 1);
            this.#out[w++] = b;
            pos++;
          }
        }
        // Unquoted text (or what follows a closing quote, kept as most readers keep it) up to a separator or the line's end.
        let sepLen = 0;
        while (pos < len) {
          const b = data[pos];
          if (b === LF) break;
          if (b === CR && (pos + 1 < len ? data[pos + 1] === LF : final)) break;
          if (b === CR && pos + 1 >= len) return rowStart; // CR at the chunk's end: is an LF next?
          sepLen = this.#separatorAt(data, pos, len);
          if (sepLen > 0) break;
          if (b >= 0x80) high = true;
          this.#ensureOut(w + 1);
          this.#out[w++] = b;
          pos++;
        }
        if (pos >= len && !final) return rowStart;
        if (sepLen > 0) {
          pos += sepLen;
          if (this.#ws) {
            // Trailing whitespace: the record ends here, no empty last field.
            if (pos >= len) {
              if (!final) return rowStart;
              ended = true;
            } else if (data[pos] === LF || (data[pos] === CR && (pos + 1 < len ? data[pos + 1] === LF : final)))
              ended = true;
            else if (data[pos] === CR && pos + 1 >= len) return rowStart;
          }
        } else ended = true;
        this.#setField(f++, s, w);
        if (!ended) continue;
        // End of the record: skip CR and LF.
        if (pos < len && data[pos] === CR) pos++;
        if (pos < len && data[pos] === LF) pos++;
        const line = this.#line;
        this.#line += newlines + 1;
        if (f === 1 && w === 0 && !quotedAny) continue records; // blank line
        this.sink.row(this.#out, this.starts, this.ends, f, line, high, data, rowStart, pos);
        continue records;
      }
    }
    return pos;
  }
}
