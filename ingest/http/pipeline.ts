import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { IngestBatchFn } from './server.ts';

/** Adapter to the ingest pipeline's ingestRecords (wired when ingest/ lands). */
export function pipelineIngest(_warehouse: Warehouse): IngestBatchFn {
  return async () => {
    throw new Error('ingest pipeline not available yet');
  };
}
