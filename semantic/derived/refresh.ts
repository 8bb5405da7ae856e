import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { bound, checkName, insertRows, quoteIdent, rows, type BoundQuery } from '../../lib/warehouse/sql.ts';
import { describeAsOf, checkDay, type AsOfReason } from '../../lib/as-of.ts';
import { derivedAsOf } from './last-paid-day.ts';
import {
  carriedOverlayInsert,
  carriedRowsInsert,
  customerRetentionInsert,
  customerValueInsert,
  customerValueScoresInsert,
  DERIVED_DEFINITION,
  paidOrdersInsert,
  type CustomerScope,
} from './sql.ts';
import { changedCustomers } from './changes.ts';

export interface RefreshOptions {
  /** ClickHouse cluster name when the schema was rendered for a cluster (partitions live in `<table>_local`). */
  cluster?: string;
  log?: (line: string) => void;
  /** CRM_AS_OF (YYYY-MM-DD), when set: the as-of date instead of today or the data's end. */
  configuredAsOf?: string;
  /** The clock's "now" for the as-of rule (tests pin it); default the system clock. */
  now?: Date;
  /**
   * `full` (default): rebuild every row. `incremental`: rebuild only the customers changed since the
   * last committed refresh (semantic/derived/changes.ts) over the last full rebuild, carrying the
   * last overlay's other customers over, when that is sound, else a full rebuild — when
   * there is none yet, the as-of date moved, the derived SQL changed, on a cluster, or when more
   * than `maxChangedShare` of the customers changed (then a full rebuild is as cheap and resets the
   * overlay).
   */
  mode?: 'full' | 'incremental';
  /** Share of the customers above which an incremental refresh rebuilds everything instead (default 0.2). */
  maxChangedShare?: number;
}

export interface RefreshResult {
  snapshot: number;
  asOf: string;
  /** Why that date (lib/as-of.ts): CRM_AS_OF, today, or the data's end. */
  asOfReason: AsOfReason;
  /** Rows per table in the committed snapshot (what the *_current views show). */
  rows: Record<DerivedTable, number>;
  ms: number;
  /** What was rebuilt: every customer, or the customers changed since the full rebuild `base`. */
  kind: 'full' | 'incremental';
  /** Why that kind (e.g. "the as-of date moved"). */
  why: string;
  /** Incremental: the full rebuild the overlay completes, and how many customers it rebuilt. */
  base?: number;
  /** Incremental: customers rebuilt (changed since the last committed refresh). */
  changedCustomers?: number;
  /** Incremental: customers the overlay holds (changed since the full rebuild `base`, carried over or rebuilt). */
  overlayCustomers?: number;
  /** Milliseconds per step, in order (what bench:refresh prints): as-of date, planning, each table, counts, commit. */
  steps: Record<string, number>;
  /**
   * False when an incremental refresh found no changed customer: nothing was written and the
   * committed snapshot (`snapshot`) stands, so what readers see keeps its data version.
   */
  committed: boolean;
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
  const resolved = await derivedAsOf(client, database, { configured: opts.configuredAsOf, now: opts.now, cluster: opts.cluster });
  const asOf = checkDay(resolved.date, 'as-of');
  const last = await lastCommitted(client, database);
  const snapshot = Math.max(Date.now(), (last?.snapshot ?? 0) + 1);
  const tPlan = Date.now();
  const plan = await planRefresh(client, database, opts, last, asOf);
  // Planning an incremental refresh is mostly finding the changed customers (changes.ts).
  const steps: Record<string, number> = { 'as-of date': tPlan - started, [plan.kind === 'incremental' ? 'changed customers' : 'plan']: Date.now() - tPlan };
  if (plan.kind === 'incremental') log(`  changed customers: ${steps['changed customers']} ms`);

