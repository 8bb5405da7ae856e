import { checkName } from '../sql.ts';
import type { RenderContext } from './ddl.ts';

/**
 * The derived tables get a copy of their rows sorted by account owner (a projection), so an
 * owner's cockpit reads about its share of the rows instead of all of them (issue 17, session 13).
 *
 * Row-level security restricts every cube to `customer_id IN (SELECT customer_id FROM
 * customers_resolved WHERE owner_id = ?)`. Those ids are spread over the whole of each table's sort
 * order (order date, customer id, cohort month), so the set pruned nothing: at 500k customers / 10M
 * transactions an owner's 12-month revenue read the same 2.9M paid_orders rows as an executive's
 * (`EXPLAIN ESTIMATE`), its RFM grid all 503k customer_value rows, its cohort grid 802k cells. The
 * cubes over these tables now also require the table's own `owner_id` (as of the refresh that wrote
 * the row) to equal the owner, ANDed with the live condition above, and with these projections that
 * condition reads 188k, 33k and 41k rows (idle machine: 240 → 90 ms, 100 → 80 ms, 100 → 75 ms; the
 * period-retention query 235 → 100 ms). Executives' queries keep reading the tables' own order.
 *
 * A projection and not a new sort key: the tables keep their keys (the executives' date ranges
 * prune on them), nothing is copied to new tables, and every writer (full rebuild, incremental
 * overlay) keeps writing as it does — each insert builds the projection's part with its own.
 * `SELECT *` so that every column a cube reads is in it (the engine uses a projection only when it
 * holds every column the query needs); paid_orders' MATERIALIZED order_key is not in `*` and is
 * read only by the refresh's change detection, from the table's own parts. MATERIALIZE writes it
 * for the parts already there (a mutation, waited for: at 10M transactions ≈ 14 s on an idle
 * machine, once). Idempotent: ADD … IF NOT EXISTS, and materializing again rewrites the same.
 * Cluster: projections live on the shards' local tables (a Distributed table has none).
 *
 * Mind for later migrations: a column in a projection's ORDER BY (owner_id, order_date, customer_id,
 * cohort_month, months_since) can no longer be modified in place; drop the projection first.
 */
const PROJECTIONS: Array<{ table: string; orderBy: string }> = [
  { table: 'paid_orders', orderBy: 'owner_id, order_date, customer_id' },
  { table: 'customer_value', orderBy: 'owner_id, customer_id' },
  { table: 'customer_retention', orderBy: 'owner_id, cohort_month, months_since, customer_id' },
];
export const OWNER_PROJECTION = 'by_owner';

export function ownerProjectionStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const local = ctx.cluster ? '_local' : '';
  return PROJECTIONS.flatMap(({ table, orderBy }) => [
    `ALTER TABLE ${db}.${table}${local}${on} ADD PROJECTION IF NOT EXISTS ${OWNER_PROJECTION} (SELECT * ORDER BY ${orderBy})`,
    `ALTER TABLE ${db}.${table}${local}${on} MATERIALIZE PROJECTION ${OWNER_PROJECTION} SETTINGS mutations_sync = 2`,
  ]);
}
