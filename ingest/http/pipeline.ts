import type { Warehouse } from '../../lib/warehouse/index.ts';
import { ingestRecords, InputError, type IngestSummary } from '../index.ts';
import { HttpError } from './errors.ts';
import type { IngestBatchFn } from './batch.ts';
import { toBatchSummary } from './summary.ts';

/**
 * The endpoint's door to the ingest pipeline: the same validation, quarantine, identity lookup and
 * upserts as file ingest. The batch's source applies to every record (parse.ts refuses a record
 * naming another).
 */
export function pipelineIngest(warehouse: Warehouse): IngestBatchFn {
  return async ({ entity, source, records, label, viaSourceToken }) => {
    let summary: IngestSummary;
    try {
      summary = await ingestRecords(warehouse, entity, records, { source, batchLabel: label, viaSourceToken });
    } catch (err) {
      // The pipeline's own "this input cannot be read at all" is a client error, worded for people.
      if (err instanceof InputError) throw new HttpError(400, 'bad_request', err.message);
      throw err;
    }
    // A failed load (warehouse trouble) is a 5xx: nothing is remembered, so a retry runs again.
    if (summary.status === 'failed') throw new Error(`batch ${summary.batchId} (${label}) failed: ${summary.error ?? 'unknown error'}`);
    return toBatchSummary(summary, records.length);
  };
}
