/**
 * Programmatic ingest API. The CLI (ingest/cli.ts), the HTTP ingestion endpoint and the demo
 * loader all call these; they never write to the warehouse tables themselves.
 */
export { ENTITIES, ENTITY_NAMES, entitySpec } from './entities/index.ts';
export type { EntityName, EntitySpec, FieldSpec } from './entities/index.ts';
export { loadMappingFile, validateMapping, MappingError, type Mapping } from './mapping/mapping-file.ts';
export type { IngestFileOptions, IngestProgress, IngestRecordsOptions, IngestSummary, InputFormat, Reject } from './types.ts';
export { ingestFile, ingestRecords } from './load/job.ts';
export { sourceRecordsOf, type SourceRecord } from './identity/source-records.ts';
export { InputError } from './core/input-error.ts';
