/**
 * Cuts an INSERT body into pieces that each parse on their own, so a body of hundreds of MB is
 * inserted a bounded piece at a time instead of being held whole. A piece ends on a record
 * boundary; header rows (`...WithNames`) are repeated at the top of every piece.
 */

export type ChunkMode =
  /** Rows end at every raw newline: the format escapes newlines inside values. */
  | { kind: 'lines'; headerRows: number; objectRows: boolean }
  /** Rows end at newlines outside double quotes (RFC 4180 allows raw newlines inside quotes). */
  | { kind: 'csv'; headerRows: number }
  /** Binary or free-form formats: inserted in one piece. */
  | { kind: 'whole' };

const LINE_FORMATS = new Set([
  'tabseparated', 'tsv', 'tabseparatedraw', 'tsvraw', 'raw', 'lineasstring',
  'jsoncompacteachrow', 'jsoncompactstringseachrow',
]);
const OBJECT_ROW_FORMATS = new Set(['jsoneachrow', 'jsonlines', 'ndjson', 'jsonstringseachrow']);
const CSV_FORMATS = new Set(['csv']);

export function chunkModeFor(format: string): ChunkMode {
  const name = format.toLowerCase();
  const suffix = /(withnamesandtypes|withnames)$/.exec(name);
  const base = suffix ? name.slice(0, -suffix[1].length) : name;
  const headerRows = !suffix ? 0 : suffix[1] === 'withnames' ? 1 : 2;
  if (LINE_FORMATS.has(base)) return { kind: 'lines', headerRows, objectRows: false };
  if (OBJECT_ROW_FORMATS.has(base) && headerRows === 0) return { kind: 'lines', headerRows, objectRows: true };
  if (CSV_FORMATS.has(base)) return { kind: 'csv', headerRows };
  return { kind: 'whole' };
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** Finds record ends in successive buffers, carrying CSV quote state from one buffer to the next. */
class BoundaryScanner {
  #inQuote = false;
  constructor(private readonly csv: boolean) {}

  /** Offset just past the last record end in `buf`, or 0 if it holds none. */
  lastBoundary(buf: Buffer): number {
    if (!this.csv) return buf.lastIndexOf(NEWLINE) + 1;
    let last = 0;
    let pos = 0;
    while (pos < buf.length) {
      if (this.#inQuote) {
        const q = buf.indexOf(QUOTE, pos);
        if (q === -1) break;
        // A doubled quote closes and reopens, which leaves the state as it was.
        this.#inQuote = false;
        pos = q + 1;
        continue;
      }
      const q = buf.indexOf(QUOTE, pos);
      const nl = buf.indexOf(NEWLINE, pos);
      if (nl !== -1 && (q === -1 || nl < q)) {
        last = nl + 1;
        pos = nl + 1;
      } else if (q !== -1) {
        this.#inQuote = true;
        pos = q + 1;
      } else {
        break;
      }
    }
    return last;
  }
}

/** Offset just past the first `rows` records of `buf` (0 when it holds fewer). Headers are short. */
function headerEnd(buf: Buffer, rows: number, csv: boolean): number {
  let inQuote = false;
  let found = 0;
  for (let i = 0; i < buf.length; i++) {
    const byte = buf[i];
    if (csv && byte === QUOTE) inQuote = !inQuote;
    else if (byte === NEWLINE && !inQuote && ++found === rows) return i + 1;
  }
  return 0;
}

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

function startsWithBracket(buf: Buffer): boolean {
  const first = buf.findIndex((byte) => !isSpace(byte));
  return first !== -1 && buf[first] === 0x5b;
}

export class InsertTooLargeError extends Error {}

export interface ChunkOptions {
  /** Aim for pieces about this big (a single longer row still goes out whole). */
  targetBytes: number;
  /** Refuse `whole` bodies, or single rows, above this size. */
  maxBytes: number;
}

/**
 * Yields the body in record-aligned pieces. `source` may yield pieces of any size; empty input
 * yields nothing.
 */
export async function* recordChunks(source: AsyncIterable<Buffer>, mode: ChunkMode, options: ChunkOptions): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let boundary = 0; // offset in the pending bytes just past the last complete record
  let header: Buffer | undefined;
  let whole = mode.kind === 'whole';
  const csv = mode.kind === 'csv';
  const headerRows = mode.kind === 'whole' ? 0 : mode.headerRows;
  const scanner = new BoundaryScanner(csv);
  let sniffed = false;
  let sentFirst = false;

  const take = (end: number): Buffer => {
    const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    const piece = all.subarray(0, end);
    const rest = all.subarray(end);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    boundary = 0;
    if (sentFirst && header) return Buffer.concat([header, piece]);
    sentFirst = true;
    return piece;
  };

  for await (const raw of source) {
    const piece = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
    if (piece.length === 0) continue;
    if (!sniffed && mode.kind === 'lines' && mode.objectRows) {
      // JSONEachRow also accepts one `[{...}, {...}]` array, which has no row-per-line shape.
      if (startsWithBracket(piece)) whole = true;
      if (!piece.every(isSpace)) sniffed = true;
    }
    if (!whole) {
      const last = scanner.lastBoundary(piece);
      if (last > 0) boundary = pendingBytes + last;
    }
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes > options.maxBytes && (whole || boundary === 0)) {
      throw new InsertTooLargeError(
        whole ? `an INSERT body in this format is inserted whole and is limited to ${options.maxBytes} bytes` : `a row is longer than ${options.maxBytes} bytes`,
      );
    }
    if (headerRows > 0 && header === undefined) {
      const all = Buffer.concat(pending, pendingBytes);
      const end = headerEnd(all, headerRows, csv);
      if (end > 0) header = Buffer.from(all.subarray(0, end));
    }
    // The first piece must hold the header rows and at least one row after them.
    const ready = headerRows === 0 || (header !== undefined && boundary > header.length);
    if (!whole && ready && pendingBytes >= options.targetBytes && boundary > 0) yield take(boundary);
  }
  // Trailing blank lines after the last cut are not a row (binary bodies are never judged so).
  if (pendingBytes > 0 && (whole || !isBlank(pending))) yield take(pendingBytes);
}

function isBlank(buffers: Buffer[]): boolean {
  return buffers.every((b) => b.every(isSpace));
}