  // Nothing of any customer changed since the committed snapshot (a load of deals, interactions or
  // campaigns; a load whose lines were already there): a new snapshot would hold the same rows, and
  // its commit row would still be a data change — every answer over the derived tables (most of the
  // cockpit) renewed for nothing (issue 17). The window of the next refresh opens at the committed
  // snapshot as before, so it finds everything a later load changes.
  if (plan.kind === 'incremental' && plan.scope.customers.length === 0 && last) {
    const rows = await committedRows(client, database, last.snapshot);
    log(`derived tables unchanged: no customer changed since snapshot ${last.snapshot} (nothing written)`);
    return {
      snapshot: last.snapshot, asOf, asOfReason: resolved.reason, rows, ms: Date.now() - started, kind: 'incremental', why: plan.why, steps,
      base: plan.base, changedCustomers: 0, overlayCustomers: plan.overlay, committed: false,
    };
  }

  const counts = {} as Record<DerivedTable, number>;
  const count = async (table: DerivedTable, where: string, params: Record<string, unknown>) =>
    Number((await first<{ n: string }>(client, bound(`SELECT toString(count()) AS n FROM ${db}.${quoteIdent(table)} WHERE ${where}`, params)))?.n ?? 0);
  const timed = async (table: DerivedTable | 'customer_value_scores', q: BoundQuery) => {
    const t0 = Date.now();
    await client.command({ ...q, clickhouse_settings: settings });
    steps[table] = Date.now() - t0;
    log(`  ${table}: ${steps[table]} ms`);
  };

  if (plan.kind === 'full') {
    log(`rebuilding ${DERIVED.join(', ')} ${describeAsOf(resolved, resolved.lastFactDate)} (snapshot ${snapshot}; full: ${plan.why})`);
    await timed('paid_orders', paidOrdersInsert(database, snapshot, asOf));
    await timed('customer_value', customerValueInsert(database, snapshot, asOf));
    await timed('customer_value_scores', customerValueScoresInsert(database, snapshot));
    await timed('customer_retention', customerRetentionInsert(database, snapshot, asOf));
    const tCount = Date.now();
    for (const table of DERIVED) counts[table] = await count(table, 'snapshot = {snapshot:UInt64}', { snapshot });
    steps.counts = Date.now() - tCount;
  } else {
    const { base, previous, scope } = plan;
    log(`refreshing ${DERIVED.join(', ')} ${describeAsOf(resolved, resolved.lastFactDate)} (snapshot ${snapshot}; ${scope.customers.length} changed customers over ${previous === undefined ? `full rebuild ${base}` : `snapshot ${previous} (full rebuild ${base})`})`);
    // The overlay's customers first: the builders below read them.
    const tOverlay = Date.now();
    for (const part of chunked(scope.customers, 100_000)) {
      await insertRows(client, `${db}.derived_overlay`, part.map((customer_id) => ({ snapshot, customer_id })), settings);
    }
    if (previous !== undefined) await client.command({ ...carriedOverlayInsert(database, snapshot, previous, scope.customers), clickhouse_settings: settings });
    steps.derived_overlay = Date.now() - tOverlay;
    // After an earlier incremental refresh, only the customers changed since it are rebuilt; its
    // overlay's other customers are copied over (exact: nothing of theirs was written since).
    const only = previous === undefined ? undefined : scope.customers;
    const carry = async (table: DerivedTable) => {
      if (previous === undefined) return;
      const t0 = Date.now();
      await client.command({ ...carriedRowsInsert(database, table, snapshot, previous, scope.customers), clickhouse_settings: settings });
      steps[`${table} carried over`] = Date.now() - t0;
    };
    await timed('paid_orders', paidOrdersInsert(database, snapshot, asOf, scope));
    await carry('paid_orders');
    await timed('customer_value', customerValueInsert(database, snapshot, asOf, true, only));
    await carry('customer_value');
    await timed('customer_value_scores', customerValueScoresInsert(database, snapshot, base));
    await timed('customer_retention', customerRetentionInsert(database, snapshot, asOf, only));
    await carry('customer_retention');
    const tCount = Date.now();
    Object.assign(counts, await overlaidCounts(client, database, { snapshot, base, asOf }));
    steps.counts = Date.now() - tCount;
    log(`  counts: ${steps.counts} ms`);
  }
  const tCommit = Date.now();
  const base = plan.kind === 'incremental' ? plan.base : 0;
  await insertRows(
    client,
    `${db}.derived_snapshots`,
    // After an incremental refresh all three rest on the base (customer_value_scores follows customer_value's snapshot).
    DERIVED.map((table) => ({ table_name: table, snapshot, as_of: asOf, rows: counts[table], base_snapshot: base, definition: DERIVED_DEFINITION })),
    settings,
  );

