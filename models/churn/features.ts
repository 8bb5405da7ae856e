/**
 * Churn features, computed in ClickHouse as of a cutoff. Every fact is read with a `< cutoff`
 * filter (the cutoff is a bound `{cutoff:Date}` parameter, never pasted), so what happened on or
 * after the cutoff cannot leak into a feature; only the optional label reads
 * [cutoff, cutoff + horizon). The SQL builder is pure and returns `{ query, query_params }`.
 *
 * Point-in-time caveats the schema imposes (documented in models/README.md):
 * - an order's status is its current state (there is no refund date), so pre-cutoff orders are
 *   counted when "placed" (a purchase status or `refunded`): a refund issued after the cutoff does
 *   not move recency, frequency or spend; `refunds_365d` does see it.
 * - an opportunity counts as open at the cutoff when created before it and not closed before it.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { BoundQuery } from '../../lib/warehouse/sql.ts';
import { parseDay, resolveDefinition, type ChurnDefinition } from './definition.ts';
import { TsvColumnReader } from './tsv-columns.ts';

export interface FeatureSpec {
  name: string;
  /** Expression over the named sub-queries of the feature query (tx, ix, op, cm, cu). */
  expr: string;
  description: string;
  /** True when NULL (NaN in TypeScript) is a meaningful "not known" (no CSAT, no previous spend). */
  nullable?: boolean;
}

/** Interaction types that count as a two-way contact with the customer. */
export const CONTACT_TYPES = ['call', 'meeting', 'chat', 'support_ticket', 'complaint'] as const;

const n0 = (e: string): string => `toFloat64(ifNull(${e}, 0))`;

/**
 * The feature list, in matrix column order. Names are the model's vocabulary: the registry stores
 * them with every model, and reasons.ts words each of them.
 */
