import { createHash } from 'node:crypto';
import { PAID_STATUSES } from '../../lib/as-of.ts';
import { checkName, quoteIdent, type BoundQuery } from '../../lib/warehouse/sql.ts';

/**
 * SQL that rebuilds the derived tables the Cube models read (paid_orders, customer_value and
 * customer_retention, see lib/warehouse/migrations/002-semantic.ts). Pure builders: identifiers come
 * from the caller's validated database name, values are bound as query parameters.
 *
 * Definitions used everywhere in the semantic layer:
 * - a *paid* order line has status `completed` or `refunded` (a refund is a later version of a paid
 *   line); `cancelled` and `pending` lines are not sales;
 * - gross revenue = paid lines; net revenue = `completed` lines only (refunds out), less `credit`
 *   lines (a return or credit note loaded as a line of its own, amount positive: ingest/README.md,
 *   "Returns and credit lines"); refunds = `refunded` lines plus `credit` lines, so gross − refunds
 *   = net still holds;
 * - an order is (source, order_id); orders = paid orders. An order of credit lines only (a
 *   cancelled invoice) gets a paid_orders row with status `credit`, 0 lines, 0 gross and its credit
 *   as refunds, so net revenue by month includes it; it is not a purchase: not counted in orders,
 *   customer_order_number 0, and first/last orders, recency, frequency and retention activity
 *   leave it out (customers whose only rows are credits are not buyers);
 * - as_of = the product's one as-of date (lib/as-of.ts: CRM_AS_OF, else today, else the last paid
 *   order's day when the data ends more than a week ago), so a historical data set is scored as of
 *   its own end and not as of today; orders after it are left out.
 *
 * paid_orders is built from transactions_resolved (the one full read of the 10M-line fact; the
 * as-of needs only its max date); the other
 * two are built from the snapshot of paid_orders just written, so all three agree with each other.
 */
/** The database as written in this SQL: checked by the product's name policy, then quoted. */
const dbIdent = (database: string): string => quoteIdent(checkName(database));

/** A return/credit line of its own (ingest's transactions.status `credit`): subtracted, never a purchase. */
export const CREDIT_STATUS = 'credit';
const PAID = `status IN (${[...PAID_STATUSES, CREDIT_STATUS].map((st) => `'${st}'`).join(', ')})`;
const CREDIT = `'${CREDIT_STATUS}'`;

/**
 * An incremental refresh's customers (semantic/derived/incremental.ts): `customers` are the resolved
 * ids whose rows are rebuilt, `raw` every id their facts are stored under (themselves and the ids
 * merged into them), so the fact table is read through its primary key instead of in full.
 */
export interface CustomerScope {
  customers: string[];
  raw: string[];
}

/**
 * paid_orders rows for a snapshot: of every customer (a full rebuild), or of the `scope` customers
 * only (an incremental overlay). The scoped source is transactions_resolved's own body (migration
 * 001: FINAL, then the one-hop alias map) over transactions_by_customer (migration 018: the same
 * lines, stored by customer) with the raw ids filtered first; everything after it is the same SQL,
 * so the overlay rows are what a full rebuild writes for those customers.
 */
/**
 * customers_resolved (migration 002: golden records FINAL, merged-away ids left out) for some
 * customers, with the filter on the sort key before FINAL (exact: a record's versions share their
 * customer_id). Through the view the filter ran after FINAL over every customer: 1.1 s → 0.1 s for
 * 700 of 500k customers under load.
 */
const resolvedCustomersIn = (db: string, ids: string): string => `(SELECT c.* FROM ${db}.customers AS c FINAL PREWHERE c.customer_id IN ${ids}
    WHERE c.customer_id NOT IN (
      SELECT from_id FROM (SELECT from_id, argMax(to_id, version) AS to_id FROM ${db}.customer_aliases GROUP BY from_id)
      WHERE to_id != '' AND to_id != from_id))`;

/** The transaction columns paid_orders reads (a scoped read skips the rest). */
const FACT_COLUMNS = 'source, order_id, customer_id, order_date, status, amount, quantity, channel, transaction_id';