  // Everything older goes, except the full rebuild the committed overlay rests on (its cuts are not
  // read any more: the snapshot has its own).
  for (const table of [...DERIVED, 'customer_value_scores', 'derived_overlay'] as const) {
    for (const s of await olderPartitions(client, database, table, snapshot, cluster)) {
      if (base !== 0 && s === base && (DERIVED as readonly string[]).includes(table)) continue;
      const target = cluster ? `${db}.${quoteIdent(`${table}_local`)} ON CLUSTER ${cluster}` : `${db}.${quoteIdent(table)}`;
      await client.command({ query: `ALTER TABLE ${target} DROP PARTITION ${s}` });
    }
  }
  steps['commit and cleanup'] = Date.now() - tCommit;
  log(`  commit and cleanup: ${steps['commit and cleanup']} ms`);
  const result: RefreshResult = {
    snapshot, asOf, asOfReason: resolved.reason, rows: counts, ms: Date.now() - started, kind: plan.kind, why: plan.why, steps,
    ...(plan.kind === 'incremental' ? { base: plan.base, changedCustomers: plan.scope.customers.length, overlayCustomers: plan.overlay } : {}),
    committed: true,
  };
  log(`derived tables ${plan.kind === 'full' ? 'rebuilt' : `refreshed for ${plan.scope.customers.length} changed customers`} in ${result.ms} ms: ${counts.paid_orders} orders, ${counts.customer_value} customers, ${counts.customer_retention} cohort cells`);
  return result;
}

interface Committed {
  snapshot: number;
  /** The full rebuild an incremental snapshot rests on; the snapshot itself after a full one. */
  base: number;
  asOf: string;
  definition: string;
  customers: number;
}

/** The newest committed snapshot, as its paid_orders and customer_value rows describe it. */
async function lastCommitted(client: ClickHouseClient, database: string): Promise<Committed | undefined> {
  const db = quoteIdent(checkName(database));
  const row = await first<{ s: string; b: string; as_of: string; definition: string; customers: string }>(client, bound(
    `SELECT toString(snapshot) AS s, toString(argMaxIf(base_snapshot, snapshot, table_name = 'paid_orders')) AS b, toString(any(as_of)) AS as_of,
       argMaxIf(definition, snapshot, table_name = 'paid_orders') AS definition, toString(maxIf(rows, table_name = 'customer_value')) AS customers
     FROM ${db}.derived_snapshots WHERE snapshot = (SELECT max(snapshot) FROM ${db}.derived_snapshots) GROUP BY snapshot`,
  ));
  if (!row) return undefined;
  const snapshot = Number(row.s);
  return { snapshot, base: Number(row.b) || snapshot, asOf: row.as_of, definition: row.definition, customers: Number(row.customers) };
}

/** Rows per table of a committed snapshot, as its commit rows say (what the *_current views show). */
async function committedRows(client: ClickHouseClient, database: string, snapshot: number): Promise<Record<DerivedTable, number>> {
  const found = await rows<{ table_name: string; rows: string }>(client, bound(
    `SELECT table_name, toString(rows) AS rows FROM ${quoteIdent(checkName(database))}.derived_snapshots WHERE snapshot = {snapshot:UInt64}`,
    { snapshot },
  ));
  const counts = {} as Record<DerivedTable, number>;
  for (const table of DERIVED) counts[table] = Number(found.find((r) => r.table_name === table)?.rows ?? 0);
  return counts;
}

