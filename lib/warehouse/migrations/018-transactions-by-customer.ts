import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig, type Config } from '../../config/schema.ts';
import { checkName, rows } from '../sql.ts';
import { renderTable, type RenderContext, type TableDef } from './ddl.ts';
import { currentTtlDays, RETENTION_RULES, retentionTtl } from './013-privacy.ts';

/**
 * transactions_by_customer (issue 17, item 4): the order-line columns paid_orders needs, kept in
 * step with `transactions` by a materialized view, sorted by customer and NOT partitioned by month.
 *
 * Why: an incremental refresh rebuilds the few hundred customers a load touched and reads their
 * lines. `transactions` is partitioned by month and sorted by customer within each month, so one
 * customer's lines sit in ~every monthly partition, and the 700 customers of a 1,000-row load
 * touch nearly every 8,192-row granule (1,312 of 1,318 at 10M lines, EXPLAIN indexes = 1): reading
 * their lines read the whole table. Here a customer's lines are contiguous and granules are 256
 * rows, so the same read touches about one granule per customer (semantic/derived/README.md).
 *
 * Same sort key and engine as `transactions` (ReplacingMergeTree(version) over (customer_id,
 * order_date, source, transaction_id)), so FINAL keeps the same version of every line. No
 * partitions at all: the primary key cannot tell that a customer is absent from a part, so every
 * partition costs each looked-up customer a granule (8 partitions by a hash of the customer: 5,202
 * granules for 700 customers at 10M lines; one: ~730, i.e. ~190k rows read instead of all 10M).
 *
 * What keeps it equal to `transactions`: inserts go through the view; the ingest's delete of a
 * line's stale copy (a line moved to another customer or day, ingest/load/batch-writer.ts) deletes
 * here too; an erasure finds this table by its customer_id column like every other (lib/privacy);
 * the retention TTL of transactions is mirrored on every migrate (reconcile below).
 *
 * A warehouse that already has lines is filled once, month by month, recorded in
 * transactions_by_customer_backfill: an interrupted fill resumes at the next migrate with the months
 * not yet copied, and each month's copy is logged. Until every month is copied the refresh rebuilds
 * in full (semantic/derived/refresh.ts). Copying a month twice (a crash between its copy and its
 * record) is harmless: the copy is of the newest versions (FINAL), and identical rows collapse.
 *
 * Single node only: on a cluster the refresh always rebuilds in full (partitions live on the
 * shards), so nothing reads a copy there and none is made.
 */
export const COPY_TABLE = 'transactions_by_customer';
export const BACKFILL_TABLE = 'transactions_by_customer_backfill';
const VIEW = 'transactions_by_customer_mv';

/**
 * Tables kept as copies of another by a materialized view, which sees inserts only: whoever deletes
 * rows of the table (the ingest's stale rows) deletes them from its copies too, where they exist
 * (not on a cluster).
 */
export const COPIES_OF: Readonly<Record<string, readonly string[]>> = { transactions: [COPY_TABLE] };

/** The columns of transactions the copy keeps: what paid_orders is built from, and the version FINAL picks by. */
export const COPY_COLUMNS = ['source', 'transaction_id', 'order_id', 'customer_id', 'order_date', 'status', 'amount', 'quantity', 'channel', 'version'];

