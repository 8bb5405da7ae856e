import type { TableDef, ViewDef } from './ddl.ts';

/**
 * Semantic layer (issue 3): what the Cube models read besides the core *_resolved views.
 *
 * Per-customer figures that need the whole history of a customer (RFM quintiles, cohorts, LTV)
 * are too slow to compute per query at 10M transactions (RFM ≈1 s, cohort retention 1–3.6 s on
 * two cores), so they are tables rebuilt by `refreshDerived()` (semantic/derived/refresh.ts) after
 * each ingest and on a schedule. A rebuild writes a new `snapshot` partition and then commits it in
 * `derived_snapshots`; the `*_current` views read only the newest committed snapshot, so readers
 * never see a half-written rebuild, and older partitions are dropped afterwards (a cheap,
 * metadata-only operation).
 */
export const derivedSnapshots: TableDef = {
  name: 'derived_snapshots',
  columns: [
    "table_name LowCardinality(String) COMMENT 'paid_orders | customer_value | customer_retention'",
    "snapshot UInt64 COMMENT 'ms since epoch when the rebuild started; the partition it wrote'",
    "as_of Date COMMENT 'reference day: the last day with a paid order'",
    'rows UInt64',
    'committed_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'MergeTree',
  orderBy: '(table_name, snapshot)',
  shardingKey: 'cityHash64(table_name)',
  why: 'Commit log of derived-table rebuilds: a snapshot is visible only once its row is here, so a rebuild in progress (or one that crashed) is never read.',
};

export const paidOrders: TableDef = {
  name: 'paid_orders',
  columns: [
    'snapshot UInt64',
    'source LowCardinality(String)',
    'order_id String',
    'customer_id String',
    "customer_key UInt64 COMMENT 'cityHash64(customer_id): distinct counts on an integer are several times faster'",
    "order_date DateTime COMMENT 'first line of the order'",
    "status LowCardinality(String) COMMENT 'completed | refunded | partially_refunded'",
    'channel LowCardinality(String)',
    'lines UInt32',
    'quantity UInt64',
    "gross_revenue Decimal(18, 2) COMMENT 'paid lines, refunds included'",
    'refunded_revenue Decimal(18, 2)',
    "net_revenue Decimal(18, 2) COMMENT 'completed lines only'",
    "customer_order_number UInt32 COMMENT '1 for the customer''s first paid order'",
    "cohort_month Date COMMENT 'month of the customer''s first paid order'",
    "owner_id String COMMENT 'as of the rebuild; security filters use the live customers table instead'",
    'region LowCardinality(String)',
    'acquisition_channel LowCardinality(String)',
    'customer_type LowCardinality(String)',
  ],
  engine: 'MergeTree',
  partitionBy: 'snapshot',
  orderBy: '(order_date, customer_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'One row per paid order (completed or refunded lines), deduplicated and alias-resolved, with the customer attributes the cockpit filters on. Reading transactions_resolved costs ≈1 s at 10M lines (FINAL plus the alias join) and exact distinct order counts 2–6 s; here orders are rows (a plain count) and revenue trends scan half the rows with no join.',
};

export const customerValue: TableDef = {
  name: 'customer_value',
  columns: [
    'snapshot UInt64',
    'as_of Date',
    'customer_id String',
    "owner_id String COMMENT 'as of the rebuild; security filters use the live customers table instead'",
    'region LowCardinality(String)',
    'acquisition_channel LowCardinality(String)',
    'customer_type LowCardinality(String)',
    "first_order_at Nullable(DateTime) COMMENT 'first paid order (completed or later refunded)'",
    'last_order_at Nullable(DateTime)',
    "cohort_month Nullable(Date) COMMENT 'month of the first paid order'",
    "orders UInt32 COMMENT 'distinct paid orders'",
    "gross_revenue Decimal(18, 2) COMMENT 'paid orders, refunds included'",
    'refunded_revenue Decimal(18, 2)',
    "net_revenue Decimal(18, 2) COMMENT 'completed lines only = historical LTV'",
    "recency_days Nullable(UInt32) COMMENT 'days from the last paid order to as_of'",
    "r_score UInt8 COMMENT '1-5, 0 without purchases'",
    'f_score UInt8',
    'm_score UInt8',
    'rfm_segment LowCardinality(String)',
  ],
  engine: 'MergeTree',
  partitionBy: 'snapshot',
  orderBy: 'customer_id',
  shardingKey: 'cityHash64(customer_id)',
  why: 'One row per customer with lifetime value and RFM scores (quintiles over all buyers need a global window: precomputed). Partitioned by rebuild so a rebuild swaps in atomically.',
};

export const customerRetention: TableDef = {
  name: 'customer_retention',
  columns: [
    'snapshot UInt64',
    'customer_id String',
    'owner_id String',
    'region LowCardinality(String)',
    'acquisition_channel LowCardinality(String)',
    'customer_type LowCardinality(String)',
    "cohort_month Date COMMENT 'month of the first paid order'",
    'months_since UInt16',
    'activity_month Date',
    "is_active UInt8 COMMENT '1 when the customer paid an order in activity_month'",
    'orders UInt32',
    'net_revenue Decimal(18, 2)',
    "cohort_month_revenue Decimal(18, 2) COMMENT 'the customer''s net revenue in its first month, repeated on every row'",
  ],
  engine: 'MergeTree',
  partitionBy: 'snapshot',
  orderBy: '(cohort_month, months_since, customer_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Dense customer × month grid from the first paid month to as_of: every cell of a cohort matrix is then a plain count/sum (cohort size = rows, retained = sum(is_active)), and any customer filter (owner, region) shrinks numerator and denominator alike.',
};

export const segmentMembers: TableDef = {
  name: 'segment_members',
  columns: [
    'segment_id String',
    'customer_id String',
    "evaluated_at DateTime64(3) COMMENT 'one value per evaluation of the segment; the newest evaluation is the membership'",
  ],
  engine: 'MergeTree',
  partitionBy: 'toYYYYMM(evaluated_at)',
  orderBy: '(segment_id, evaluated_at, customer_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Members of saved segments as the segment builder evaluated them (the rules live in segments.definition). Append-only snapshots: a re-evaluation writes the full member list with a new evaluated_at.',
};

const current = (table: string): string => `SELECT * FROM {db}.${table}
WHERE snapshot = (SELECT max(snapshot) FROM {db}.derived_snapshots WHERE table_name = '${table}')`;

export const semanticViews: ViewDef[] = [
  {
    name: 'customers_resolved',
    select: `SELECT c.* FROM {db}.customers AS c FINAL
WHERE c.customer_id {global}NOT IN (
  SELECT from_id FROM (SELECT from_id, argMax(to_id, version) AS to_id FROM {db}.customer_aliases GROUP BY from_id)
  WHERE to_id != '' AND to_id != from_id)`,
    why: 'Golden records with upserts applied and merged-away customers (aliases) left out: every fact resolves to a customer listed here.',
  },
  { name: 'paid_orders_current', select: current('paid_orders'), why: 'The last committed paid_orders rebuild.' },
  { name: 'customer_value_current', select: current('customer_value'), why: 'The last committed customer_value rebuild.' },
  { name: 'customer_retention_current', select: current('customer_retention'), why: 'The last committed customer_retention rebuild.' },
  {
    name: 'segment_members_current',
    select: `SELECT m.segment_id, m.customer_id, m.evaluated_at
FROM {db}.segment_members AS m
{global}INNER JOIN (SELECT segment_id, max(evaluated_at) AS evaluated_at FROM {db}.segment_members GROUP BY segment_id) AS l
  ON l.segment_id = m.segment_id AND l.evaluated_at = m.evaluated_at`,
    why: 'Members of each segment as of its newest evaluation.',
  },
];

export const semanticTables: TableDef[] = [derivedSnapshots, paidOrders, customerValue, customerRetention, segmentMembers];
