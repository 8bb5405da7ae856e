import type { EntityName } from './entities/types.ts';
import type { Mapping } from './mapping/mapping-file.ts';

export type InputFormat = 'csv' | 'ndjson' | 'parquet';

export interface IngestProgress {
  /** Input bytes consumed so far and in total (0 when unknown, e.g. records passed in memory). */
  bytesRead: number;
  bytesTotal: number;
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  elapsedMs: number;
}

export interface IngestFileOptions {
  entity: EntityName;
  file: string;
  /** Default: from the extension (.csv/.tsv, .ndjson/.jsonl, .parquet, each optionally .gz except parquet). */
  format?: InputFormat;
  /** A mapping object or the path of a mapping JSON file. */
  mapping?: Mapping | string;
  /** Source name for rows without one (overrides the mapping's). */
  source?: string;
  /** Where to write rejected rows as CSV; default `<file>.rejects.csv`; `false` for none. */
  rejectsFile?: string | false;
  /** Rows per insert (default 250 000; a batch also ends at 30 MB of payload). */
  batchSize?: number;
  onProgress?: (p: IngestProgress) => void;
}

export interface IngestRecordsOptions {
  /** Source name for records without one. */
  source?: string;
  /** Names the load in ingest_batches.source_file and rejects.source_file (e.g. `http:<idempotency key>`). */
  batchLabel: string;
  mapping?: Mapping;
  /** Use this batch id instead of a generated one (lets a caller record it before loading). */
  batchId?: string;
  /**
   * The records came through a source token (HTTP ingest): their rows are marked so (the batch id,
   * identity/source-token-batches.ts) and trusted less in identity resolution, survivorship and
   * consent than the CRM's own system's and files'.
   */
  viaSourceToken?: boolean;
}

export interface Reject {
  /** Line in the file (header = line 1 for CSV), or 1-based position in a record array. */
  line: number;
  recordId: string;
  /** Canonical field name; empty for a problem with the whole row (column count, malformed JSON). */
  field: string;
  /** Human-readable, e.g. `line 17, field order_date: "2024-13-45" is not a date (expected YYYY-MM-DD)`. */
  reason: string;
}

export interface IngestSummary {
  batchId: string;
  entity: EntityName;
  /** The file path or the batch label. */
  input: string;
  status: 'completed' | 'failed';
  /** Data rows seen (header excluded). */
  read: number;
  /** New records written. */
  loaded: number;
  /** Records that existed with other values and were replaced by a new version. */
  updated: number;
  /** Records already stored with the same values: nothing written. */
  duplicates: number;
  /**
   * Rows whose id another row of the same input also has: one row per id is kept (the newest
   * updated_at, else the last one), these are not. `warnings` names the ids and lines.
   */
  duplicatesInInput: number;
  /** Records older than the stored version of the same key (by updated_at): nothing written. */
  outdated: number;
  rejected: number;
  /** Stale rows deleted because an update moved a fact to another customer or date. */
  staleDeleted: number;
  /** Facts: distinct customer refs with no customer record in their source (loaded under a placeholder customer id). */
  unknownCustomers: number;
  /**
   * Facts: customers created for references without a customer record (first seen = their earliest
   * fact), so customer lists, RFM and LTV work on facts alone. A customers file loaded later for the
   * same source id fills in the same customer.
   */
  customersCreated: number;
  /** Records of erased people (lib/privacy tombstones) dropped unread: neither loaded nor rejected. */
  erasedSkipped?: number;
  /** Customers: identity resolution results. */
  identity?: { newCustomers: number; matchedRecords: number; merges: number };
  seconds: number;
  rowsPerSecond: number;
  /** Unknown columns and similar things worth a look; never fatal. */
  warnings: string[];
  /** The first rejects (up to 1 000), for callers that answer with them (HTTP). */
  rejects: Reject[];
  rejectsFile?: string;
  /**
   * Ids the load formed itself because the input had none, e.g. "transaction ids derived from row
   * content (no transaction_id column); orders: one per customer and order timestamp (no order_id
   * column)" (ingest/sources/derive-ids.ts); absent when every id came from the input.
   */
  derivedIds?: string;
  /** Why the load failed (status = failed). */
  error?: string;
  /**
   * Failed loads: rows sent in an insert that failed, so it is not known whether they are stored
   * (`loaded`/`updated` count only confirmed writes). Loading the same input again completes it.
   */
  unconfirmed?: number;
}
