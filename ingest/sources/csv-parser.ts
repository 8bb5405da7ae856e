/**
 * A streaming RFC 4180 CSV parser over Buffers. It reports each record as field offsets into the
 * bytes it was given (no string, no array per row), with the physical line the record starts on.
 * Quoted fields may hold delimiters, newlines and doubled quotes; a record with doubled quotes is
 * copied once into a scratch buffer with the quotes undone. CRLF and a UTF-8 BOM are accepted.
 */
export interface CsvRowSink {
  /**
   * One record. `starts`/`ends` hold `stored` = min(count, capacity) fields; `count` is how many
   * the record really had. Offsets point into `buf` and are valid only during the call.
   */
  row(buf: Buffer, starts: Int32Array, ends: Int32Array, count: number, line: number, high: boolean, raw: Buffer, rawStart: number, rawEnd: number): void;
  /** A record that cannot be read (an unterminated quote at the end of the file). */
  bad(line: number, detail: string, raw: string): void;
}

export class CsvTooLongError extends Error {}

const LF = 10;
const CR = 13;
/** Bytes of a new chunk copied behind a cut record to finish it (longer records take the whole chunk). */
const STITCH_BYTES = 64 << 10;

export class CsvParser {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  #leftover: Buffer | undefined;
  #line = 1;
  #first = true;
  #scratch = Buffer.allocUnsafe(1 << 16);
  #work = Buffer.allocUnsafe(0);
  #spare = Buffer.allocUnsafe(1 << 16);
  #spareB = Buffer.allocUnsafe(1 << 16);

