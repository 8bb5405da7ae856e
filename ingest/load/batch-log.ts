import type { EntityName } from '../entities/types.ts';
import type { WarehouseIO } from '../core/warehouse-io.ts';

export interface BatchLogEntry {
  batchId: string;
  entity: EntityName;
  source: string;
  sourceFile: string;
  fileSha256: string;
  startedAt: Date;
}

export interface BatchCounts {
  read: number;
  loaded: number;
  updated: number;
  duplicates: number;
  duplicatesInInput: number;
  rejected: number;
  /** Failed loads: rows of an insert that failed (not confirmed written). */
  unconfirmed: number;
  customersCreated: number;
}

/** ingest_batches: one row per load, re-versioned as it goes from running to completed or failed. */
export class BatchLog {
  #version = 0;

  constructor(
    readonly io: WarehouseIO,
    readonly entry: BatchLogEntry,
  ) {}

  /**
   * Loads of the same input still marked `running` were killed (one load per input at a time):
   * they are marked failed, so the log does not show them running forever.
   */
  async markInterrupted(): Promise<void> {
    const e = this.entry;
    if (!e.fileSha256) return;
    const stuck = await this.io.rows<Record<string, unknown>>(
      `SELECT batch_id, entity, source, source_file, file_sha256, rows_read, rows_loaded, rows_updated, rows_duplicate, rows_rejected, rows_duplicate_in_input, rows_unconfirmed, customers_created, started_at
       FROM ${this.io.table('ingest_batches')} FINAL
       WHERE entity = {entity:String} AND file_sha256 = {sha:String} AND status = 'running' AND batch_id != {id:String}`,
      { entity: e.entity, sha: e.fileSha256, id: e.batchId },
    );
    if (stuck.length === 0) return;
    await this.io.insertRows(
      'ingest_batches',
      stuck.map((r) => ({ ...r, status: 'failed', error: `interrupted: batch ${e.batchId} loaded the same input again`, finished_at: Date.now(), version: Date.now() })),
    );
  }

  /**
   * Earlier loads of the same input (same entity and content hash): a stored row one of them wrote
   * that differs from this input's row can only come from a later row with the same id.
   */
  async earlierLoads(): Promise<Set<string>> {
    const e = this.entry;
    if (!e.fileSha256) return new Set();
    const rows = await this.io.rows<{ batch_id: string }>(
      `SELECT DISTINCT batch_id FROM ${this.io.table('ingest_batches')} WHERE entity = {entity:String} AND file_sha256 = {sha:String} AND batch_id != {id:String}`,
      { entity: e.entity, sha: e.fileSha256, id: e.batchId },
    );
    return new Set(rows.map((r) => r.batch_id));
  }

  async record(status: 'running' | 'completed' | 'failed', counts: BatchCounts, error = ''): Promise<void> {
    this.#version = Math.max(this.#version + 1, Date.now());
    const e = this.entry;
    await this.io.insertRows('ingest_batches', [
      {
        batch_id: e.batchId,
        entity: e.entity,
        source: e.source,
        source_file: e.sourceFile,
        file_sha256: e.fileSha256,
        status,
        rows_read: counts.read,
        rows_loaded: counts.loaded,
        rows_updated: counts.updated,
        rows_duplicate: counts.duplicates,
        rows_rejected: counts.rejected,
        rows_duplicate_in_input: counts.duplicatesInInput,
        rows_unconfirmed: counts.unconfirmed,
        customers_created: counts.customersCreated,
        error: error.slice(0, 2000),
        started_at: e.startedAt.getTime(),
        finished_at: status === 'running' ? null : Date.now(),
        version: this.#version,
      },
    ]);
  }
}