export const FEATURES: readonly FeatureSpec[] = [
  { name: 'recency_days', expr: 'toFloat64(tx.recency_days)', description: 'days since the last order' },
  { name: 'orders_90d', expr: n0('tx.orders_90d'), description: 'orders in the last 90 days' },
  { name: 'orders_prev_90d', expr: n0('tx.orders_prev_90d'), description: 'orders 91-180 days before the cutoff' },
  { name: 'orders_365d', expr: n0('tx.orders_365d'), description: 'orders in the last 365 days' },
  { name: 'orders_total', expr: n0('tx.orders_total'), description: 'orders ever' },
  { name: 'revenue_90d', expr: n0('tx.revenue_90d'), description: 'order value in the last 90 days' },
  { name: 'revenue_prev_90d', expr: n0('tx.revenue_prev_90d'), description: 'order value 91-180 days before the cutoff' },
  { name: 'revenue_365d', expr: n0('tx.revenue_365d'), description: 'order value in the last 365 days' },
  { name: 'aov_365d', expr: 'toFloat64(tx.revenue_365d / nullIf(tx.orders_365d, 0))', description: 'average order value, last 365 days', nullable: true },
  {
    name: 'spend_change_90d',
    expr: 'toFloat64(tx.revenue_90d / nullIf(tx.revenue_prev_90d, 0) - 1)',
    description: 'last 90 days spend vs the 90 days before (−1 = stopped, +0.5 = up 50%); NULL without earlier spend',
    nullable: true,
  },
  { name: 'tenure_days', expr: 'toFloat64(tx.tenure_days)', description: 'days since the first order' },
  {
    name: 'order_gap_days',
    expr: 'toFloat64((tx.tenure_days - tx.recency_days) / nullIf(tx.orders_total - 1, 0))',
    description: 'average days between orders; NULL with one order',
    nullable: true,
  },
  {
    name: 'overdue_ratio',
    expr: 'toFloat64(tx.recency_days / nullIf((tx.tenure_days - tx.recency_days) / nullIf(tx.orders_total - 1, 0), 0))',
    description: 'days since the last order divided by the usual gap between orders',
    nullable: true,
  },
  // Rhythm: the customer's own gaps between purchase days, and where today's silence sits in them.
  {
    name: 'gap_cv',
    expr: 'toFloat64(tx.gap_cv)',
    description: 'coefficient of variation of the gaps between purchase days (0 = clockwork); NULL with fewer than two gaps',
    nullable: true,
  },
  { name: 'gap_max_days', expr: 'toFloat64(tx.gap_max_days)', description: 'longest gap between two purchase days; NULL with one purchase day', nullable: true },
  {
    // The BG/NBD's unit (several orders on one day are one purchase day): the forecast reason reads
    // its expected purchase days against this pace, not against order_gap_days, which counts orders.
    name: 'purchase_day_gap_days',
    expr: 'toFloat64(tx.gap_mean_days)',
    description: 'average days between purchase days; NULL with one purchase day',
    nullable: true,
  },
  {
    name: 'recency_over_max_gap',
    expr: 'toFloat64(tx.recency_days / nullIf(tx.gap_max_days, 0))',
    description: 'days since the last order divided by the longest gap the customer ever came back from',
    nullable: true,
  },
  {
    name: 'recency_gap_z',
    expr: 'toFloat64(tx.gap_z)',
    description: 'days since the last order minus the usual gap, in standard deviations of the gaps; NULL with fewer than two gaps',
    nullable: true,
  },
  // Trends: the last half year against the half year before.
  {
    name: 'order_trend_180d',
    expr: 'toFloat64((tx.orders_180d - tx.orders_prev_180d) / nullIf(tx.orders_180d + tx.orders_prev_180d, 0))',
    description: 'orders in the last 180 days vs the 180 before, (a − b)/(a + b): −1 = stopped, +1 = new; NULL with neither',
    nullable: true,
  },
  {
    name: 'spend_trend_180d',
    expr: 'toFloat64((tx.revenue_180d - tx.revenue_prev_180d) / nullIf(tx.revenue_180d + tx.revenue_prev_180d, 0))',
    description: 'spend in the last 180 days vs the 180 before, (a − b)/(a + b); NULL with neither',
    nullable: true,
  },
  { name: 'active_months_365d', expr: n0('tx.active_months_365d'), description: 'calendar months with an order in the last 365 days' },
  // Seasonality: did the customer buy in the same window (the horizon after the cutoff) a year ago?
  {
    name: 'orders_same_window_last_year',
    expr: n0('tx.orders_same_window_last_year'),
    description: 'orders in the horizon-long window starting 365 days before the cutoff (capped at the cutoff)',
  },
  { name: 'refunds_365d', expr: n0('tx.refunds_365d'), description: 'refunded orders among those placed in the last 365 days' },
  { name: 'support_tickets_90d', expr: n0('ix.support_tickets_90d'), description: 'support tickets in the last 90 days' },
  { name: 'complaints_90d', expr: n0('ix.complaints_90d'), description: 'complaints in the last 90 days' },
  { name: 'complaints_30d', expr: n0('ix.complaints_30d'), description: 'complaints in the last 30 days' },
  { name: 'calls_90d', expr: n0('ix.calls_90d'), description: 'calls in the last 90 days' },
  { name: 'meetings_90d', expr: n0('ix.meetings_90d'), description: 'meetings in the last 90 days' },
  { name: 'web_visits_90d', expr: n0('ix.web_visits_90d'), description: 'web visits in the last 90 days' },
  { name: 'chats_90d', expr: n0('ix.chats_90d'), description: 'chats in the last 90 days' },
  { name: 'csat_avg_180d', expr: 'toFloat64(ix.csat_avg_180d)', description: 'average satisfaction score (1-5), last 180 days', nullable: true },
  { name: 'emails_sent_90d', expr: n0('ix.emails_sent_90d'), description: 'e-mails sent to the customer in the last 90 days' },
  {
    name: 'email_open_rate_90d',
    expr: 'toFloat64(ix.email_open_rate_90d)',
    description: 'e-mail opens per e-mail sent, last 90 days',
    nullable: true,
  },
  {
    name: 'email_click_rate_90d',
    expr: 'toFloat64(ix.email_click_rate_90d)',
    description: 'e-mail clicks per e-mail sent, last 90 days',
    nullable: true,
  },
  { name: 'days_since_last_contact', expr: 'toFloat64(ix.days_since_last_contact)', description: `days since the last ${CONTACT_TYPES.join('/')}`, nullable: true },
  { name: 'days_since_last_interaction', expr: 'toFloat64(ix.days_since_last_interaction)', description: 'days since any recorded interaction', nullable: true },
  {
    name: 'campaign_responses_365d',
    expr: 'toFloat64(greatest(ifNull(cm.responses_365d, 0), ifNull(ix.campaign_responses_365d, 0)))',
    description: 'campaign responses in the last 365 days (campaign members or interactions, whichever records more)',
  },
  { name: 'open_deals', expr: n0('op.open_deals'), description: 'deals open at the cutoff' },
  { name: 'lost_deals_365d', expr: n0('op.lost_deals_365d'), description: 'deals lost in the last 365 days' },
  { name: 'won_deals_365d', expr: n0('op.won_deals_365d'), description: 'deals won in the last 365 days' },
  { name: 'is_b2b', expr: n0('cu.is_b2b'), description: '1 for business customers' },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

/**
 * Who gets a row:
 * - `definition`: the churn definition's population (bought in its active window), for training
 *   and evaluation;
 * - `buyers`: everyone who placed an order before the cutoff, for scoring (customers who lapsed
 *   longer ago still get a score instead of keeping a stale one).
 */
export type Population = 'definition' | 'buyers';

export interface FeatureQueryOptions {
  /** YYYY-MM-DD; facts strictly before this day are features. */
  cutoff: string;
  definition?: Partial<ChurnDefinition>;
  population?: Population;
  /** Add `churned` (UInt8) from [cutoff, cutoff + horizon). Never set when scoring. */
  withLabels?: boolean;
  /** Restrict to these customers (tests, spot checks). */
  customerIds?: string[];
  /**
   * Leave out customers without profiling consent (issue 16; migration 012's consent_current, the
   * newest event wins), given what applies to a customer with no profiling event: `granted` drops
   * those who withdrew, `denied` keeps only those who granted. Scoring sets it
   * (CRM_CONSENT_PROFILING_DEFAULT); unset reads everyone.
   */
  profilingConsent?: 'granted' | 'denied';
  /**
   * Only the customers whose resolved id is in [from, below) (an absent end is open): scoring reads
   * the population in such ranges (featureRanges) so it can score one while the engine computes the
   * next. Each range's query reads only its part of every fact table (their primary keys start with
   * customer_id) plus the lines of the aliases that resolve into it.
   */
  range?: IdRange;
  /** The warehouse is a cluster (Distributed tables): the alias join and set are GLOBAL, as in the *_resolved views. */
  onCluster?: boolean;
  /**
   * Rows in customer_id order (default true: training, exports and tests read them so). Scoring
   * turns it off: nothing it stores depends on the order, and sorting a million String ids is
   * ≈ 2 CPU-s of the engine's (models/churn/README.md).
   */
  ordered?: boolean;
}

/** Resolved customer ids from `from` (inclusive) to `below` (exclusive); an absent end is open. */
export interface IdRange {
  from?: string;
  below?: string;
}

/** The customer_aliases map as the *_resolved views read it (migrations/001-core.ts: the newest version of each alias wins). */
const ALIAS_MAP = 'SELECT from_id, argMax(to_id, version) AS to_id FROM customer_aliases GROUP BY from_id';

/**
 * A fact table with its customers resolved, as `<table>_resolved` (001-core.ts) gives it, reading
 * only what a range of resolved ids needs. The view cannot be filtered before its join (the
 * resolved id depends on the alias), so a range read through it scans every line: four ranges read
 * the 9M lines of a million customers four times (≈ 3 CPU-s, models/churn/README.md, session 10).
 * Here the lines are cut before the join to those whose own id is in the range or is an alias that
 * resolves into it — a superset of the range's customers, which the primary key (customer_id
 * first) reads by granules — and the caller's filter on the resolved id keeps exactly the range.
 * The body is the view's: FINAL, the same alias map, the same LEFT ANY JOIN and if().
 */
function resolvedSource(table: string, range: IdRange | undefined, global: string): string {
  if (!range || (range.from === undefined && range.below === undefined)) return `${table}_resolved`;
  const within = (col: string): string =>
    [range.from === undefined ? '' : `${col} >= {range_from:String}`, range.below === undefined ? '' : `${col} < {range_below:String}`].filter(Boolean).join(' AND ');
  return `(SELECT t.* REPLACE (if(a.to_id != '', a.to_id, t.customer_id) AS customer_id)
      FROM ${table} AS t FINAL
      ${global}LEFT ANY JOIN (${ALIAS_MAP}) AS a ON a.from_id = t.customer_id
      WHERE (${within('t.customer_id')}) OR t.customer_id ${global}IN (SELECT from_id FROM (${ALIAS_MAP}) WHERE to_id != '' AND ${within('to_id')}))`;
}

/**
 * Up to `count` ranges of customer ids that cover every id, of about equal numbers of customers
 * (bounds from a sample of ~16k ids of the customers table, taken by hash). Only the balance depends
 * on the sample: the ranges always cover every id exactly once. Fewer ranges come back when the
 * sample has fewer distinct ids (a small or empty table: one range, everyone).
 */
export async function featureRanges(warehouse: Warehouse, count: number): Promise<IdRange[]> {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`count must be an integer >= 1, got ${count}`);
  if (count === 1) return [{}];
  const rows = await (
    await warehouse.client.query({
      query: `SELECT arraySort(groupUniqArray(customer_id)) AS ids FROM customers
        WHERE cityHash64(customer_id) % greatest(1, intDiv((SELECT count() FROM customers), 16384)) = 0`,
      format: 'JSONEachRow',
    })
  ).json<{ ids: string[] }>();
  const ids = rows[0]?.ids ?? [];
  const bounds: string[] = [];
  for (let k = 1; k < count; k++) {
    const b = ids[Math.floor((k * ids.length) / count)];
    // Strictly increasing bounds (the sample is sorted and distinct; a small one repeats an index).
    if (b !== undefined && b !== bounds[bounds.length - 1]) bounds.push(b);
  }
  return [...bounds, undefined].map((below, k) => ({ from: k === 0 ? undefined : bounds[k - 1], below }));
}

