/**
 * Which stored rows came through a source token (`src1.<source>.…`, ingest/http/auth.ts): their
 * load's batch id ends in SOURCE_TOKEN_SUFFIX. Survivorship (golden.ts), identity resolution
 * (resolve.ts) and current consent (migration 026) trust those rows less than the CRM's own
 * system (the ingest token) and files, at every later recomputation too, so the mark lives on
 * every row the load writes: the batch id is stored with each row already (no new column, no
 * change to row hashes). Batch ids are made by the server, never taken from a sender.
 *
 * A re-sent record identical to the stored one is not rewritten, so it keeps the batch id (and the
 * trust) of the load that wrote it: the values are the same either way.
 */
export const SOURCE_TOKEN_SUFFIX = '-srctok';

export function sourceTokenBatchId(batchId: string): string {
  return `${batchId}${SOURCE_TOKEN_SUFFIX}`;
}

export function isSourceTokenBatch(batchId: string): boolean {
  return batchId.endsWith(SOURCE_TOKEN_SUFFIX);
}

/** SQL: 1 when the row's batch_id marks a source token's load (the same test as isSourceTokenBatch). */
export function viaSourceTokenSql(column = 'batch_id'): string {
  return `endsWith(${column}, '${SOURCE_TOKEN_SUFFIX}')`;
}