/** Incremental: `base` is the full rebuild the overlay completes (all three tables rest on it since migration 016). */
type Plan =
  | { kind: 'full'; why: string }
  /** `previous`: the committed incremental snapshot whose overlay this one extends (none right after a full rebuild). */
  | { kind: 'incremental'; why: string; base: number; previous?: number; overlay: number; scope: CustomerScope };

/**
 * Months of transactions not yet copied into transactions_by_customer, which the incremental
 * refresh reads (migration 018 fills it at migrate); undefined when the copy does not exist.
 */
async function copyPending(client: ClickHouseClient, database: string): Promise<number | undefined> {
  const tables = await rows<{ name: string }>(client, bound(
    `SELECT name FROM system.tables WHERE database = {database:String} AND name IN ('transactions_by_customer', 'transactions_by_customer_backfill')`,
    { database },
  ));
  if (tables.length !== 2) return undefined;
  const db = quoteIdent(checkName(database));
  const row = await first<{ n: string }>(client, bound(`SELECT toString(count()) AS n FROM ${db}.transactions_by_customer_backfill FINAL WHERE done = 0`));
  return Number(row?.n ?? 0);
}

/** Customers in the overlay of `previous` and `changed` together. */
async function overlaySize(client: ClickHouseClient, database: string, previous: number, changed: string[]): Promise<number> {
  const db = quoteIdent(checkName(database));
  const row = await first<{ n: string }>(client, bound(
    `SELECT toString(count() + length({changed:Array(String)})) AS n FROM ${db}.derived_overlay
     WHERE snapshot = {previous:UInt64} AND customer_id NOT IN {changed:Array(String)}`,
    { previous, changed },
  ));
  return Number(row?.n ?? changed.length);
}

/** Full or incremental, and why: the rules under RefreshOptions.mode. */
async function planRefresh(client: ClickHouseClient, database: string, opts: RefreshOptions, last: Committed | undefined, asOf: string): Promise<Plan> {
  if (opts.mode !== 'incremental') return { kind: 'full', why: 'asked for' };
  if (opts.cluster) return { kind: 'full', why: 'incremental refreshes run on a single node only' };
  if (!last) return { kind: 'full', why: 'no rebuild yet' };
  if (last.asOf !== asOf) return { kind: 'full', why: `the as-of date moved from ${last.asOf} to ${asOf}` };
  if (last.definition !== DERIVED_DEFINITION) return { kind: 'full', why: 'the derived-table definitions changed' };
  const filling = await copyPending(client, database);
  if (filling !== 0) return { kind: 'full', why: filling === undefined ? 'transactions_by_customer is missing (migration 018)' : `transactions_by_customer is still being filled (${filling} months to copy, migration 018)` };
  const scope = await changedCustomers(client, database, { base: last.base, since: last.snapshot });
  // The last overlay's customers stay in the overlay (carried over unless changed again).
  const previous = last.snapshot === last.base ? undefined : last.snapshot;
  const overlay = previous === undefined ? scope.customers.length : await overlaySize(client, database, previous, scope.customers);
  const limit = Math.max(1000, Math.floor((opts.maxChangedShare ?? 0.2) * last.customers));
  if (overlay > limit) return { kind: 'full', why: `${overlay} customers changed since the last full rebuild (more than ${limit})` };
  return {
    kind: 'incremental',
    why: `${scope.customers.length} customers changed since the last refresh, ${overlay} since the full rebuild ${last.base}`,
    base: last.base,
    previous,
    overlay,
    scope,
  };
}

