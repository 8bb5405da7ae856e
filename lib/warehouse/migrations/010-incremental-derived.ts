import { checkName } from '../sql.ts';
import { renderView, type RenderContext, type TableDef, type ViewDef } from './ddl.ts';

/**
 * Incremental derived tables (issue 17, item 4): a load rebuilds only the customers it touched.
 *
 * A full rebuild still writes a complete `snapshot` partition of paid_orders, customer_value and
 * customer_retention (migration 002). An incremental refresh writes a new snapshot D that holds only
 * the rows of the customers changed since the last full rebuild B (the *overlay*), lists those
 * customers in `derived_overlay`, and commits D with `base_snapshot = B`. paid_orders_current and
 * customer_retention_current then read B's rows of every other customer plus D's rows: one commit
 * row still switches readers atomically, and the tables equal a full rebuild by construction (the
 * same SQL builders, scoped to the changed customers). Since migration 016, customer_value is
 * incremental too: the overlay holds the changed customers' rows, and the RFM scores are applied at
 * read time from each snapshot's quintile cuts (customer_value_scores), recomputed over all buyers.
 *
 * `definition` records a hash of the derived SQL: a change of definitions forces a full rebuild.
 */
const COLUMNS = [
  "base_snapshot UInt64 DEFAULT 0 COMMENT 'incremental refreshes: the full rebuild whose rows the overlay completes; 0 for a full rebuild'",
  "definition String DEFAULT '' COMMENT 'hash of the derived-table SQL that wrote the snapshot (semantic/derived/sql.ts)'",
];

export const derivedOverlay: TableDef = {
  name: 'derived_overlay',
  columns: ['snapshot UInt64', 'customer_id String'],
  engine: 'MergeTree',
  partitionBy: 'snapshot',
  orderBy: 'customer_id',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Customers whose paid_orders and customer_retention rows come from an incremental snapshot instead of its base full rebuild; a partition per snapshot, dropped with it.',
};

/** Base rows of the customers the overlay does not replace, plus the overlay (or, after a full rebuild, just its rows). */
const overlaid = (table: string): string => {
  const current = `(SELECT max(snapshot) FROM {db}.derived_snapshots WHERE table_name = '${table}')`;
  // The base rows carry the committed snapshot's id, like the overlay's. The REPLACE sits outside the
  // filter: ClickHouse resolves an alias before a column of the same name, even in WHERE.
  return `SELECT * FROM {db}.${table}
WHERE snapshot = ${current}
UNION ALL
SELECT * REPLACE (toUInt64(ifNull(${current}, 0)) AS snapshot) FROM (
  SELECT * FROM {db}.${table}
  WHERE snapshot = (SELECT argMax(base_snapshot, snapshot) FROM {db}.derived_snapshots WHERE table_name = '${table}')
    AND customer_id {global}NOT IN (SELECT customer_id FROM {db}.derived_overlay WHERE snapshot = ${current}))`;
};

export const incrementalDerivedViews: ViewDef[] = [
  {
    name: 'paid_orders_current',
    select: overlaid('paid_orders'),
    why: 'The last committed paid_orders: a full rebuild, or its base with the overlay of the changed customers.',
  },
  {
    name: 'customer_retention_current',
    select: overlaid('customer_retention'),
    why: 'The last committed customer_retention: a full rebuild, or its base with the overlay of the changed customers.',
  },
];

/** The columns first (ADD COLUMN IF NOT EXISTS is idempotent), then the views that read them. */
export function incrementalDerivedStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const add = COLUMNS.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ');
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const alter = ctx.cluster
    ? [`ALTER TABLE ${db}.derived_snapshots_local${on} ${add}`, `ALTER TABLE ${db}.derived_snapshots${on} ${add}`]
    : [`ALTER TABLE ${db}.derived_snapshots ${add}`];
  return [...alter, ...incrementalDerivedViews.flatMap((v) => renderView(v, ctx))];
}
