import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { InputError } from '../core/input-error.ts';
import type { InputFormat } from '../types.ts';
import { describeNonText } from './sniff-binary.ts';

/** How much of the start of a file is looked at to tell text from binary data. */
const SNIFF_BYTES = 64 << 10;

export function notAnInputFile(file: string, what: string): InputError {
  return new InputError(`${file} is not a CSV/NDJSON/Parquet file (it looks like ${what})`);
}

/** Format from the file name: .csv/.tsv, .ndjson/.jsonl/.json, .parquet; a trailing .gz is looked through. */
export function detectFormat(file: string): { format: InputFormat; gzip: boolean; tsv: boolean } {
  let name = file.toLowerCase();
  const gzip = name.endsWith('.gz');
  if (gzip) name = name.slice(0, -3);
  const ext = extname(name);
  if (ext === '.csv' || ext === '.txt') return { format: 'csv', gzip, tsv: false };
  if (ext === '.tsv' || ext === '.tab') return { format: 'csv', gzip, tsv: true };
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return { format: 'ndjson', gzip, tsv: false };
  if (ext === '.parquet' || ext === '.pq') {
    if (gzip) throw new InputError(`${file}: gzipped Parquet is not supported (Parquet compresses its pages itself)`);
    return { format: 'parquet', gzip: false, tsv: false };
  }
  throw new InputError(`${file}: cannot tell the format from the extension "${ext}"; pass --format csv|ndjson|parquet`);
}

export function fileSize(file: string): number {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InputError(`${file} is not a file`);
    return st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export interface ByteInput {
  chunks: AsyncIterable<Buffer>;
  /** Bytes of the file consumed so far (compressed bytes for .gz). */
  bytesRead(): number;
}

/**
 * The file's bytes in chunks of about 1 MiB, gunzipped when needed and transcoded to UTF-8 when the
 * mapping declares a single-byte encoding (so the parsers only ever see UTF-8). The first chunk (as
 * unpacked, before transcoding) is checked for being text: binary input is an InputError.
 */
export function openBytes(file: string, opts: { gzip: boolean; encoding: 'utf-8' | 'windows-1252' }): ByteInput {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = opts.gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  if (opts.gzip) raw.on('error', (e) => stream.destroy(e));
  const decoder = opts.encoding === 'utf-8' ? undefined : new TextDecoder(opts.encoding);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      let first = true;
      for await (const c of stream as AsyncIterable<Buffer>) {
        if (first) {
          first = false;
          const what = describeNonText(c.subarray(0, SNIFF_BYTES));
          if (what) throw notAnInputFile(file, what);
        }
        yield decoder ? Buffer.from(decoder.decode(c, { stream: true }), 'utf8') : c;
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR') throw new InputError(`${file}: not a valid gzip file (${err.message})`);
      throw e;
    }
  }
  return { chunks: chunks(), bytesRead: () => raw.bytesRead };
}
