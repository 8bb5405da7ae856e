import type { EntityName } from '../entities/types.ts';
import type { WarehouseIO } from './warehouse-io.ts';

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
  rejected: number;
}

/** ingest_batches: one row per load, re-versioned as it goes from running to completed or failed. */
export class BatchLog {
  #version = 0;

  constructor(
    readonly io: WarehouseIO,
    readonly entry: BatchLogEntry,
  ) {}

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
        error: error.slice(0, 2000),
        started_at: e.startedAt.getTime(),
        finished_at: status === 'running' ? null : Date.now(),
        version: this.#version,
      },
    ]);
  }
}