  constructor(
    readonly delimiter: number,
    readonly quote: number,
    readonly capacity: number,
    readonly sink: CsvRowSink,
    readonly maxRecordBytes = 64 << 20,
  ) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  /** Parses every complete record in `chunk` (plus what was left from the previous chunk). */
  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#leftover && !this.#first && chunk.length > STITCH_BYTES) {
      // The record cut by the previous chunk is finished in a small stitch buffer (its start plus the
      // head of this chunk); the rest of the chunk is parsed where it is, not copied.
      const left = this.#leftover;
      const need = left.length + STITCH_BYTES;
      if (this.#work.length < need) this.#work = Buffer.allocUnsafe(Math.max(need, this.#work.length * 2));
      left.copy(this.#work, 0);
      chunk.copy(this.#work, left.length, 0, STITCH_BYTES);
      const done = this.#parse(this.#work.subarray(0, need), false);
      if (done > left.length) {
        this.#leftover = undefined;
        data = chunk.subarray(done - left.length);
      }
      // else: a record longer than the stitch; the whole chunk is appended below
    }
    if (this.#leftover) {
      // Leftover + chunk in a reused work buffer (records are only read during the sink call).
      const need = this.#leftover.length + chunk.length;
      if (this.#work.length < need) this.#work = Buffer.allocUnsafe(Math.max(need, this.#work.length * 2));
      this.#leftover.copy(this.#work, 0);
      chunk.copy(this.#work, this.#leftover.length);
      data = this.#work.subarray(0, need);
      this.#leftover = undefined;
    }
    if (this.#first) {
      if (data.length < 3 && data.length > 0 && data[0] === 0xef) {
        this.#leftover = data;
        return;
      }
      this.#first = false;
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    }
    const consumed = this.#parse(data, false);
    if (consumed < data.length) {
      if (data.length - consumed > this.maxRecordBytes) {
        throw new CsvTooLongError(`line ${this.#line}: a record is longer than ${this.maxRecordBytes} bytes (an unbalanced quote?)`);
      }
      // Copied out: the work buffer is overwritten by the next push.
      const rest = data.length - consumed;
      if (this.#spare.length < rest) this.#spare = Buffer.allocUnsafe(Math.max(rest, this.#spare.length * 2));
      data.copy(this.#spare, 0, consumed);
      this.#leftover = this.#spare.subarray(0, rest);
      const t = this.#spare;
      this.#spare = this.#spareB;
      this.#spareB = t;
    }
  }

  /** Parses the last record when the file does not end with a newline. */
  finish(): void {
    const data = this.#leftover;
    this.#leftover = undefined;
    if (data && data.length > 0) this.#parse(data, true);
  }

  /** Returns the offset just past the last complete record. */
  #parse(data: Buffer, final: boolean): number {
    const D = this.delimiter;
    const Q = this.quote;
    const len = data.length;
    const starts = this.starts;
    const ends = this.ends;
    const cap = this.capacity;
    let pos = 0;
    records: while (pos < len) {
      const rowStart = pos;
      let f = 0;
      let high = false;
      let escapes = false;
      let newlines = 0;
      for (;;) {
        let s: number;
        let e: number;
        let c = -1;
        if (pos < len && data[pos] === Q) {
          // Quoted field.
          pos++;
          s = pos;
          for (;;) {
            while (pos < len) {
              const b = data[pos];
              if (b === Q) break;
              if (b === LF) newlines++;
              else if (b >= 0x80) high = true;
              pos++;
            }
            if (pos >= len) {
              if (!final) return rowStart;
              this.sink.bad(this.#line, 'a quoted field is not closed before the end of the file', data.toString('utf8', rowStart, Math.min(len, rowStart + 200)));
              this.#line += newlines + 1;
              return len;
            }
            // data[pos] is a quote: doubled (escape) or closing.
            if (pos + 1 < len && data[pos + 1] === Q) {
              escapes = true;
              pos += 2;
              continue;
            }
            if (pos + 1 >= len && !final) return rowStart;
            e = pos;
            pos++;
            break;
          }
          // Text after the closing quote up to the delimiter is kept (lenient, like most readers):
          // the slow path rebuilds such a field.
          while (pos < len) {
            c = data[pos];
            if (c === D || c === LF) break;
            if (c !== CR) escapes = true;
            pos++;
          }
          if (pos >= len) {
            if (!final) return rowStart;
            c = -1;
          }
        } else {
          s = pos;
          while (pos < len) {
            c = data[pos];
            if (c === D || c === LF) break;
            if (c >= 0x80) high = true;
            pos++;
          }
          if (pos >= len) {
            if (!final) return rowStart;
            c = -1;
          }
          e = pos;
          if (e > s && data[e - 1] === CR && c !== D) e--;
        }
        if (f < cap) {
          starts[f] = s;
          ends[f] = e;
        }
        f++;
        if (c === D) {
          pos++;
          continue;
        }
        // End of record (newline or end of the final data).
        if (c === LF) pos++;
        const line = this.#line;
        this.#line += newlines + 1;
        if (f === 1 && ends[0] === starts[0] && data[rowStart] !== Q) continue records; // blank line
        if (escapes) this.#emitUnescaped(data, rowStart, pos, line, high);
        else this.sink.row(data, starts, ends, f, line, high, data, rowStart, pos);
        continue records;
      }
    }
    return pos;
  }

  /** Slow path for records with doubled quotes: re-reads the record into scratch with quotes undone. */
  #emitUnescaped(data: Buffer, from: number, to: number, line: number, high: boolean): void {
    if (this.#scratch.length < to - from) this.#scratch = Buffer.allocUnsafe((to - from) * 2);
    const out = this.#scratch;
    const D = this.delimiter;
    const Q = this.quote;
    const cap = this.capacity;
    let w = 0;
    let f = 0;
    let i = from;
    let end = to;
    if (end > from && data[end - 1] === LF) end--;
    if (end > from && data[end - 1] === CR) end--;
    for (;;) {
      const s = w;
      if (i < end && data[i] === Q) {
        i++;
        while (i < end) {
          if (data[i] === Q) {
            if (i + 1 < end && data[i + 1] === Q) {
              out[w++] = Q;
              i += 2;
              continue;
            }
            i++;
            break;
          }
          out[w++] = data[i++];
        }
        while (i < end && data[i] !== D) out[w++] = data[i++];
      } else {
        while (i < end && data[i] !== D) out[w++] = data[i++];
      }
      if (f < cap) {
        this.starts[f] = s;
        this.ends[f] = w;
      }
      f++;
      if (i < end && data[i] === D) {
        i++;
        continue;
      }
      break;
    }
    this.sink.row(out, this.starts, this.ends, f, line, high, data, from, to);
  }
}
