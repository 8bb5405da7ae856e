/**
 * The derived tables follow the one as-of date (lib/as-of.ts): today while the data is current, the
 * last paid order's day once it is more than 7 days old, CRM_AS_OF when set — and the refresher
 * rebuilds when a new day moves the as-of date, without any load. Real embedded warehouse, real
 * migrations and ingest; the clock is injected (no waiting, no wall clock).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import { warehouseAsOf } from '../../lib/as-of.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startDerivedRefresher } from '../../semantic/derived/auto-refresh.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const FIXTURES = new URL('../fixtures/ingest/', import.meta.url).pathname;
let tw: TestWarehouse;

// Customer 1001 (Anna Schmidt in customers-shop.csv) buys on 02-20 and 03-04; a pending order on
// 03-10 is not a sale, so it does not move the data's end.
const ORDERS = [
  ['T-1', 'O-1', '2025-02-20 10:00:00', 'completed', '10.00'],
  ['T-2', 'O-2', '2025-03-04 09:00:00', 'completed', '42.00'],
  ['T-3', 'O-3', '2025-03-10 12:00:00', 'pending', '99.00'],
];

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  await ingestFile(tw.warehouse, {
    entity: 'customers',
    file: join(FIXTURES, 'customers-shop.csv'),
    rejectsFile: false,
  });
  const file = join(tw.dir, 'orders.csv');
  writeFileSync(
    file,
    'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at\n' +
      ORDERS.map(([t, o, d, s, a]) => `shop,${t},${o},1001,${d},${s},${a},EUR,1,P1,Notebook,office,web,${d}`).join(
        '\n',
      ) +
      '\n',
  );
  const r = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
  assert.equal(r.loaded, 3);
});
after(() => tw?.close());

const at = (iso: string): Date => new Date(iso);

async function committed(): Promise<{ asOf: string; orders: number; recency: number | null }> {
  const rs = await tw.warehouse.client.query({
    query: `SELECT (SELECT toString(as_of) FROM derived_snapshots ORDER BY snapshot DESC LIMIT 1) AS as_of,
      (SELECT count() FROM paid_orders_current) AS orders,
      (SELECT any(recency_days) FROM customer_value_current WHERE orders > 0) AS recency`,
    format: 'JSONEachRow',
  });
  const [r] = (await rs.json()) as { as_of: string; orders: string; recency: string | number | null }[];
  return { asOf: r.as_of, orders: Number(r.orders), recency: r.recency === null ? null : Number(r.recency) };
}

const daysBetween = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 86_400_000;

test('the last fact is the last paid order’s day (the pending order later does not count)', async () => {
  const a = await warehouseAsOf(tw.warehouse.client, tw.config.database, { now: at('2025-03-30T12:00:00Z') });
  assert.deepEqual(a, { date: '2025-03-04', reason: 'data-end', lastFactDate: '2025-03-04' });
});

test('current data: as of today; a new day rebuilds without a load; once the data is over a week old, as of its end', async () => {
  let now = at('2025-03-05T10:00:00Z');
  const logged: string[] = [];
  const refresher = startDerivedRefresher({
    client: tw.warehouse.client,
    database: tw.config.database,
    intervalMs: 3_600_000,
    now: () => now,
    log: (l) => logged.push(l),
  });
  try {
    const first = await refresher.check();
    assert.equal(first?.asOf, '2025-03-05');
    assert.equal(first?.asOfReason, 'today');
    // Recency counts to the as-of day: last paid order 03-04.
    assert.deepEqual(await committed(), {
      asOf: '2025-03-05',
      orders: 2,
      recency: daysBetween('2025-03-04', '2025-03-05'),
    });
    assert.equal(await refresher.check(), undefined, 'same day, no load: nothing to do');

    now = at('2025-03-06T00:30:00Z');
    const next = await refresher.check();
    assert.equal(next?.asOf, '2025-03-06');
    assert.ok(
      logged.some((l) => l.startsWith('the as-of date moved from 2025-03-05')),
      logged.join('\n'),
    );
    assert.deepEqual(await committed(), { asOf: '2025-03-06', orders: 2, recency: 2 });

    // 03-11 is exactly 7 days after 03-04: still today. 03-12 is 8: the data has ended.
    now = at('2025-03-11T08:00:00Z');
    assert.equal((await refresher.check())?.asOfReason, 'today');
    now = at('2025-03-12T08:00:00Z');
    const ended = await refresher.check();
    assert.deepEqual([ended?.asOf, ended?.asOfReason], ['2025-03-04', 'data-end']);
    assert.deepEqual(await committed(), { asOf: '2025-03-04', orders: 2, recency: 0 });

    // The data's end does not move with the calendar: no daily rebuild for old data.
    now = at('2025-04-20T08:00:00Z');
    assert.equal(await refresher.check(), undefined);
  } finally {
    await refresher.close();
  }
});

test('CRM_AS_OF: the tables are as of that day, and orders after it are left out', async () => {
  const r = await refreshDerived(tw.warehouse.client, tw.config.database, {
    configuredAsOf: '2025-03-01',
    now: at('2025-04-20T08:00:00Z'),
  });
  assert.deepEqual([r.asOf, r.asOfReason], ['2025-03-01', 'configured']);
  // Only the 02-20 order is on or before 03-01; recency 9 days.
  assert.deepEqual(await committed(), {
    asOf: '2025-03-01',
    orders: 1,
    recency: daysBetween('2025-02-20', '2025-03-01'),
  });

  // A refresher with the setting sees the committed tables already as of it: nothing to rebuild.
  const refresher = startDerivedRefresher({
    client: tw.warehouse.client,
    database: tw.config.database,
    intervalMs: 3_600_000,
    configuredAsOf: '2025-03-01',
    now: () => at('2025-04-21T08:00:00Z'),
    log: () => {},
  });
  try {
    assert.equal(await refresher.check(), undefined);
  } finally {
    await refresher.close();
  }
});