/** Statuses of orders that were placed and paid before the cutoff (see the header comment). */
export function placedStatuses(d: ChurnDefinition): string[] {
  return [...new Set([...d.purchaseStatuses, 'refunded'])];
}

const C = '{cutoff:Date}';
const since = (days: number): string => `subtractDays(${C}, ${days})`;

/** The population filter of profiling consent (see FeatureQueryOptions.profilingConsent); consent is as of now, not the cutoff. */
function profilingFilter(byDefault: 'granted' | 'denied' | undefined): string {
  if (byDefault === undefined) return '';
  const subject = "SELECT customer_id FROM consent_current WHERE purpose = 'profiling'";
  return byDefault === 'granted' ? ` AND customer_id NOT IN (${subject} AND status = 'withdrawn')` : ` AND customer_id IN (${subject} AND status = 'granted')`;
}

/** Pure: the feature (and label) query for one cutoff. Output columns: customer_id, FEATURES…, [churned]. */
export function buildFeatureQuery(opts: FeatureQueryOptions): BoundQuery {
  const cutoff = parseDay(opts.cutoff, 'cutoff');
  const d = resolveDefinition(opts.definition);
  const population = opts.population ?? 'definition';
  const range = opts.range;
  for (const end of ['from', 'below'] as const) {
    if (range?.[end] !== undefined && typeof range[end] !== 'string') throw new TypeError(`range.${end} must be a string, got ${JSON.stringify(range[end])}`);
  }
  const global = opts.onCluster ? 'GLOBAL ' : '';
  const src = (table: string): string => resolvedSource(table, range, global);
  const idFilter =
    (opts.customerIds ? ' AND customer_id IN {customer_ids:Array(String)}' : '') +
    (range?.from !== undefined ? ' AND customer_id >= {range_from:String}' : '') +
    (range?.below !== undefined ? ' AND customer_id < {range_below:String}' : '') +
    profilingFilter(opts.profilingConsent);

  // Customers are grouped and joined on 64-bit hashes (cityHash64 of the customer; orders on
  // cityHash64(customer, order)), not on the String ids: hashing each string once is far cheaper
  // than grouping, joining and comparing strings. The derived paid_orders table keys orders and
  // customers the same way (semantic/derived/sql.ts): a collision needs p ≈ n² / 2^65 (≈ 3·10⁻⁸ for
  // a million customers). Inner aliases are prefixed: ClickHouse resolves an alias before a column
  // of the same name, even in WHERE.
  // l_cents: the amount's Decimal(18, 2) as its raw Int64 count of cents, so that groupArray keeps it
  // in a plain numeric array (a Decimal or a tuple goes through groupArray's generic path, one
  // serialized arena node per line: ≈ 2 CPU-s of 9M lines, models/churn/README.md, session 10).
  const lines = `lines AS (
    SELECT customer_id AS l_customer, cityHash64(customer_id) AS ck, cityHash64(customer_id, order_id) AS l_order,
           order_date AS l_at, reinterpretAsInt64(amount) AS l_cents, status = 'refunded' AS l_refunded
    FROM ${src('transactions')}
    WHERE order_date < ${C} AND status IN {placed_statuses:Array(String)}${idFilter}
  )`;
  // The population is tx itself (HAVING), so the lines are scanned once: ClickHouse inlines a
  // CTE at every reference, and an `IN (SELECT … FROM population)` in each sub-query would
  // re-read the transactions every time. The other sub-queries aggregate every customer and the
  // LEFT JOINs on tx keep the population's rows.
  const having =
    population === 'definition' ? `\n    HAVING arrayCount(d -> d >= subtractDays(${C}, {active_window_days:UInt32}), day) >= {min_orders:UInt32}` : '';
  // One aggregation of the lines by customer, into one array each; orders and every figure are
  // then computed from that array. The engine's aggregates touch each group's state once per row
  // and per function: the order-level GROUP BY (9M orders at 1M customers) and the ~20 countIf /
  // sumIf per customer after it were ~25 random accesses per line into hundreds of MB of state, the
  // bulk of this query's CPU; array functions walk each customer's values in sequence. An order is
  // its lines with the same key, sorted together and cut where the key changes (arraySplit): its
  // day is its first line's day, its value the sum of its lines, refunded if any line is — what the
  // GROUP BY order_key gave. Same output bytes at 1M customers and on lines with several per order,
  // statuses and aliases (models/churn/README.md, session 8).
  const tx = `tx AS (
    SELECT ck, any(l_customer) AS cid,
      -- four numeric groupArrays of one aggregation receive the lines in the same order (zipped back here)
      arraySort(x -> x.1, arrayZip(groupArray(l_order), groupArray(l_at), groupArray(l_cents), groupArray(l_refunded))) AS ls,
      arraySplit((x, first) -> first, ls, arrayMap((a, b) -> a != b, ls.1, arrayPushFront(arrayPopBack(ls.1), bitNot(ls.1[1])))) AS os,
      arrayMap(o -> toDate(arrayMin(o.2)), os) AS day,
      -- an order's value in cents, summed in Int128 as arraySum summed the Decimal(18, 2) amounts (into
      -- Decimal128): no overflow, and toFloat64(cents) / 100 is how ClickHouse turns that Decimal into
      -- a Float64 (the raw integer's double over 100.0), so the revenue features keep their bits
      arrayMap(o -> arraySum(c -> toInt128(c), o.3), os) AS value,
      arrayMap(o -> arrayMax(o.4), os) AS refunded,
      arraySort(day) AS days_sorted,
      dateDiff('day', days_sorted[-1], ${C}) AS recency_days,
      dateDiff('day', days_sorted[1], ${C}) AS tenure_days,
      length(day) AS orders_total,
      arrayCount(d -> d >= ${since(90)}, day) AS orders_90d,
      arrayCount(d -> d >= ${since(180)} AND d < ${since(90)}, day) AS orders_prev_90d,
      arrayCount(d -> d >= ${since(365)}, day) AS orders_365d,
      toFloat64(arraySum(arrayFilter((v, d) -> d >= ${since(90)}, value, day))) / 100 AS revenue_90d,
      toFloat64(arraySum(arrayFilter((v, d) -> d >= ${since(180)} AND d < ${since(90)}, value, day))) / 100 AS revenue_prev_90d,
      toFloat64(arraySum(arrayFilter((v, d) -> d >= ${since(365)}, value, day))) / 100 AS revenue_365d,
      arrayCount((r, d) -> r AND d >= ${since(365)}, refunded, day) AS refunds_365d,
      arrayCount(d -> d >= ${since(180)}, day) AS orders_180d,
      arrayCount(d -> d >= ${since(360)} AND d < ${since(180)}, day) AS orders_prev_180d,
      toFloat64(arraySum(arrayFilter((v, d) -> d >= ${since(180)}, value, day))) / 100 AS revenue_180d,
      toFloat64(arraySum(arrayFilter((v, d) -> d >= ${since(360)} AND d < ${since(180)}, value, day))) / 100 AS revenue_prev_180d,
      -- calendar months with an order in the last 365 days: distinct months of the sorted days
      length(arrayCompact(arrayMap(d -> toRelativeMonthNum(d), arrayFilter(d -> d >= ${since(365)}, days_sorted)))) AS active_months_365d,
      arrayCount(d -> d >= ${since(365)} AND d < subtractDays(${C}, {season_end_days:UInt32}), day) AS orders_same_window_last_year,
      -- gaps in days between consecutive distinct purchase days (several orders on one day are one visit)
      arrayPopFront(arrayDifference(arrayMap(d -> toInt64(toRelativeDayNum(d)), arrayCompact(days_sorted)))) AS gaps,
      length(gaps) AS n_gaps,
      toFloat64(arraySum(gaps)) AS gaps_sum,
      -- stddevPop as ClickHouse computes it (sqrt of max(0, (Σx² − (Σx)²/n) / n) in Float64; the sums
      -- are exact integers), without an aggregate state per customer: the same bits as arrayReduce
      toFloat64(arraySum(g -> g * g, gaps)) AS gaps_sq,
      sqrt(greatest(0., (gaps_sq - gaps_sum * gaps_sum / n_gaps) / n_gaps)) AS gaps_sd,
      if(n_gaps = 0, NULL, toFloat64(arrayMax(gaps))) AS gap_max_days,
      if(n_gaps = 0, NULL, gaps_sum / n_gaps) AS gap_mean_days,
      if(n_gaps < 2, NULL, gaps_sd / (gaps_sum / n_gaps)) AS gap_cv,
      if(n_gaps < 2 OR gaps_sd = 0, NULL, (recency_days - gaps_sum / n_gaps) / gaps_sd) AS gap_z
    FROM lines
    GROUP BY ck${having}
  )`;
  const ix = `ix AS (
    SELECT cityHash64(customer_id) AS ck,
      countIf(type = 'support_ticket' AND occurred_at >= ${since(90)}) AS support_tickets_90d,
      countIf(type = 'complaint' AND occurred_at >= ${since(90)}) AS complaints_90d,
      countIf(type = 'complaint' AND occurred_at >= ${since(30)}) AS complaints_30d,
      countIf(type = 'call' AND occurred_at >= ${since(90)}) AS calls_90d,
      countIf(type = 'meeting' AND occurred_at >= ${since(90)}) AS meetings_90d,
      countIf(type = 'web_visit' AND occurred_at >= ${since(90)}) AS web_visits_90d,
      countIf(type = 'chat' AND occurred_at >= ${since(90)}) AS chats_90d,
      if(countIf(csat IS NOT NULL AND occurred_at >= ${since(180)}) = 0, NULL,
         avgIf(toFloat64(assumeNotNull(csat)), csat IS NOT NULL AND occurred_at >= ${since(180)})) AS csat_avg_180d,
      countIf(type = 'email_sent' AND occurred_at >= ${since(90)}) AS emails_sent_90d,
      if(emails_sent_90d = 0, NULL, least(countIf(type = 'email_open' AND occurred_at >= ${since(90)}) / emails_sent_90d, 1)) AS email_open_rate_90d,
      if(emails_sent_90d = 0, NULL, least(countIf(type = 'email_click' AND occurred_at >= ${since(90)}) / emails_sent_90d, 1)) AS email_click_rate_90d,
      countIf(type = 'campaign_response' AND occurred_at >= ${since(365)}) AS campaign_responses_365d,
      if(countIf(type IN {contact_types:Array(String)}) = 0, NULL,
         dateDiff('day', toDate(maxIf(occurred_at, type IN {contact_types:Array(String)})), ${C})) AS days_since_last_contact,
      toNullable(dateDiff('day', toDate(max(occurred_at)), ${C})) AS days_since_last_interaction
    FROM ${src('interactions')}
    WHERE occurred_at < ${C}${idFilter}
    GROUP BY ck
  )`;
  const op = `op AS (
    SELECT cityHash64(customer_id) AS ck,
      countIf(NOT ifNull(closed_at < ${C}, false)) AS open_deals, -- not closed before the cutoff
      countIf(status = 'lost' AND closed_at < ${C} AND closed_at >= ${since(365)}) AS lost_deals_365d,
      countIf(status = 'won' AND closed_at < ${C} AND closed_at >= ${since(365)}) AS won_deals_365d
    FROM ${src('opportunities')}
    WHERE created_at < ${C}${idFilter}
    GROUP BY ck
  )`;
  const cm = `cm AS (
    SELECT cityHash64(customer_id) AS ck,
      countIf(responded_at IS NOT NULL AND responded_at < ${C} AND responded_at >= ${since(365)}) AS responses_365d
    FROM ${src('campaign_members')}
    WHERE added_at < ${C}${idFilter}
    GROUP BY ck
  )`;
  const cu = `cu AS (
    SELECT cityHash64(customer_id) AS ck, toUInt8(customer_type = 'business') AS is_b2b
    FROM customers FINAL${idFilter ? `\n    WHERE ${idFilter.slice(' AND '.length)}` : ''}
  )`;
  const ctes = [lines, tx, ix, op, cm, cu];
  const labelJoin: string[] = [];
  const labelCol: string[] = [];
  if (opts.withLabels) {
    ctes.push(`lbl AS (
    SELECT cityHash64(customer_id) AS ck, uniqExact(order_id) AS orders_after
    FROM ${src('transactions')}
    WHERE order_date >= ${C} AND order_date < addDays(${C}, {horizon_days:UInt32})
      AND status IN {purchase_statuses:Array(String)}${idFilter}
    GROUP BY ck
  )`);
    labelJoin.push('LEFT JOIN lbl ON lbl.ck = tx.ck');
    labelCol.push('toUInt8(ifNull(lbl.orders_after, 0) = 0) AS churned');
  }
  // No join_use_nulls (the *_resolved views refuse it): a customer without rows on the right gets
  // 0 for counts, and NULL for the sub-query columns that are Nullable on purpose.
  const select = ['tx.cid AS customer_id', ...FEATURES.map((f) => `${f.expr} AS ${f.name}`), ...labelCol];
  const query = `WITH
  ${ctes.join(',\n  ')}
SELECT
  ${select.join(',\n  ')}
FROM tx
LEFT JOIN ix ON ix.ck = tx.ck
LEFT JOIN op ON op.ck = tx.ck
LEFT JOIN cm ON cm.ck = tx.ck
LEFT JOIN cu ON cu.ck = tx.ck
${labelJoin.join('\n')}${opts.ordered === false ? '' : '\nORDER BY customer_id'}`;

  const query_params: Record<string, unknown> = {
    cutoff,
    placed_statuses: placedStatuses(d),
    contact_types: [...CONTACT_TYPES],
    // The seasonality window is [cutoff − 365, cutoff − 365 + horizon), capped at the cutoff: its end
    // is bound as days before the cutoff, so no feature expression ever reaches past the cutoff.
    season_end_days: Math.max(0, 365 - d.horizonDays),
  };
  if (population === 'definition') {
    query_params.active_window_days = d.activeWindowDays;
    query_params.min_orders = d.minOrdersInWindow;
  }
  if (opts.withLabels) {
    query_params.horizon_days = d.horizonDays;
    query_params.purchase_statuses = d.purchaseStatuses;
  }
  if (opts.customerIds) query_params.customer_ids = opts.customerIds;
  if (range?.from !== undefined) query_params.range_from = range.from;
  if (range?.below !== undefined) query_params.range_below = range.below;
  return { query, query_params };
}

