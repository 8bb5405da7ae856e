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
  /** Older than the stored version of the same record (by updated_at): nothing written. */
  outdated: number;
  rejected: number;
  /** The first 1 000 rejects; `rejected` is the full count. They are also in the `rejects` table. */
  rejects: BatchReject[];
  /** Things worth a look that did not stop anything, e.g. unknown fields that were ignored. */
  warnings: string[];
}

/** 200 when anything could be used (a partly bad batch still loads its good records), 422 when nothing. */
export function summaryStatus(summary: BatchSummary): 200 | 422 {
  return summary.received > 0 && summary.rejected >= summary.received ? 422 : 200;
}

/** The 422 body keeps the summary (the rejects say what to fix) and adds the usual error object. */
export function summaryBody(summary: BatchSummary): BatchSummary & { error?: { code: 'all_rejected'; message: string } } {
  if (summaryStatus(summary) === 200) return summary;
  return { error: { code: 'all_rejected', message: `All ${summary.received} records were rejected; nothing was loaded. See "rejects".` }, ...summary };
}
