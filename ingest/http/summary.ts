import type { IngestSummary } from '../types.ts';

/** The answer to an accepted batch; stored verbatim in `ingest_requests` for replays. */
export interface BatchReject {
  /** 0-based position of the record in the batch (for NDJSON: among the non-blank lines). */
  index: number;
  record_id: string;
  field: string;
  reason: string;
}

export interface BatchSummary {
  batch_id: string;
  received: number;
  loaded: number;
  updated: number;
  duplicates: number;
  /** Records whose id an earlier record of the same batch also had: the newest updated_at (else the last) was kept; `warnings` names them. */
  duplicates_in_input?: number;
  /** Customers created for references without a customer record (first seen = their earliest fact). */
  customers_created?: number;
  /** Records of erased people skipped (their tombstones keep them out; docs/privacy.md). */
  erased_skipped?: number;
  /** Older than the stored version of the same record (by updated_at): nothing written. */
  outdated: number;
  rejected: number;
  /** The first 1 000 rejects; `rejected` is the full count. They are also in the `rejects` table. */
  rejects: BatchReject[];
  /** Things worth a look that did not stop anything, e.g. unknown fields that were ignored. */
  warnings: string[];
  /** Ids formed by the load because the records had none (e.g. orders per customer and order time). */
  derived_ids?: string;
}

/**
 * 200 when any record was usable (a partly bad batch still loads its good records), 422 when all
 * were rejected. Counted from the accepted side: a record with two bad fields may give two rejects.
 */
export function summaryStatus(summary: BatchSummary): 200 | 422 {
  const accepted = summary.loaded + summary.updated + summary.duplicates + (summary.duplicates_in_input ?? 0) + summary.outdated;
  return accepted === 0 && summary.rejected > 0 ? 422 : 200;
}

/** The 422 body keeps the summary (the rejects say what to fix) and adds the usual error object. */
export function summaryBody(summary: BatchSummary): BatchSummary & { error?: { code: 'all_rejected'; message: string } } {
  if (summaryStatus(summary) === 200) return summary;
  return { error: { code: 'all_rejected', message: `All ${summary.received} records were rejected; nothing was loaded. See "rejects".` }, ...summary };
}

/** The pipeline's summary in the API's words. */
export function toBatchSummary(summary: IngestSummary, received: number): BatchSummary {
  return {
    batch_id: summary.batchId,
    received,
    loaded: summary.loaded,
    updated: summary.updated,
    duplicates: summary.duplicates,
    duplicates_in_input: summary.duplicatesInInput,
    customers_created: summary.customersCreated,
    ...(summary.erasedSkipped ? { erased_skipped: summary.erasedSkipped } : {}),
    outdated: summary.outdated,
    rejected: summary.rejected,
    // The pipeline numbers records from 1 (like file lines); the API speaks array indexes.
    rejects: summary.rejects.map((r) => ({ index: r.line - 1, record_id: r.recordId, field: r.field, reason: r.reason })),
    warnings: summary.warnings,
    ...(summary.derivedIds ? { derived_ids: summary.derivedIds } : {}),
  };
}