/** A feature matrix in memory: column-major, NaN for missing, rows in customer_id order. */
export interface FeatureSet {
  cutoff: string;
  features: string[];
  customerIds: string[];
  /** columns[j][i]: feature j of customer i. */
  columns: Float64Array[];
  /** 1 = churned; present when loaded withLabels. */
  labels?: Uint8Array;
}

export interface LoadOptions extends FeatureQueryOptions {
  onProgress?: (rows: number) => void;
}

/**
 * Runs the feature query and streams the rows into typed columns: TabSeparated bytes cut into
 * Float64Arrays as they arrive (tsv-columns.ts; the same numbers JSONCompactEachRow gave, at a
 * fraction of the CPU per row).
 */
export async function loadFeatures(warehouse: Warehouse, opts: LoadOptions): Promise<FeatureSet> {
  const { query, query_params } = buildFeatureQuery({ onCluster: warehouse.cluster !== undefined, ...opts });
  const nf = FEATURES.length;
  const reader = new TsvColumnReader(nf + (opts.withLabels ? 1 : 0), 1 << 14);
  const { stream } = await warehouse.client.exec({ query: `${query}\nFORMAT TabSeparated`, query_params });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const before = reader.rows;
    reader.push(chunk);
    if (reader.rows !== before) opts.onProgress?.(reader.rows);
  }
  const { keys, columns } = reader.finish();
  const set: FeatureSet = {
    cutoff: opts.cutoff,
    features: [...FEATURE_NAMES],
    customerIds: keys,
    columns: columns.slice(0, nf),
  };
  if (opts.withLabels) set.labels = Uint8Array.from(columns[nf]);
  return set;
}

