import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { bound, checkName, insertRows, quoteIdent, rows, type BoundQuery } from '../../lib/warehouse/sql.ts';
import { describeAsOf, checkDay, warehouseAsOf, type AsOfReason } from '../../lib/as-of.ts';
import { customerRetentionInsert, customerValueInsert, paidOrdersInsert } from './sql.ts';

export interface RefreshOptions {
  /** ClickHouse cluster name when the schema was rendered for a cluster (partitions live in `<table>_local`). */
  cluster?: string;
  log?: (line: string) => void;
  /** CRM_AS_OF (YYYY-MM-DD), when set: the as-of date instead of today or the data's end. */
  configuredAsOf?: string;
  /** The clock's "now" for the as-of rule (tests pin it); default the system clock. */
  now?: Date;
}

export interface RefreshResult {
  snapshot: number;
  asOf: string;
  /** Why that date (lib/as-of.ts): CRM_AS_OF, today, or the data's end. */
  asOfReason: AsOfReason;
  /** Rows written per table. */
  rows: Record<DerivedTable, number>;
  ms: number;
}

/** In build order: the last two are computed from the paid_orders snapshot written first. */
const DERIVED = ['paid_orders', 'customer_value', 'customer_retention'] as const;
export type DerivedTable = (typeof DERIVED)[number];

/** One rebuild at a time per database in this process; a second caller waits for the first. */
const running = new Map<string, Promise<unknown>>();

/**
 * Rebuilds the derived tables behind the orders, value/RFM and retention cubes (paid_orders,
 * customer_value, customer_retention) from the *_resolved views. Call it after an ingest and on a schedule: until
 * then those cubes answer from the previous rebuild (or nothing, on a fresh warehouse).
 *
 * Readers are never disturbed: each rebuild writes a new `snapshot` partition, commits it in
 * `derived_snapshots` once both tables are complete (the `*_current` views switch to it there), then
 * drops the older partitions. A rebuild that fails midway leaves its partition uncommitted and
 * invisible; the next rebuild drops it.
 */
export async function refreshDerived(client: ClickHouseClient, database: string, opts: RefreshOptions = {}): Promise<RefreshResult> {
  const key = `${database}@${opts.cluster ?? ''}`;
  const previous = running.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => rebuild(client, database, opts));
  running.set(key, next);
  try {
    return await next;
  } finally {
    if (running.get(key) === next) running.delete(key);
  }
}

async function rebuild(client: ClickHouseClient, database: string, opts: RefreshOptions): Promise<RefreshResult> {
  const db = quoteIdent(checkName(database));
  const cluster = opts.cluster ? quoteIdent(checkName(opts.cluster)) : undefined;
  const log = opts.log ?? (() => {});
  const started = Date.now();
  // On a cluster, inserts through Distributed tables must have landed on every shard before the commit row.
  const settings: ClickHouseSettings = cluster ? { insert_distributed_sync: 1 } : {};

  // The one as-of rule (lib/as-of.ts), so these tables agree with the models, alerts and dashboard.
  const resolved = await warehouseAsOf(client, database, { configured: opts.configuredAsOf, now: opts.now });
  const asOf = checkDay(resolved.date, 'as-of');
  const last = await first<{ s: string }>(client, bound(`SELECT toString(max(snapshot)) AS s FROM ${db}.derived_snapshots`));
  const snapshot = Math.max(Date.now(), Number(last?.s ?? 0) + 1);

  log(`rebuilding ${DERIVED.join(', ')} ${describeAsOf(resolved, resolved.lastFactDate)} (snapshot ${snapshot})`);
  const builds = [paidOrdersInsert, customerValueInsert, customerRetentionInsert];
  for (const [i, build] of builds.entries()) {
    const t0 = Date.now();
    await client.command({ ...build(database, snapshot, asOf), clickhouse_settings: settings });
    log(`  ${DERIVED[i]}: ${Date.now() - t0} ms`);
  }

  const counts = {} as Record<DerivedTable, number>;
  for (const table of DERIVED) {
    const row = await first<{ n: string }>(client, bound(`SELECT toString(count()) AS n FROM ${db}.${quoteIdent(table)} WHERE snapshot = {snapshot:UInt64}`, { snapshot }));
    counts[table] = Number(row?.n ?? 0);
  }
  await insertRows(
    client,
    `${db}.derived_snapshots`,
    DERIVED.map((table) => ({ table_name: table, snapshot, as_of: asOf, rows: counts[table] })),
    settings,
  );

  for (const table of DERIVED) {
    const older = await rows<{ s: string }>(client, bound(`SELECT DISTINCT toString(snapshot) AS s FROM ${db}.${quoteIdent(table)} WHERE snapshot < {snapshot:UInt64}`, { snapshot }));
    for (const { s } of older) {
      if (!/^\d+$/.test(s)) continue;
      const target = cluster ? `${db}.${quoteIdent(`${table}_local`)} ON CLUSTER ${cluster}` : `${db}.${quoteIdent(table)}`;
      await client.command({ query: `ALTER TABLE ${target} DROP PARTITION ${s}` });
    }
  }
  const result: RefreshResult = { snapshot, asOf, asOfReason: resolved.reason, rows: counts, ms: Date.now() - started };
  log(`derived tables rebuilt in ${result.ms} ms: ${counts.paid_orders} orders, ${counts.customer_value} customers, ${counts.customer_retention} cohort cells`);
  return result;
}

async function first<T>(client: ClickHouseClient, q: BoundQuery): Promise<T | undefined> {
  return (await rows<T>(client, q))[0];
}
