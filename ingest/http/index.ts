export { startIngestServer, DEFAULT_TOKEN_HINT } from './server.ts';
export type { IngestServer, IngestServerOptions } from './server.ts';
export { HTTP_ENTITIES } from './batch.ts';
export type { IngestBatchFn, BatchToIngest, HttpEntity } from './batch.ts';
export type { BatchSummary, BatchReject } from './summary.ts';
export { ingestTokenFrom } from './token.ts';
