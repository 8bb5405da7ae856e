/**
 * The derived tables follow the loads (semantic/derived/auto-refresh.ts): a load that changes rows
 * makes them stale, a check rebuilds them once, a re-run of the same file (nothing new) does not.
 * Real embedded warehouse, real migrations, real ingest jobs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { derivedFreshness, startDerivedRefresher, type DerivedRefresher } from '../../semantic/derived/auto-refresh.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const FIXTURES = new URL('../fixtures/ingest/', import.meta.url).pathname;
let tw: TestWarehouse;
let refresher: DerivedRefresher;
const logged: string[] = [];

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  // No timer firing during the test: checks are called explicitly.
  refresher = startDerivedRefresher({ client: tw.warehouse.client, database: tw.config.database, intervalMs: 3_600_000, log: (l) => logged.push(l) });
});
after(async () => {
  await refresher?.close();
  await tw?.close();
});

async function paidOrders(): Promise<{ orders: number; asOf: string }> {
  const rs = await tw.warehouse.client.query({
    query: `SELECT count() AS orders, (SELECT toString(max(as_of)) FROM derived_snapshots) AS as_of FROM paid_orders_current`,
    format: 'JSONEachRow',
  });
  const [r] = (await rs.json()) as { orders: string; as_of: string }[];
  return { orders: Number(r.orders), asOf: r.as_of };
}

const load = (entity: 'customers' | 'transactions' | 'campaigns', file: string) => ingestFile(tw.warehouse, { entity, file, rejectsFile: false });

test('an empty warehouse is not stale; nothing is rebuilt', async () => {
  assert.deepEqual(await derivedFreshness(tw.warehouse.client, tw.config.database), { snapshot: 0, lastLoad: 0, stale: false });
  assert.equal(await refresher.check(), undefined);
});

test('a load makes the derived tables stale; one check rebuilds them, the next does nothing', async () => {
  await load('customers', join(FIXTURES, 'customers-shop.csv'));
  const tx = await load('transactions', join(FIXTURES, 'transactions.csv'));
  assert.equal(tx.status, 'completed');
  assert.ok((await derivedFreshness(tw.warehouse.client, tw.config.database)).stale);

  const r = await refresher.check();
  assert.ok(r, 'rebuilt');
  const before = await paidOrders();
  assert.equal(before.orders, r.rows.paid_orders);
  assert.ok(before.orders > 0);
  assert.equal((await derivedFreshness(tw.warehouse.client, tw.config.database)).stale, false);
  assert.equal(await refresher.check(), undefined, 'nothing new: no rebuild');
  assert.ok(logged.some((l) => /rebuilding the derived tables/.test(l)));

  // One new paid order, later than everything in the fixture: exactly one more order, as-of moves to its day.
  const file = join(tw.dir, 'one-more-order.csv');
  writeFileSync(
    file,
    'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at\n' +
      'shop,T-NEW-1,O-NEW-1,1001,2025-03-04 09:00:00,completed,42.00,EUR,1,P1,Notebook,office,web,2025-03-04 09:00:00\n',
  );
  assert.equal((await load('transactions', file)).loaded, 1);
  assert.ok((await derivedFreshness(tw.warehouse.client, tw.config.database)).stale);
  await refresher.check();
  const after1 = await paidOrders();
  assert.equal(after1.orders, before.orders + 1);
  assert.equal(after1.asOf, '2025-03-04');

  // The same file again changes no rows: still fresh.
  const again = await load('transactions', file);
  assert.equal(again.loaded + again.updated, 0);
  assert.equal((await derivedFreshness(tw.warehouse.client, tw.config.database)).stale, false);
  assert.equal(await refresher.check(), undefined);
});

test('concurrent checks share one rebuild', async () => {
  const file = join(tw.dir, 'another-order.csv');
  writeFileSync(
    file,
    'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at\n' +
      'shop,T-NEW-2,O-NEW-2,1002,2025-03-05 09:00:00,completed,10.00,EUR,1,P1,Notebook,office,web,2025-03-05 09:00:00\n',
  );
  await load('transactions', file);
  const snapshots = async () => Number(((await (await tw.warehouse.client.query({ query: 'SELECT count() AS n FROM derived_snapshots', format: 'JSONEachRow' })).json()) as { n: string }[])[0].n);
  const n0 = await snapshots();
  const [a, b] = await Promise.all([refresher.check(), refresher.check()]);
  assert.ok(a);
  assert.equal(a, b, 'the same rebuild');
  assert.equal(await snapshots(), n0 + 3, 'one commit row per derived table, once');
});

test('a load that changes no customer (campaigns) commits no snapshot, and the next check does not refresh again', async () => {
  const snapshot = async () => (await derivedFreshness(tw.warehouse.client, tw.config.database)).snapshot;
  const s0 = await snapshot();
  const campaigns = await load('campaigns', join(FIXTURES, 'campaigns.csv'));
  assert.ok(campaigns.loaded > 0, 'the campaigns load wrote rows');
  assert.ok((await derivedFreshness(tw.warehouse.client, tw.config.database)).stale, 'a load with rows makes the check look');
  const r = await refresher.check();
  assert.ok(r, 'refreshed');
  assert.deepEqual([r.kind, r.changedCustomers, r.committed], ['incremental', 0, false]);
  assert.equal(await snapshot(), s0, 'no new commit row');
  assert.equal(await refresher.check(), undefined, 'the same load does not ask for the same empty refresh again');
  // A load that does change a customer is refreshed and committed as before.
  const file = join(tw.dir, 'order-after-campaigns.csv');
  writeFileSync(
    file,
    'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at\n' +
      'shop,T-NEW-3,O-NEW-3,1003,2025-03-05 09:00:00,completed,12.00,EUR,1,P1,Notebook,office,web,2025-03-05 09:00:00\n',
  );
  const orders = (await paidOrders()).orders;
  await load('transactions', file);
  const next = await refresher.check();
  assert.deepEqual([next?.changedCustomers, next?.committed], [1, true]);
  assert.ok((await snapshot()) > s0);
  assert.equal((await paidOrders()).orders, orders + 1);
});

test('tables written by other derived SQL (an upgrade) are rebuilt at the first check, without a new load', async () => {
  await tw.warehouse.client.command({ query: "ALTER TABLE derived_snapshots UPDATE definition = 'before-upgrade' WHERE 1 SETTINGS mutations_sync = 2" });
  const lines: string[] = [];
  // A new process (npm start after the upgrade): its first check of the day looks at the definitions.
  const restarted = startDerivedRefresher({ client: tw.warehouse.client, database: tw.config.database, intervalMs: 3_600_000, log: (l) => lines.push(l) });
  try {
    const r = await restarted.check();
    assert.ok(r, 'rebuilt');
    assert.equal(r.kind, 'full');
    assert.ok(lines.some((l) => /definitions changed: rebuilding/.test(l)), lines.join('\n'));
    assert.equal(await restarted.check(), undefined, 'then nothing is due');
  } finally {
    await restarted.close();
  }
});
