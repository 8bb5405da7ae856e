import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { EntityName } from '../entities/types.ts';
import type { IngestFileOptions, IngestRecordsOptions, IngestSummary } from '../types.ts';

/** Loads one file (CSV, NDJSON, Parquet; optionally gzipped) into the entity's table. */
export async function ingestFile(warehouse: Warehouse, opts: IngestFileOptions): Promise<IngestSummary> {
  void warehouse;
  void opts;
  throw new Error('ingestFile: not implemented yet');
}

/** Loads already-parsed records (canonical field names, or renamed by `mapping.columns`). */
export async function ingestRecords(
  warehouse: Warehouse,
  entity: EntityName,
  records: readonly Record<string, unknown>[],
  opts: IngestRecordsOptions,
): Promise<IngestSummary> {
  void warehouse;
  void entity;
  void records;
  void opts;
  throw new Error('ingestRecords: not implemented yet');
}
