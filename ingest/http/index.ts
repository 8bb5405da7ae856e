export { startIngestServer, HTTP_ENTITIES, DEFAULT_TOKEN_HINT } from './server.ts';
export type { IngestServer, IngestServerOptions, IngestBatchFn, BatchToIngest, HttpEntity } from './server.ts';
export type { BatchSummary, BatchReject } from './summary.ts';
export { ingestTokenFrom } from './token.ts';
