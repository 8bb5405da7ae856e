import { checkName } from '../sql.ts';
import type { RenderContext, TableDef, ViewDef } from './ddl.ts';

/**
 * Incremental customer_value (issue 17, item 4): RFM scores computed at read time from a one-row
 * table of quintile cuts, so a load no longer re-scores all 500k customers.
 *
 * Until now every refresh rewrote every customer_value row, because the R, F and M quintiles rank
 * all buyers together (18 s of a 36 s incremental refresh at 10M transactions under load). The
 * ranks are not needed per row, only the four values where each score steps up: with n buyers,
 * the score 1 + floor(5 · (rank − 1) / n) (rank = 1 + the buyers strictly before, ties share the
 * lowest) is ≥ s exactly when at least k_s = ceil((s − 1) · n / 5) buyers are strictly before, i.e.
 * when the value is beyond the k_s-th buyer's value in rank order. `customer_value_scores` holds
 * those k_s-th values (2 ≤ s ≤ 5) for each snapshot, recomputed exactly from all buyers at every
 * refresh (one sort of 500k numbers); customer_value itself then follows the overlay scheme of
 * migration 010 (a full rebuild's rows plus the changed customers' rows), and this view applies the
 * cuts. The scores and segments it shows are those of the rank-based SQL they replace, value for
 * value (test/semantic/incremental-refresh.test.ts recomputes them with rank() windows).
 *
 * The score columns of the customer_value table are no longer written (0 and ''): readers use
 * customer_value_current.
 */
export const customerValueScores: TableDef = {
  name: 'customer_value_scores',
  columns: [
    'snapshot UInt64',
    "buyers UInt64 COMMENT 'customers with a paid order: n of the quintiles'",
    "recency_cuts Array(UInt32) COMMENT 'k_s-th largest recency_days among buyers for s = 2..5: R ≥ s when recency_days < the cut'",
    "orders_cuts Array(UInt32) COMMENT 'k_s-th smallest orders among buyers for s = 2..5: F ≥ s when orders > the cut'",
    "net_revenue_cuts Array(Decimal(18, 2)) COMMENT 'k_s-th smallest net_revenue among buyers for s = 2..5: M ≥ s when net_revenue > the cut'",
  ],
  engine: 'MergeTree',
  partitionBy: 'snapshot',
  orderBy: 'snapshot',
  shardingKey: 'snapshot',
  why: 'Where each RFM score steps up, per derived snapshot (one row): customer_value_current scores every customer from it, so a refresh rewrites only the changed customers’ rows.',
};

/**
 * Named RFM segments from the R and F scores (M is reported beside them). Every one of the 25 (R, F)
 * cells maps to exactly one segment; semantic/README.md shows the same table.
 */
export const RFM_SEGMENT_SQL = `multiIf(
    orders = 0, 'No Purchases',
    r_score = 1 AND f_score = 1, 'Lost',
    r_score <= 2 AND f_score <= 2, 'Hibernating',
    r_score <= 2 AND f_score <= 4, 'At Risk',
    r_score <= 2, 'Can''t Lose',
    r_score = 3 AND f_score <= 2, 'About to Sleep',
    r_score = 3 AND f_score = 3, 'Need Attention',
    r_score <= 4 AND f_score >= 4, 'Loyal',
    r_score = 4 AND f_score = 1, 'Promising',
    r_score = 5 AND f_score = 1, 'New',
    f_score <= 3, 'Potential Loyalists',
    'Champions')`;

/** The customer_value columns before the scores, in table order. */
const VALUE_COLUMNS = `snapshot, as_of, customer_id, owner_id, region, acquisition_channel, customer_type,
  first_order_at, last_order_at, cohort_month, orders, gross_revenue, refunded_revenue, net_revenue, recency_days`;

const current = `(SELECT max(snapshot) FROM {db}.derived_snapshots WHERE table_name = 'customer_value')`;
const cuts = (column: string) => `(SELECT any(${column}) FROM {db}.customer_value_scores WHERE snapshot = ${current})`;

/**
 * A score from the snapshot's cuts; from the row itself when the snapshot has none (written before
 * this migration, when every snapshot held whole, scored customer_value rows).
 */
const scored = (column: string, beyond: string, stored: string): string =>
  `if(orders = 0, toUInt8(0), if(empty(${cuts(column)}), ${stored}, toUInt8(1 + arrayCount(u -> ${beyond}, ${cuts(column)}))))`;

export const customerValueView: ViewDef = {
  name: 'customer_value_current',
  // Rows: the committed snapshot's, plus its base full rebuild's for every customer the overlay does
  // not replace (as paid_orders_current, migration 010; the REPLACE sits outside the filter because
  // ClickHouse resolves an alias before a column of the same name, even in WHERE).
  select: `SELECT ${VALUE_COLUMNS}, r_score, f_score, m_score, ${RFM_SEGMENT_SQL} AS rfm_segment
FROM (
  SELECT ${VALUE_COLUMNS},
    ${scored('recency_cuts', 'ifNull(recency_days, 0) < u', 'stored_r')} AS r_score,
    ${scored('orders_cuts', 'orders > u', 'stored_f')} AS f_score,
    ${scored('net_revenue_cuts', 'net_revenue > u', 'stored_m')} AS m_score
  FROM (
    SELECT ${VALUE_COLUMNS}, r_score AS stored_r, f_score AS stored_f, m_score AS stored_m FROM {db}.customer_value
    WHERE snapshot = ${current}
    UNION ALL
    SELECT * REPLACE (toUInt64(ifNull(${current}, 0)) AS snapshot) FROM (
      SELECT ${VALUE_COLUMNS}, r_score AS stored_r, f_score AS stored_f, m_score AS stored_m FROM {db}.customer_value
      WHERE snapshot = (SELECT argMax(base_snapshot, snapshot) FROM {db}.derived_snapshots WHERE table_name = 'customer_value')
        AND customer_id {global}NOT IN (SELECT customer_id FROM {db}.derived_overlay WHERE snapshot = ${current}))
  )
)`,
  why: 'The last committed customer_value (a full rebuild, or its base with the overlay of the changed customers), scored from customer_value_scores.',
};

/** The table's own score columns say where the scores now come from. */
export function customerValueScoreStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const comment = "'not written since migration 016: customer_value_current computes it from customer_value_scores'";
  const alter = ['r_score', 'f_score', 'm_score', 'rfm_segment'].map((c) => `COMMENT COLUMN ${c} ${comment}`).join(', ');
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  return ctx.cluster
    ? [`ALTER TABLE ${db}.customer_value_local${on} ${alter}`, `ALTER TABLE ${db}.customer_value${on} ${alter}`]
    : [`ALTER TABLE ${db}.customer_value ${alter}`];
}
