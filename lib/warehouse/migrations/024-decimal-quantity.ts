import { checkName } from '../sql.ts';
import { coreViews } from './001-core.ts';
import { incrementalDerivedViews } from './010-incremental-derived.ts';
import { COPY_COLUMNS, COPY_TABLE } from './018-transactions-by-customer.ts';
import { renderView, type RenderContext } from './ddl.ts';

/**
 * Quantities become decimal: Xero and QuickBooks invoice lines bill hours (`7.5`), others weights
 * and fractional units, and a whole-number column made the user convert the export by hand.
 *
 * The type is Decimal(18, 8), not Float64: sums of quantities are exact (0.1 h three times is
 * 0.3 h, not 0.30000000000000004), and the text the ingest hashes (row_hash) is one canonical
 * spelling per value. Eight decimals because QuickBooks Online writes up to seven (20 minutes =
 * 0.3333333 h) and Xero four, and eight is the most a 64-bit decimal holds beside ten integer
 * digits, i.e. every value the UInt32 column held (at most 4294967295): the conversion can neither
 * overflow nor round. The order's sum in paid_orders is Decimal(38, 8) (lines × 10^10 would not fit
 * in 18 digits). The ingest rejects what does not fit (ingest/README.md, transactions' quantity).
 *
 * Safe on a warehouse with data: MODIFY COLUMN rewrites the column in place (a mutation, waited
 * for), every row keeps its key, version, row_hash and value (3 is 3.00000000, and ClickHouse
 * writes it back as "3", as the ingest did). The views over the tables are created again: a view
 * keeps the column types of its creation and would cast 7.5 back to 7 (migration 023 found the
 * same for campaign members). The copy's materialized view is dropped and created again, not
 * altered: MODIFY QUERY needs an experimental setting before ClickHouse 24.1 and the product
 * supports 23.8; migrations run before any ingest, so no insert falls between the two.
 * Idempotent: modifying a column to the type it has is a no-op, the views are CREATE OR REPLACE
 * and the copy's view is dropped only to be created the same. Cluster: the shards' local tables
 * and the Distributed tables over them; the copy is single-node only (migration 018).
 */
export const QUANTITY_TYPE = 'Decimal(18, 8)';
const ORDER_QUANTITY_TYPE = 'Decimal(38, 8)';
const COPY_VIEW = 'transactions_by_customer_mv';

export function decimalQuantityStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const line = `MODIFY COLUMN quantity ${QUANTITY_TYPE} SETTINGS mutations_sync = 2`;
  const order = `MODIFY COLUMN quantity ${ORDER_QUANTITY_TYPE} SETTINGS mutations_sync = 2`;
  const views = [
    ...coreViews.filter((v) => v.name === 'transactions_resolved'),
    ...incrementalDerivedViews.filter((v) => v.name === 'paid_orders_current'),
  ];
  if (views.length !== 2) throw new Error('transactions_resolved or paid_orders_current is not defined where migration 024 reads them');
  if (ctx.cluster) {
    const on = ` ON CLUSTER ${checkName(ctx.cluster)}`;
    return [
      `ALTER TABLE ${db}.transactions_local${on} ${line}`,
      `ALTER TABLE ${db}.transactions${on} ${line}`,
      `ALTER TABLE ${db}.paid_orders_local${on} ${order}`,
      `ALTER TABLE ${db}.paid_orders${on} ${order}`,
      ...views.flatMap((v) => renderView(v, ctx)),
    ];
  }
  return [
    `ALTER TABLE ${db}.transactions ${line}`,
    `ALTER TABLE ${db}.${COPY_TABLE} ${line}`,
    `DROP VIEW IF EXISTS ${db}.${COPY_VIEW}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${COPY_VIEW} TO ${db}.${COPY_TABLE} AS SELECT ${COPY_COLUMNS.join(', ')} FROM ${db}.transactions`,
    `ALTER TABLE ${db}.paid_orders ${order}`,
    ...views.flatMap((v) => renderView(v, ctx)),
  ];
}
