import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { guessDialect } from './guess-dialect.ts';
import { guessHeader } from './guess-header.ts';
import { guessNumberFormat } from './guess-number.ts';
import type { SampleTable } from './propose-mapping.ts';
import { DetectError, sniffBytes, type SniffedFormat } from './sniff-bytes.ts';
import { splitRecords } from './split-records.ts';

/** Bytes read for guessing: enough for ~thousands of rows of a typical export, bounded for any file. */
export const DEFAULT_SAMPLE_BYTES = 1 << 20;
/** Rows kept for guessing. */
const SAMPLE_ROWS = 2000;

/** The first `maxBytes` of a file (of its unpacked content for .gz), and whether that is all of it. */
export async function readHead(file: string, maxBytes: number): Promise<{ bytes: Buffer; whole: boolean }> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new DetectError(`${file} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof DetectError) throw e;
    throw new DetectError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!file.toLowerCase().endsWith('.gz')) {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, maxBytes));
      const n = readSync(fd, buf, 0, buf.length, 0);
      return { bytes: buf.subarray(0, n), whole: n >= size };
    } finally {
      closeSync(fd);
    }
  }
  // Unpacked as a stream and stopped at maxBytes: a highly compressed file is never unpacked whole.
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  const gunzip = raw.pipe(createGunzip());
  const parts: Buffer[] = [];
  let got = 0;
  let whole = true;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parts.push(chunk);
      got += chunk.length;
      if (got > maxBytes) {
        whole = false;
        break;
      }
    }
  } catch (e) {
    throw new DetectError(`${file}: not a valid gzip file (${(e as Error).message})`);
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
  return { bytes: Buffer.concat(parts).subarray(0, maxBytes), whole };
}

/** Reads a bounded sample of `file` and turns it into rows of text for guessing. */
export async function readSample(file: string, opts: { maxBytes?: number; format?: SniffedFormat } = {}): Promise<SampleTable> {
  const { bytes, whole } = await readHead(file, opts.maxBytes ?? DEFAULT_SAMPLE_BYTES);
  const sniffed = sniffBytes(bytes, file);
  const format = opts.format ?? sniffed.format;
  if (format === 'parquet') return parquetSample(file);
  const text = new TextDecoder(sniffed.encoding).decode(bytes.subarray(sniffed.bom ? 3 : 0));
  if (format === 'ndjson') return ndjsonSample(file, text, whole);
  const dialect = guessDialect(text, !whole);
  const skipLines = preambleLines(text, dialect.delimiter, dialect.quote, dialect.columns);
  const body = skipLines > 0 ? text.split('\n').slice(skipLines).join('\n') : text;
  const records = splitRecords(body, dialect.delimiter, { quote: dialect.quote, limit: SAMPLE_ROWS + 1, truncated: !whole });
  if (records.length === 0) throw new DetectError(`${file} has no complete line in its first ${bytes.length} bytes`);
  const numbers = guessNumberFormat(records.slice(1).flat());
  const header = guessHeader(records, { numbers, preferDayFirst: numbers.decimal === ',' || dialect.delimiter === ';' });
  const width = Math.max(dialect.columns, records[0].length);
  const names = header.header ? distinctNames(records[0].map((n) => n.trim())) : Array.from({ length: width }, (_, i) => `column_${i + 1}`);
  const sampled = header.header ? records.slice(1) : records;
  const consistent = sampled.filter((r) => r.length === dialect.columns).length;
  const tail = whole ? undefined : readTail(file, sniffed.encoding, dialect.delimiter, dialect.quote);
  return {
    file,
    format: 'csv',
    names,
    header: header.header,
    renamed: header.header && names.some((n, i) => n !== records[0][i].trim()),
    rows: sampled.slice(0, SAMPLE_ROWS),
    ...(tail ? { tail } : {}),
    csv: {
      delimiter: dialect.delimiter,
      quote: dialect.quote,
      encoding: sniffed.encoding,
      bom: sniffed.bom,
      crlf: sniffed.crlf,
      why: `${consistent} of ${sampled.length} sampled lines split into ${dialect.columns} fields`,
      headerWhy: header.why,
      skipLines,
    },
  };
}

/**
 * Title lines above the table, as accounting reports write them ("Invoice List", the company, the
 * date range, a blank line): the physical lines before the first line that splits into the file's
 * number of fields and is followed by another such line, when every line before it splits into
 * fewer. 0 when the table starts at the top (or nothing like a table follows within 30 lines).
 */
export function preambleLines(text: string, delimiter: string, quote: string, columns: number): number {
  if (delimiter === 'whitespace' || columns < 3) return 0;
  const lines = text.split('\n').slice(0, 32);
  const width = (line: string): number => (line.trim() === '' ? 0 : (splitRecords(line, delimiter, { quote })[0]?.length ?? 0));
  for (let i = 0; i < lines.length - 1; i++) {
    const w = width(lines[i]);
    if (w > columns) return 0;
    // A title line is a cell or two; a header one field short of its rows (data lines ending in a
    // delimiter) is not a title, and its file is left as it is.
    if (w > Math.max(2, Math.floor(columns / 3))) {
      if (w < columns) return 0;
    } else if (w < columns) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    return j < lines.length && width(lines[j]) === columns ? i : 0;
  }
  return 0;
}

/** Bytes read from the end of a file larger than the sample: where reports put their total rows. */
const TAIL_BYTES = 16 << 10;

/** The records of a plain file's last bytes (the first, likely cut, line dropped); undefined for .gz (the end is not reachable without unpacking all). */
function readTail(file: string, encoding: 'utf-8' | 'windows-1252', delimiter: string, quote: string): string[][] | undefined {
  if (file.toLowerCase().endsWith('.gz')) return undefined;
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.min(size, TAIL_BYTES));
    const n = readSync(fd, buf, 0, buf.length, size - buf.length);
    const text = new TextDecoder(encoding).decode(buf.subarray(0, n));
    const firstLine = text.indexOf('\n');
    // A quoted field spanning the cut would shift every record after it: the tail is a hint only.
    return firstLine < 0 ? [] : splitRecords(text.slice(firstLine + 1), delimiter, { quote });
  } finally {
    closeSync(fd);
  }
}

/** A header naming a column twice (or leaving names empty) gets `Name (2)`, `column_4`: the draft's csv.names then tells them apart. */
export function distinctNames(header: readonly string[]): string[] {
  const seen = new Set<string>();
  return header.map((raw, i) => {
    let name = raw === '' ? `column_${i + 1}` : raw;
    for (let k = 2; seen.has(name); k++) name = `${raw || `column_${i + 1}`} (${k})`;
    seen.add(name);
    return name;
  });
}

/** JSON values as the loader reads them: text as is, numbers and booleans spelled out, objects as JSON. */
function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function tableOf(file: string, format: 'ndjson' | 'parquet', objects: Record<string, unknown>[], names?: string[]): SampleTable {
  const keys = names ?? [...new Set(objects.flatMap((o) => Object.keys(o)))];
  return { file, format, names: keys, header: true, rows: objects.map((o) => keys.map((k) => textOf(o[k]))) };
}

function ndjsonSample(file: string, text: string, whole: boolean): SampleTable {
  const lines = text.split(/\r?\n/);
  if (!whole) lines.pop(); // may be cut off
  const objects: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) objects.push(v as Record<string, unknown>);
    } catch {
      // A malformed line is the loader's to reject (the preview shows it); guessing skips it.
    }
    if (objects.length >= SAMPLE_ROWS) break;
  }
  return tableOf(file, 'ndjson', objects);
}

async function parquetSample(file: string): Promise<SampleTable> {
  try {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    const rowEnd = Math.min(Number(metadata.num_rows), SAMPLE_ROWS);
    const objects = (await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: 0, rowEnd })) as Record<string, unknown>[];
    return tableOf(file, 'parquet', objects, names);
  } catch (e) {
    throw new DetectError(`${file} is not a readable Parquet file: ${(e as Error).message}`);
  }
}