export function paidOrdersInsert(database: string, snapshot: number, asOf: string, scope?: CustomerScope): BoundQuery {
  const db = dbIdent(database);
  const facts = scope
    ? `(SELECT t.* REPLACE (if(a.to_id != '', a.to_id, t.customer_id) AS customer_id)
    FROM (SELECT ${FACT_COLUMNS} FROM ${db}.transactions_by_customer FINAL PREWHERE customer_id IN {raw:Array(String)}
      -- transactions_by_customer (migration 018): the same lines, engine and sort key as transactions,
      -- kept by a materialized view, sorted by customer without month partitions and in 256-row
      -- granules, so these customers' lines are a few granules each instead of half of transactions.
      -- Exact: a line's versions share its customer_id, hence its partition (a hash of it), so
      -- filtering before FINAL drops all of a line's versions or none (the engine does not move it itself).
      SETTINGS do_not_merge_across_partitions_select_final = 1) AS t
    LEFT ANY JOIN (SELECT from_id, argMax(to_id, version) AS to_id FROM ${db}.customer_aliases GROUP BY from_id) AS a ON a.from_id = t.customer_id)`
    : `${db}.transactions_resolved`;
  const inScope = scope ? ' AND customer_id IN {customers:Array(String)}' : '';
  const customers = scope ? resolvedCustomersIn(db, '{customers:Array(String)}') : `${db}.customers_resolved`;
  // Grouped by a 64-bit hash of (source, order_id) and numbered per cityHash64(customer_id): hashing
  // strings once is several times cheaper than grouping and sorting on them (12 s → 4.6 s and
  // 18 s → 5.6 s at 10M lines on a busy 2-core machine); a collision among millions of orders is
  // practically impossible (p ≈ n² / 2^65). Inner aliases are prefixed: ClickHouse resolves an alias
  // before a column of the same name, even in WHERE.
  return {
    query: `INSERT INTO ${db}.paid_orders
SELECT {snapshot:UInt64}, o.o_source, o.o_order_id, o.o_customer_id, o.o_customer_key, o.o_date,
  multiIf(o.o_lines = 0, ${CREDIT}, o.o_refunded_lines = 0 AND o.o_credit_lines = 0, 'completed', o.o_refunded_lines = o.o_lines, 'refunded', 'partially_refunded'),
  o.o_channel, o.o_lines, o.o_quantity, o.o_gross, o.o_refunded, o.o_net,
  toUInt32(if(o.o_lines = 0, 0, countIf(o.o_lines > 0) OVER w)),
  -- The first purchase's month (a credit before it does not start a cohort); a customer with credits only: the first credit's.
  toStartOfMonth(if(countIf(o.o_lines > 0) OVER c_all > 0, minIf(o.o_date, o.o_lines > 0) OVER c_all, min(o.o_date) OVER c_all)),
  c.owner_id, c.region, c.acquisition_channel, c.customer_type
FROM (
  SELECT cityHash64(source, order_id) AS o_key, any(source) AS o_source, any(order_id) AS o_order_id,
    any(customer_id) AS o_customer_id, cityHash64(o_customer_id) AS o_customer_key, min(order_date) AS o_date,
    argMin(channel, transaction_id) AS o_channel, toUInt32(countIf(status != ${CREDIT})) AS o_lines,
    toUInt32(countIf(status = 'refunded')) AS o_refunded_lines, toUInt32(countIf(status = ${CREDIT})) AS o_credit_lines,
    toDecimal128(sumIf(quantity, status != ${CREDIT}), 8) AS o_quantity,
    toDecimal128(sumIf(amount, status != ${CREDIT}), 2) AS o_gross,
    toDecimal128(sumIf(amount, status IN ('refunded', ${CREDIT})), 2) AS o_refunded,
    toDecimal128(sumIf(amount, status = 'completed') - sumIf(amount, status = ${CREDIT}), 2) AS o_net
  FROM ${facts}
  WHERE ${PAID} AND toDate(order_date) <= {as_of:Date}${inScope}
  GROUP BY o_key
) AS o
LEFT JOIN ${customers} AS c ON c.customer_id = o.o_customer_id
WINDOW w AS (PARTITION BY o.o_customer_key ORDER BY o.o_date, o.o_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
  c_all AS (PARTITION BY o.o_customer_key)
SETTINGS join_use_nulls = 0`,
    query_params: { snapshot, as_of: asOf, ...(scope ? { raw: scope.raw, customers: scope.customers } : {}) },
  };
}

