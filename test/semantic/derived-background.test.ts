/**
 * The worker's derived refresher runs its statements through backgroundClient (the embedded endpoint's background lane,
 * values as typed literals instead of query parameters; semantic/derived/background-client.ts).
 * This checks, on the real embedded engine with real ingest jobs, that a full rebuild and then an
 * incremental refresh made that way show exactly what a full rebuild through the plain client shows,
 * row by row; and that the refresher's statements reached the engine without query parameters.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ingestRecords } from '../../ingest/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startDerivedRefresher } from '../../semantic/derived/auto-refresh.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import type { ClickHouseClient } from '@clickhouse/client';

const AS_OF = '2024-12-31';
let tw: TestWarehouse;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
});
after(() => tw?.close());

let clock = Date.parse('2024-06-01T00:00:00Z');
const stamp = (): string => new Date((clock += 60_000)).toISOString().slice(0, 19).replace('T', ' ');
const customer = (id: string, region: string) => ({
  source: 'crm', source_id: id, customer_type: 'person', name: `Customer ${id}`, email: `c${id}@example.com`, phone: '', region, country: 'DE',
  city: 'Berlin', acquisition_channel: 'web', owner_id: 'OWN-1', signup_date: '2024-01-01', updated_at: stamp(),
});
const line = (txn: string, order: string, ref: string, date: string, amount: number, status = 'completed') => ({
  source: 'crm', transaction_id: txn, order_id: order, customer_ref: ref, order_date: `${date} 10:00:00`, status, amount: amount.toFixed(2),
  currency: 'EUR', quantity: '1', product_id: 'P1', product_name: 'Thing', category: 'misc', channel: 'web', updated_at: stamp(),
});
let batch = 0;
async function load(entity: 'customers' | 'transactions', records: Record<string, string>[]): Promise<void> {
  const s = await ingestRecords(tw.warehouse, entity, records, { batchLabel: `test:background-${++batch}` });
  assert.equal(s.status, 'completed', s.error);
  assert.equal(s.rejected, 0, JSON.stringify(s.rejects));
}

async function visible(): Promise<Record<string, unknown[]>> {
  const read = async (view: string, order: string) =>
    (await tw.warehouse.client.query({ query: `SELECT * EXCEPT (snapshot) FROM ${view} ORDER BY ${order}`, format: 'JSONEachRow' })).json();
  return {
    paid_orders: await read('paid_orders_current', 'source, order_id'),
    customer_value: await read('customer_value_current', 'customer_id'),
    customer_retention: await read('customer_retention_current', 'customer_id, months_since'),
    customer_value_scores: await read(`customer_value_scores WHERE snapshot = (SELECT max(snapshot) FROM derived_snapshots WHERE table_name = 'customer_value')`, 'buyers'),
  };
}

/** The warehouse client, with every call that carries query parameters counted (what the refresher's client sends on). */
function counting(client: ClickHouseClient): { client: ClickHouseClient; bound: string[] } {
  const bound: string[] = [];
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (params: { query?: string; query_params?: Record<string, unknown> }) => {
        if (params && typeof params === 'object' && params.query_params && Object.keys(params.query_params).length > 0) bound.push(String(params.query).slice(0, 80));
        return (value as (p: unknown) => unknown).call(target, params);
      };
    },
  });
  return { client: wrapped, bound };
}

test("the refresher's background statements build the same tables as a plain full rebuild, without query parameters", async () => {
  const customers = Array.from({ length: 30 }, (_, i) => customer(String(1000 + i), i % 2 ? 'north' : 'south'));
  await load('customers', customers);
  const first = customers.flatMap((c, i) => [
    line(`T${i}-1`, `O${i}-1`, c.source_id, '2024-02-10', 20 + i),
    ...(i % 3 === 0 ? [line(`T${i}-2`, `O${i}-2`, c.source_id, `2024-0${3 + (i % 6)}-05`, 5 + 7 * i)] : []),
  ]);
  await load('transactions', first);

  const seen = counting(tw.warehouse.client);
  let now = new Date(`${AS_OF}T12:00:00Z`);
  const refresher = startDerivedRefresher({ client: seen.client, database: tw.config.database, intervalMs: 3_600_000, configuredAsOf: AS_OF, now: () => now, log: () => {} });
  try {
    const full = await refresher.check();
    assert.equal(full?.kind, 'full', 'the first refresh builds everything');

    // A load after it: a new customer, new orders for existing ones, a refund.
    await load('customers', [customer('2000', 'east')]);
    await load('transactions', [
      line('T-new-1', 'O-new-1', '2000', '2024-11-20', 99),
      line('T3-3', 'O3-3', '1003', '2024-12-01', 40),
      line('T4-1', 'O4-1', '1004', '2024-02-10', 24, 'refunded'),
    ]);
    now = new Date(`${AS_OF}T13:00:00Z`);
    const incremental = await refresher.check();
    assert.equal(incremental?.kind, 'incremental', incremental?.why);
    // The three customers the load touched, and not all 31 (what else change detection counts is changes.ts's business).
    assert.ok((incremental?.changedCustomers ?? 0) >= 3 && (incremental?.changedCustomers ?? 0) < 31, `changed customers: ${incremental?.changedCustomers}`);
    assert.deepEqual(seen.bound, [], 'no statement of the refresher carried query parameters');
    const background = await visible();

    const plain = await refreshDerived(tw.warehouse.client, tw.config.database, { mode: 'full', configuredAsOf: AS_OF, now });
    assert.deepEqual(incremental?.rows, plain.rows, 'rows per table');
    const rebuilt = await visible();
    for (const table of Object.keys(rebuilt)) {
      assert.ok(rebuilt[table]!.length > 0, `${table} has rows`);
      assert.deepEqual(background[table], rebuilt[table], table);
    }
    // The counts checked independently: 31 customers, paid orders = the lines loaded (one per order).
    assert.equal(rebuilt.customer_value!.length, 31);
    assert.equal(rebuilt.paid_orders!.length, first.length + 2);
  } finally {
    await refresher.close();
  }
});
