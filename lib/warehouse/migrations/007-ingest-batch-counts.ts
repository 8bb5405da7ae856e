import { checkName } from '../sql.ts';
import type { RenderContext } from './ddl.ts';

/**
 * ingest_batches learns the counts issue 13 added to a load's summary, so the log says as much as
 * the summary: rows that repeated an id of the same input (not kept), customers created from facts
 * alone, and — for a failed load — rows of an insert that failed, whose presence is not confirmed
 * (rows_loaded/rows_updated count confirmed writes only). ADD COLUMN IF NOT EXISTS is idempotent;
 * on a cluster both the shards' local tables and the Distributed table over them get the columns.
 */
const COLUMNS = [
  "rows_duplicate_in_input UInt64 DEFAULT 0 COMMENT 'rows whose id another row of the same input had: not kept'",
  "rows_unconfirmed UInt64 DEFAULT 0 COMMENT 'failed loads: rows of the insert that failed (some may be stored)'",
  "customers_created UInt64 DEFAULT 0 COMMENT 'fact loads: customers created for references without a customer record'",
];

export function ingestBatchCountStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const add = COLUMNS.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ');
  if (!ctx.cluster) return [`ALTER TABLE ${db}.ingest_batches ${add}`];
  const on = ` ON CLUSTER ${checkName(ctx.cluster)}`;
  return [`ALTER TABLE ${db}.ingest_batches_local${on} ${add}`, `ALTER TABLE ${db}.ingest_batches${on} ${add}`];
}
