/**
 * Name prefixes of the per-load scratch tables the ingest creates in the product database (Memory
 * tables: created, filled and dropped within one load; no cube or view reads them). They live here,
 * not in ingest/, because the semantic layer must know them too: its data version
 * (semantic/refresh-keys.ts) leaves them out, or each create, insert and drop of one is a data
 * change of its own (bench:load at 10M, 2026-12-07 11:02: 9 of the 13 fingerprint changes of one
 * 1,000-row load).
 */
export const SCRATCH_TABLE_PREFIXES = {
  /** ingest/identity/placeholders.ts: the customers known from facts alone, per run. */
  placeholders: 'ingest_placeholders_',
  /** ingest/load/scratch-keys.ts: one batch's keys, per load. */
  keys: 'ingest_keys_',
  /** ingest/load/engine-parse.ts: a file's rows as the engine parsed and checked them, per load. */
  engineParse: 'ingest_engine_',
} as const;