export const transactionsByCustomer: TableDef = {
  name: COPY_TABLE,
  columns: [
    'source LowCardinality(String)',
    'transaction_id String',
    'order_id String',
    'customer_id String',
    'order_date DateTime',
    'status LowCardinality(String)',
    'amount Decimal(18, 2)',
    'quantity UInt32',
    'channel LowCardinality(String)',
    'version UInt64',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(customer_id, order_date, source, transaction_id)',
  shardingKey: 'cityHash64(customer_id)',
  // Small granules and compressed blocks: a few hundred customers' lines are read through the
  // primary key, and a granule (or block) read mostly for its neighbours' lines is wasted work.
  settings: { index_granularity: 256, min_compress_block_size: 16384, max_compress_block_size: 65536 },
  why: 'Order lines of each customer together (no month partitions): what an incremental refresh of the derived tables reads for the customers a load changed.',
};

const backfill: TableDef = {
  name: BACKFILL_TABLE,
  columns: ['partition_id String', 'done UInt8', 'at DateTime64(3) DEFAULT now64(3)'],
  engine: 'ReplacingMergeTree(at)',
  orderBy: 'partition_id',
  shardingKey: 'cityHash64(partition_id)',
  why: 'Months of transactions still to copy into transactions_by_customer (done = 0) and copied ones.',
};

export function transactionsByCustomerStatements(ctx: RenderContext): string[] {
  if (ctx.cluster) return [];
  const db = checkName(ctx.database);
  const columns = COPY_COLUMNS.join(', ');
  return [
    ...renderTable(transactionsByCustomer, ctx),
    ...renderTable(backfill, ctx),
    // The months there are now are to be copied; later ones arrive through the view only.
    `INSERT INTO ${db}.${BACKFILL_TABLE} (partition_id, done)
SELECT DISTINCT partition_id, 0 FROM system.parts
WHERE database = '${db}' AND table = 'transactions' AND active
  AND partition_id NOT IN (SELECT partition_id FROM ${db}.${BACKFILL_TABLE})`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${VIEW} TO ${db}.${COPY_TABLE} AS SELECT ${columns} FROM ${db}.transactions`,
  ];
}

/**
 * On every migrate (cheap once done: one read of a table of a few dozen rows): copies the months
 * still to copy, newest versions only, each recorded as it completes; then gives the copy the
 * retention TTL transactions has (CRM_RETENTION_TRANSACTIONS_DAYS), so both lose a line together.
 */
export async function reconcileTransactionsByCustomer(
  client: ClickHouseClient,
  ctx: RenderContext,
  log: (line: string) => void = () => {},
  config: Config = loadConfig(),
): Promise<{ copied: number }> {
  if (ctx.cluster) return { copied: 0 };
  const db = checkName(ctx.database);
  const tables = await rows<{ name: string; engine_full: string }>(client, {
    query: 'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN ({copy:String}, {backfill:String})',
    query_params: { db, copy: COPY_TABLE, backfill: BACKFILL_TABLE },
  });
  const copy = tables.find((t) => t.name === COPY_TABLE);
  if (!copy || !tables.some((t) => t.name === BACKFILL_TABLE)) return { copied: 0 };

  const pending = (
    await rows<{ partition_id: string }>(client, {
      query: `SELECT partition_id FROM ${db}.${BACKFILL_TABLE} FINAL WHERE done = 0 ORDER BY partition_id`,
    })
  ).map((r) => r.partition_id);
  for (const [i, partition] of pending.entries()) {
    const t0 = Date.now();
    await client.command({
      query: `INSERT INTO ${db}.${COPY_TABLE} (${COPY_COLUMNS.join(', ')})
SELECT ${COPY_COLUMNS.join(', ')} FROM ${db}.transactions FINAL WHERE _partition_id = {p:String}
SETTINGS do_not_merge_across_partitions_select_final = 1`,
      query_params: { p: partition },
    });
    await client.insert({ table: `${db}.${BACKFILL_TABLE}`, values: [{ partition_id: partition, done: 1 }], format: 'JSONEachRow' });
    log(`transactions_by_customer: month ${partition} copied (${Date.now() - t0} ms), ${i + 1} of ${pending.length}`);
  }
  if (pending.length > 0) {
    // One part instead of one per month: the primary key cannot tell that a customer is absent from
    // a part, so each large part costs every looked-up customer a granule until merged (36 parts at
    // 10M lines made the refresh's read 3–4× slower). A crash before this only leaves it to the
    // engine's background merges.
    const t0 = Date.now();
    await client.command({ query: `OPTIMIZE TABLE ${db}.${COPY_TABLE} FINAL` });
    log(`transactions_by_customer: merged into one part (${Date.now() - t0} ms)`);
  }

  const rule = RETENTION_RULES.find((r) => r.table === 'transactions')!;
  const days = Number(config[rule.variable]);
  if (currentTtlDays(copy.engine_full) !== days) {
    const ttl = retentionTtl(rule, days);
    await client.command({ query: ttl ? `ALTER TABLE ${db}.${COPY_TABLE} MODIFY TTL ${ttl}` : `ALTER TABLE ${db}.${COPY_TABLE} REMOVE TTL` });
  }
  return { copied: pending.length };
}