/**
 * Rows per table that readers see after an incremental snapshot: the base's count, less the base
 * rows of the overlay's customers, plus the snapshot's rows. The base rows to leave out are counted
 * from one read of the base paid_orders (5M rows at 10M transactions, instead of a NOT IN over
 * paid_orders and the 10M-row retention grid): a customer's grid has one row per month from its
 * first paid order's month to the as-of month, the rule customerRetentionInsert builds it by (a
 * paid_orders row of credits only, lines = 0, is a row but no purchase: a customer with only those
 * has no grid).
 */
async function overlaidCounts(
  client: ClickHouseClient,
  database: string,
  { snapshot, base, asOf }: { snapshot: number; base: number; asOf: string },
): Promise<Record<DerivedTable, number>> {
  const db = quoteIdent(checkName(database));
  const overlay = `(SELECT customer_id FROM ${db}.derived_overlay WHERE snapshot = {snapshot:UInt64})`;
  const row = await first<Record<string, string>>(client, bound(
    `SELECT
      (SELECT toString((sum(orders), sum(if(buys > 0, toUInt64(dateDiff('month', toStartOfMonth(first), toStartOfMonth({as_of:Date})) + 1), 0))))
         FROM (SELECT count() AS orders, countIf(lines > 0) AS buys, minIf(order_date, lines > 0) AS first FROM ${db}.paid_orders
               PREWHERE snapshot = {base:UInt64} AND customer_id IN ${overlay} GROUP BY customer_id)) AS base_orders_cells,
      (SELECT toString(count()) FROM ${db}.customer_value WHERE snapshot = {base:UInt64} AND customer_id IN ${overlay}) AS base_customers,
      (SELECT toString(groupArray((table_name, rows))) FROM ${db}.derived_snapshots WHERE snapshot = {base:UInt64}) AS base_rows,
      (SELECT toString(count()) FROM ${db}.paid_orders WHERE snapshot = {snapshot:UInt64}) AS orders,
      (SELECT toString(count()) FROM ${db}.customer_value WHERE snapshot = {snapshot:UInt64}) AS customers,
      (SELECT toString(count()) FROM ${db}.customer_retention WHERE snapshot = {snapshot:UInt64}) AS cells`,
    { snapshot, base, as_of: asOf },
  ));
  const [removedOrders, removedCells] = (row?.base_orders_cells ?? '(0,0)').replace(/[()]/g, '').split(',').map(Number);
  const baseRows = new Map([...(row?.base_rows ?? '').matchAll(/\('(\w+)',(\d+)\)/g)].map((m) => [m[1]!, Number(m[2])]));
  const kept = (table: DerivedTable, removed: number, added: string | undefined) => {
    const n = baseRows.get(table);
    if (n === undefined) throw new Error(`derived_snapshots has no ${table} row for the base snapshot ${base}`);
    return n - removed + Number(added ?? 0);
  };
  return {
    paid_orders: kept('paid_orders', removedOrders ?? 0, row?.orders),
    customer_value: kept('customer_value', Number(row?.base_customers ?? 0), row?.customers),
    customer_retention: kept('customer_retention', removedCells ?? 0, row?.cells),
  };
}

/** Partitions (snapshots) of a derived table older than `snapshot`: from system.parts on one node, no data read. */
async function olderPartitions(client: ClickHouseClient, database: string, table: string, snapshot: number, cluster?: string): Promise<number[]> {
  const found = cluster
    ? await rows<{ s: string }>(client, bound(`SELECT DISTINCT toString(snapshot) AS s FROM ${quoteIdent(checkName(database))}.${quoteIdent(table)} WHERE snapshot < {snapshot:UInt64}`, { snapshot }))
    : await rows<{ s: string }>(client, bound(
        `SELECT DISTINCT partition AS s FROM system.parts WHERE database = {database:String} AND table = {table:String} AND active`,
        { database, table },
      ));
  return found.map((r) => r.s).filter((s) => /^\d+$/.test(s)).map(Number).filter((s) => s < snapshot);
}

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function first<T>(client: ClickHouseClient, q: BoundQuery): Promise<T | undefined> {
  return (await rows<T>(client, q))[0];
}