/**
 * The feature query's rows in blocks of about `blockRows` as they stream in: `onBlock` gets each
 * block (the same rows, order and values as loadFeatures) and the next is read only after it
 * resolves. Scoring works on a block while the engine writes the rest.
 */
export async function streamFeatures(
  warehouse: Warehouse,
  opts: FeatureQueryOptions,
  blockRows: number,
  onBlock: (block: FeatureSet) => Promise<void> | void,
): Promise<number> {
  if (opts.withLabels) throw new Error('streamFeatures reads scoring features only (no labels)');
  const { query, query_params } = buildFeatureQuery({ onCluster: warehouse.cluster !== undefined, ...opts });
  // TabSeparatedWithNames (the header line skipped), not TabSeparated: the embedded endpoint streams
  // a TabSeparated answer, and chDB's StreamQuery computes its first block — here the whole
  // GROUP BY and ORDER BY, seconds per shard at 1M customers — synchronously on this thread,
  // which then cannot score the shard before it; a format with a header runs whole on a libuv
  // thread (lib/warehouse/embedded/run-request.ts), so the engine computes this shard while this
  // thread scores the last one. A server streams either format alike.
  const reader = new TsvColumnReader(FEATURES.length, Math.min(blockRows, 1 << 16), 1);
  const { stream } = await warehouse.client.exec({ query: `${query}\nFORMAT TabSeparatedWithNames`, query_params });
  let rows = 0;
  const emit = async (cols: { keys: string[]; columns: Float64Array[] }): Promise<void> => {
    if (cols.keys.length === 0) return;
    rows += cols.keys.length;
    await onBlock({ cutoff: opts.cutoff, features: [...FEATURE_NAMES], customerIds: cols.keys, columns: cols.columns });
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    reader.push(chunk);
    if (reader.rows >= blockRows) await emit(reader.take());
  }
  await emit(reader.finish());
  return rows;
}

/** The feature values of row i as a name → value record (reasons, the CLI, tests). */
export function rowValues(set: FeatureSet, i: number): Record<string, number> {
  const out: Record<string, number> = {};
  set.features.forEach((name, j) => (out[name] = set.columns[j][i]));
  return out;
}