/**
 * An incremental refresh over an earlier incremental one (`previous`): the earlier overlay's
 * customers that did not change again stay in the overlay. Their derived rows are exact as that
 * refresh wrote them (nothing of theirs was written since it started: semantic/derived/changes.ts),
 * so a chain of refreshes costs each only the customers of its own loads, not everyone changed
 * since the full rebuild.
 */
export function carriedOverlayInsert(database: string, snapshot: number, previous: number, changed: string[]): BoundQuery {
  const db = dbIdent(database);
  return {
    query: `INSERT INTO ${db}.derived_overlay
SELECT {snapshot:UInt64}, customer_id FROM ${db}.derived_overlay
WHERE snapshot = {previous:UInt64} AND customer_id NOT IN {changed:Array(String)}`,
    query_params: { snapshot, previous, changed },
  };
}

/**
 * The earlier overlay's rows of its customers that did not change again, copied into the new
 * snapshot; the builders then write only the changed customers' rows (`only`). `SELECT *` leaves
 * out paid_orders' MATERIALIZED order_key (migration 017), which the insert computes again.
 */
export function carriedRowsInsert(
  database: string,
  table: 'paid_orders' | 'customer_value' | 'customer_retention',
  snapshot: number,
  previous: number,
  changed: string[],
): BoundQuery {
  const db = dbIdent(database);
  return {
    query: `INSERT INTO ${db}.${quoteIdent(table)}
SELECT {snapshot:UInt64}, * EXCEPT (snapshot) FROM ${db}.${quoteIdent(table)}
WHERE snapshot = {previous:UInt64} AND customer_id NOT IN {changed:Array(String)}`,
    query_params: { snapshot, previous, changed },
  };
}

/**
 * customer_value rows for a snapshot, without their scores: of every customer (a full rebuild), or
 * of the overlay's customers only (`overlay`: an incremental refresh, whose paid_orders snapshot
 * holds exactly their orders). Per customer the row is its golden record's attributes and its paid
 * orders' totals, so the overlay rows are what a full rebuild writes for those customers. The RFM
 * scores rank all buyers together: they are not stored per row but as cuts
 * (customerValueScoresInsert) that customer_value_current applies (migration 016).
 */
export function customerValueInsert(database: string, snapshot: number, asOf: string, overlay = false, only?: string[]): BoundQuery {
  const db = dbIdent(database);
  // `only`: of these overlay customers (a chained refresh's changed ones; the others are carried over).
  const customers = only
    ? resolvedCustomersIn(db, '{only:Array(String)}')
    : overlay
    ? resolvedCustomersIn(db, `(SELECT customer_id FROM ${db}.derived_overlay WHERE snapshot = {snapshot:UInt64})`)
    : `${db}.customers_resolved`;
  return {
    query: `INSERT INTO ${db}.customer_value
SELECT {snapshot:UInt64}, {as_of:Date}, c.customer_id, c.owner_id, c.region, c.acquisition_channel, c.customer_type,
  if(t.orders > 0, toNullable(t.first_order_at), NULL),
  if(t.orders > 0, toNullable(t.last_order_at), NULL),
  if(t.orders > 0, toNullable(toStartOfMonth(t.first_order_at)), NULL),
  toUInt32(t.orders), t.gross_revenue, t.refunded_revenue, t.net_revenue,
  if(t.orders > 0, toNullable(toUInt32(greatest(0, dateDiff('day', toDate(t.last_order_at), {as_of:Date})))), NULL),
  0, 0, 0, ''
FROM ${customers} AS c
LEFT JOIN (
  SELECT customer_id, minIf(order_date, lines > 0) AS first_order_at, maxIf(order_date, lines > 0) AS last_order_at, countIf(lines > 0) AS orders,
    sum(gross_revenue) AS gross_revenue, sum(refunded_revenue) AS refunded_revenue, sum(net_revenue) AS net_revenue
  FROM ${db}.paid_orders WHERE snapshot = {snapshot:UInt64}
  GROUP BY customer_id
) AS t ON t.customer_id = c.customer_id
SETTINGS join_use_nulls = 0`,
    query_params: { snapshot, as_of: asOf, ...(only ? { only } : {}) },
  };
}

