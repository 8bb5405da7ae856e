import type { BatchSummary } from './summary.ts';

// The contract between the HTTP endpoint (server.ts) and the ingest pipeline (pipeline.ts, loaded
// lazily by the server): in a file of its own so that neither has to import the other for it.

/** Entities a source may push. Customers too: a web shop pushing sign-ups as they happen; consents: a preference centre pushing each opt-in/out. */
export const HTTP_ENTITIES = ['interactions', 'transactions', 'customers', 'consents'] as const;
export type HttpEntity = (typeof HTTP_ENTITIES)[number];

export interface BatchToIngest {
  entity: HttpEntity;
  source: string;
  records: Record<string, unknown>[];
  /** `http:<idempotency key>` or `http:sha256:<digest>`; goes to ingest_batches.source_file. */
  label: string;
  /** sha256 of the request; stands in for the file hash so a retried batch does not repeat its rejects. */
  requestSha256: string;
  /** Sent with a source token, not the ingest token: the pipeline trusts its records less (identity/source-token-batches.ts). */
  viaSourceToken: boolean;
}

/** The one thing the endpoint needs from the ingest pipeline. */
export type IngestBatchFn = (batch: BatchToIngest) => Promise<BatchSummary>;
