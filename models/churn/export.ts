/**
 * Feature matrix export for analysts and the benchmark: the feature query at a cutoff, formatted by
 * the engine (`FORMAT Parquet` / `CSVWithNames`) and streamed from the response straight into a file,
 * so a million rows never pass through JavaScript objects.
 */
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { buildFeatureQuery, FEATURE_NAMES, type BuiltQuery, type FeatureQueryOptions } from './features.ts';

export type ExportFormat = 'csv' | 'parquet';

const ENGINE_FORMAT: Record<ExportFormat, string> = { csv: 'CSVWithNames', parquet: 'Parquet' };

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
export function buildExportQuery(opts: FeatureQueryOptions & { format: ExportFormat }): BuiltQuery {
  const q = buildFeatureQuery(opts);
  return { query: `${q.query}\nFORMAT ${ENGINE_FORMAT[opts.format]}`, query_params: q.query_params };
}

export async function exportFeatures(warehouse: Warehouse, opts: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  const format = opts.format ?? formatFromPath(opts.out);
  const { query, query_params } = buildExportQuery({ ...opts, format });
  mkdirSync(dirname(opts.out), { recursive: true });
  const res = await warehouse.client.exec({
    query,
    query_params,
    // Parquet: keep strings as strings (not binary) so pandas/pyarrow read customer_id as text.
    clickhouse_settings: { output_format_parquet_string_as_string: 1 },
  });
  await pipeline(res.stream as Readable, createWriteStream(opts.out));
  return {
    path: opts.out,
    format,
    bytes: statSync(opts.out).size,
    columns: ['customer_id', ...FEATURE_NAMES, ...(opts.withLabels ? ['churned'] : [])],
    seconds: (performance.now() - t0) / 1000,
  };
}