/**
 * Days without a paid order after which a buyer is dormant: R ≤ 2 and only the dormant segments (Lost,
 * Hibernating, At Risk, Can't Lose); a buyer within it gets R ≥ 3 and never those. The same 180 days
 * as the dormancy rate (`customer_value.dormant_customers`, semantic/model/cubes/value/customer_value.yml),
 * so a segment never contradicts the cockpit's dormant count. Not the churn model's lapsed state
 * (its own active window, 365 days by default: models/README.md "Lapsed").
 */
export const RFM_ACTIVE_DAYS = 180;

/**
 * The snapshot's RFM cuts (customer_value_scores, migration 016), from every buyer the snapshot
 * shows: its own customer_value rows, plus, over a `base` full rebuild, the base's rows of every
 * customer not in the overlay. A score is 1 plus the number of cuts the value is beyond.
 *
 * F and M are quintiles among all buyers: with n buyers and k_s = ceil((s − 1) · n / 5), the cut for
 * score s is the k_s-th buyer's value in rank order (ascending); that equals 1 + floor(5 · (rank − 1) / n)
 * with rank() over the buyers (ties share the lowest rank): rank − 1 counts the buyers strictly
 * before, and that count reaches k_s exactly when the value is beyond the k_s-th value.
 *
 * R is not a quintile of all buyers: on a mostly dormant base (CDNOW: ~80 % of buyers lapsed) the
 * quintile put customers last seen 445 days ago at R = 3, in "Loyal". R is scored against the
 * customer's own population instead: a lapsed buyer (recency_days > RFM_ACTIVE_DAYS) gets
 * 1 + floor(2 · (rank − 1) / lapsed) among the lapsed (R 1–2), an active one
 * 3 + floor(3 · (rank − 1) / active) among the active (R 3–5), rank 1 = longest since the last order.
 * The same cut rule gives the four cuts (recency_days descending): the ceil(lapsed / 2)-th lapsed
 * value, RFM_ACTIVE_DAYS + 1, and the ceil(active / 3)-th and ceil(2 · active / 3)-th active values;
 * an empty group's cuts place nobody in it (recency_days < cut: RFM_ACTIVE_DAYS + 1 and 0).
 */
export function customerValueScoresInsert(database: string, snapshot: number, base?: number): BoundQuery {
  const db = dbIdent(database);
  const columns = 'recency_days, orders, net_revenue';
  const rowsOf =
    base === undefined
      ? `SELECT ${columns} FROM ${db}.customer_value WHERE snapshot = {snapshot:UInt64}`
      : `SELECT ${columns} FROM ${db}.customer_value WHERE snapshot = {snapshot:UInt64}
    UNION ALL
    SELECT ${columns} FROM ${db}.customer_value WHERE snapshot = {base:UInt64}
      AND customer_id NOT IN (SELECT customer_id FROM ${db}.derived_overlay WHERE snapshot = {snapshot:UInt64})`;
  const cut = (sorted: string) => `arrayMap(s -> ${sorted}[intDiv((s - 1) * length(${sorted}) + 4, 5)], [2, 3, 4, 5])`;
  const active = RFM_ACTIVE_DAYS;
  // k-th of `sorted` with k = ceil(part · n / parts); `none` when the group is empty.
  const nth = (sorted: string, part: number, parts: number, none: number) =>
    `if(empty(${sorted}), toUInt32(${none}), ${sorted}[intDiv(${part} * length(${sorted}) + ${parts - 1}, ${parts})])`;
  const recencyCuts = `[${nth('lapsed', 1, 2, active + 1)}, toUInt32(${active + 1}), ${nth('recent', 1, 3, 0)}, ${nth('recent', 2, 3, 0)}]`;
  return {
    query: `INSERT INTO ${db}.customer_value_scores
SELECT {snapshot:UInt64}, length(f), ${recencyCuts}, ${cut('f')}, ${cut('m')}
FROM (
  SELECT arrayReverseSort(groupArrayIf(assumeNotNull(recency_days), assumeNotNull(recency_days) > ${active})) AS lapsed,
    arrayReverseSort(groupArrayIf(assumeNotNull(recency_days), assumeNotNull(recency_days) <= ${active})) AS recent,
    arraySort(groupArray(orders)) AS f, arraySort(groupArray(net_revenue)) AS m
  FROM (
    ${rowsOf}
  )
  WHERE orders > 0
)`,
    query_params: { snapshot, ...(base === undefined ? {} : { base }) },
  };
}

