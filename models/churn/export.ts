/**
 * Feature matrix export for analysts and the benchmark: the feature query at a cutoff, formatted by
 * the engine (`FORMAT Parquet` / `CSV`) and streamed from the response straight into a file, so a
 * million rows never pass through JavaScript objects.
 *
 * An endpoint may send a large result as several independently formatted pieces (the embedded
 * chdb endpoint streams one piece per block): harmless for CSV, whose header we write ourselves,
 * but a Parquet file would come out as several files glued together. Parquet is therefore asked
 * for in one block (`max_block_size`), and the file is checked for a glued boundary afterwards.
 */
import { closeSync, createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { openOwnFileForWriting } from '../../lib/files/own-file.ts';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { BoundQuery } from '../../lib/warehouse/sql.ts';
import { buildFeatureQuery, FEATURE_NAMES, type FeatureQueryOptions } from './features.ts';

export type ExportFormat = 'csv' | 'parquet';

const ENGINE_FORMAT: Record<ExportFormat, string> = { csv: 'CSV', parquet: 'Parquet' };

/** Rows per block when exporting Parquet: the whole result in one block, so one Parquet file. */
const PARQUET_BLOCK_ROWS = 50_000_000;

export interface ExportOptions extends FeatureQueryOptions {
  out: string;
  /** Default: from the file extension (.parquet → parquet), else csv. */
  format?: ExportFormat;
}

export interface ExportResult {
  path: string;
  format: ExportFormat;
  bytes: number;
  columns: string[];
  seconds: number;
}

export function formatFromPath(path: string): ExportFormat {
  return /\.parquet$/i.test(path) ? 'parquet' : 'csv';
}

/** Pure: the feature query with the engine's output format appended. */
export function buildExportQuery(opts: FeatureQueryOptions & { format: ExportFormat }): BoundQuery {
  const q = buildFeatureQuery(opts);
  return { query: `${q.query}\nFORMAT ${ENGINE_FORMAT[opts.format]}`, query_params: q.query_params };
}

export class ExportError extends Error {
  readonly code = 'SPLIT_OUTPUT';
}

export async function exportFeatures(warehouse: Warehouse, opts: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  const format = opts.format ?? formatFromPath(opts.out);
  const { query, query_params } = buildExportQuery({ ...opts, format });
  const columns = ['customer_id', ...FEATURE_NAMES, ...(opts.withLabels ? ['churned'] : [])];
  // Customer ids with their features (spend, recency, scores): this user's only, like every file of
  // the product that holds customers (fourth security review: it was written with the umask, 0644).
  mkdirSync(dirname(opts.out), { recursive: true, mode: 0o700 });
  // 0600, an earlier export's looser file tightened; a link planted at the name (a shared folder)
  // is refused before the query, not written through (ninth security review).
  const fd = openOwnFileForWriting(opts.out, 'the feature export');
  const res = await warehouse.client
    .exec({
    query,
    query_params,
    clickhouse_settings:
      format === 'parquet'
        ? // Strings as strings (not binary) so pandas/pyarrow read customer_id as text.
          { output_format_parquet_string_as_string: 1, max_block_size: String(PARQUET_BLOCK_ROWS) }
        : {},
  })
    .catch((err: unknown) => {
      closeSync(fd);
      throw err;
    });
  const file = createWriteStream('', { fd });
  // CSVWithNames would repeat its header in every piece of a split result: write it once here.
  if (format === 'csv') file.write(columns.map((c) => `"${c}"`).join(',') + '\n');
  await pipeline(res.stream as Readable, file);
  if (format === 'parquet' && (await containsBytes(opts.out, GLUED_PARQUET))) {
    throw new ExportError(`${opts.out}: the endpoint returned several Parquet files for one result (split output); export as CSV instead`);
  }
  return { path: opts.out, format, bytes: statSync(opts.out).size, columns, seconds: (performance.now() - t0) / 1000 };
}

/** End magic of one Parquet file directly followed by the start magic of the next. */
const GLUED_PARQUET = Buffer.from('PAR1PAR1');

async function containsBytes(path: string, needle: Buffer): Promise<boolean> {
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(path)) {
    const buf = Buffer.concat([tail, chunk as Buffer]);
    if (buf.includes(needle)) return true;
    tail = buf.subarray(Math.max(0, buf.length - needle.length + 1));
  }
  return false;
}