/**
 * customer_retention rows of the customers whose paid_orders the snapshot holds: all of them after a
 * full rebuild, the overlay's after an incremental one (each customer's grid needs only its orders).
 */
export function customerRetentionInsert(database: string, snapshot: number, asOf: string, only?: string[]): BoundQuery {
  const db = dbIdent(database);
  return {
    query: `INSERT INTO ${db}.customer_retention
SELECT snapshot, customer_id, owner_id, region, acquisition_channel, customer_type, cohort_month,
  months_since, activity_month, is_active, orders, net_revenue, cohort_month_revenue
FROM (
  SELECT {snapshot:UInt64} AS snapshot, g.customer_id AS customer_id, g.owner_id AS owner_id, g.region AS region,
    g.acquisition_channel AS acquisition_channel, g.customer_type AS customer_type, g.cohort_month AS cohort_month,
    toUInt16(k) AS months_since, addMonths(g.cohort_month, k) AS activity_month,
    indexOf(g.months, activity_month) AS i, toUInt8(i > 0 AND g.month_orders[i] > 0) AS is_active,
    if(i > 0, g.month_orders[i], 0) AS orders,
    if(i > 0, g.month_revenue[i], toDecimal128(0, 2)) AS net_revenue,
    g.month_revenue[indexOf(g.months, g.cohort_month)] AS cohort_month_revenue
  FROM (
    SELECT customer_id, any(owner_id) AS owner_id, any(region) AS region, any(acquisition_channel) AS acquisition_channel,
      any(customer_type) AS customer_type, minIf(month, orders > 0) AS cohort_month,
      arraySort(groupArray(month)) AS months,
      arraySort((r, m) -> m, groupArray(revenue), groupArray(month)) AS month_revenue,
      arraySort((o, m) -> m, groupArray(orders), groupArray(month)) AS month_orders
    FROM (
      SELECT customer_id, any(owner_id) AS owner_id, any(region) AS region, any(acquisition_channel) AS acquisition_channel,
        any(customer_type) AS customer_type, toStartOfMonth(order_date) AS month,
        sum(net_revenue) AS revenue, toUInt32(countIf(lines > 0)) AS orders
      FROM ${db}.paid_orders WHERE snapshot = {snapshot:UInt64}${only ? ' AND customer_id IN {only:Array(String)}' : ''}
      GROUP BY customer_id, month
    )
    GROUP BY customer_id
    -- A month of credits only is not activity, and a customer with credits only has no cohort.
    HAVING max(orders) > 0
  ) AS g
  ARRAY JOIN range(toUInt32(dateDiff('month', g.cohort_month, toStartOfMonth({as_of:Date})) + 1)) AS k
)`,
    query_params: { snapshot, as_of: asOf, ...(only ? { only } : {}) },
  };
}

/**
 * A hash of the derived-table SQL. A snapshot records the hash it was written with; a refresh
 * after the definitions changed rebuilds everything instead of mixing old rows with new ones.
 */
export const DERIVED_DEFINITION: string = createHash('sha256')
  .update(
    [
      paidOrdersInsert('db', 0, '2000-01-01'),
      paidOrdersInsert('db', 0, '2000-01-01', { customers: [], raw: [] }),
      customerValueInsert('db', 0, '2000-01-01'),
      customerValueInsert('db', 0, '2000-01-01', true),
      customerValueScoresInsert('db', 0),
      customerValueScoresInsert('db', 0, 0),
      customerRetentionInsert('db', 0, '2000-01-01'),
    ]
      .map((q) => q.query)
      .join('\n;\n'),
  )
  .digest('hex')
  .slice(0, 16);
