/**
 * Incremental derived tables (issue 17, item 4): after mixed loads — new customers, customer
 * updates, refunds, merges by e-mail, new facts for existing customers, an order moved to another
 * customer — refreshing only the changed customers gives the same paid_orders, customer_value and
 * customer_retention as a full rebuild, table by table and row by row. Real embedded engine, real
 * migrations, real ingest jobs (identity resolution included).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ingestRecords } from '../../ingest/index.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import { readLastFactDate } from '../../lib/as-of.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { lastPaidDay } from '../../semantic/derived/last-paid-day.ts';
import { refreshDerived, type RefreshResult } from '../../semantic/derived/refresh.ts';
import { parseTableVersions, tableVersionsSql } from '../../semantic/refresh-keys.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const AS_OF = '2024-12-31';
let tw: TestWarehouse;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
});
after(() => tw?.close());

let clock = Date.parse('2024-06-01T00:00:00Z');
/** Every re-sent record is newer than the one before (the ingest keeps the newest version). */
const stamp = (): string => new Date((clock += 60_000)).toISOString().slice(0, 19).replace('T', ' ');

const customer = (source: string, id: string, over: Record<string, string> = {}) => ({
  source,
  source_id: id,
  customer_type: 'person',
  name: `Customer ${id}`,
  email: `c${id}@example.com`,
  phone: '',
  region: 'north',
  country: 'DE',
  city: 'Berlin',
  acquisition_channel: 'web',
  owner_id: 'OWN-1',
  signup_date: '2024-01-01',
  updated_at: stamp(),
  ...over,
});
const line = (
  source: string,
  txn: string,
  order: string,
  ref: string,
  date: string,
  amount: number,
  status = 'completed',
) => ({
  source,
  transaction_id: txn,
  order_id: order,
  customer_ref: ref,
  order_date: `${date} 10:00:00`,
  status,
  amount: amount.toFixed(2),
  currency: 'EUR',
  quantity: '1',
  product_id: 'P1',
  product_name: 'Thing',
  category: 'misc',
  channel: 'web',
  updated_at: stamp(),
});

let batch = 0;
async function load(entity: 'customers' | 'transactions', records: Record<string, string>[]): Promise<void> {
  const s = await ingestRecords(tw.warehouse, entity, records, { batchLabel: `test:incremental-${++batch}` });
  assert.equal(s.status, 'completed', s.error);
  assert.equal(s.rejected, 0, JSON.stringify(s.rejects));
}

const refresh = (mode: 'full' | 'incremental', configuredAsOf = AS_OF): Promise<RefreshResult> =>
  refreshDerived(tw.warehouse.client, tw.config.database, { mode, configuredAsOf });

/** What readers see, every column but the snapshot id, in a fixed order. */
async function visible(): Promise<Record<string, unknown[]>> {
  const read = async (view: string, order: string) =>
    (
      await tw.warehouse.client.query({
        query: `SELECT * EXCEPT (snapshot) FROM ${view} ORDER BY ${order}`,
        format: 'JSONEachRow',
      })
    ).json();
  return {
    paid_orders: await read('paid_orders_current', 'source, order_id'),
    customer_value: await read('customer_value_current', 'customer_id'),
    customer_retention: await read('customer_retention_current', 'customer_id, months_since'),
    // The committed snapshot's RFM cuts (migration 016).
    customer_value_scores: await read(
      `customer_value_scores WHERE snapshot = (SELECT max(snapshot) FROM derived_snapshots WHERE table_name = 'customer_value')`,
      'buyers',
    ),
  };
}

interface ValueRow {
  customer_id: string;
  orders: number;
  net_revenue: string;
  recency_days: number | null;
  r_score: number;
  f_score: number;
  m_score: number;
}

/**
 * The RFM scores by their definition, computed here from the rows' own values: F and M among buyers,
 * 1 + floor(5 · (rank − 1) / buyers) with rank − 1 = the buyers strictly before (F: fewer orders;
 * M: less net revenue); R within the customer's own group: lapsed (> 180 days) 1 + floor(2 · before /
 * lapsed), active 3 + floor(3 · before / active), before = more days since the last order; 0 without
 * purchases.
 */
function assertScoresByRank(rows: unknown[]): void {
  const value = rows as ValueRow[];
  const buyers = value.filter((c) => Number(c.orders) > 0);
  assert.ok(buyers.length >= 10, `enough buyers to rank (${buyers.length})`);
  const score = (before: (other: ValueRow) => boolean) =>
    1 + Math.floor((5 * buyers.filter(before).length) / buyers.length);
  const lapsed = (c: ValueRow) => Number(c.recency_days) > 180;
  const recency = (c: ValueRow) => {
    const group = buyers.filter((o) => lapsed(o) === lapsed(c));
    const before = group.filter((o) => Number(o.recency_days) > Number(c.recency_days)).length;
    return lapsed(c) ? 1 + Math.floor((2 * before) / group.length) : 3 + Math.floor((3 * before) / group.length);
  };
  for (const c of value) {
    const bought = Number(c.orders) > 0;
    const expected = bought
      ? [
          recency(c),
          score((o) => Number(o.orders) < Number(c.orders)),
          score((o) => Number(o.net_revenue) < Number(c.net_revenue)),
        ]
      : [0, 0, 0];
    assert.deepEqual(
      [Number(c.r_score), Number(c.f_score), Number(c.m_score)],
      expected,
      `RFM scores of ${c.customer_id}`,
    );
  }
  // Every score value is used when there are at least five distinct values (here: net revenue).
  assert.deepEqual([...new Set(buyers.map((c) => Number(c.m_score)))].sort(), [1, 2, 3, 4, 5]);
}

/** Incremental result first, then a full rebuild of the same data: every table must match. */
async function assertEqualsFullRebuild(
  incremental: Record<string, unknown[]>,
  refreshed: RefreshResult,
): Promise<void> {
  const full = await refresh('full');
  assert.equal(full.kind, 'full');
  // The incremental counts are arithmetic over the base (semantic/derived/refresh.ts): the full rebuild counts rows.
  assert.deepEqual(refreshed.rows, full.rows, 'rows per table');
  const rebuilt = await visible();
  assertScoresByRank(incremental.customer_value!);
  for (const table of ['paid_orders', 'customer_value', 'customer_retention', 'customer_value_scores']) {
    assert.equal(incremental[table]!.length, rebuilt[table]!.length, `${table}: row count`);
    assert.deepEqual(incremental[table], rebuilt[table], table);
  }
}

async function scalar(query: string): Promise<string> {
  const [row] = (await (await tw.warehouse.client.query({ query, format: 'JSONEachRow' })).json()) as { v: string }[];
  return String(row!.v);
}

const ids = (n: number, from: number) => Array.from({ length: n }, (_, i) => String(from + i));
const BASE = ids(30, 1001);

test('the first refresh is a full one, whatever the mode', async () => {
  await load(
    'customers',
    BASE.map((id) => customer('shop', id, { owner_id: Number(id) % 2 ? 'OWN-1' : 'OWN-2' })),
  );
  // Customer i has i % 4 orders (some none), each of one or two lines, spread over the year.
  const lines = BASE.flatMap((id, i) =>
    Array.from({ length: i % 4 }, (_, k) => {
      const date = `2024-${String(1 + ((i + 3 * k) % 11)).padStart(2, '0')}-${String(1 + ((i * 7 + k) % 27)).padStart(2, '0')}`;
      const order = `O${id}-${k}`;
      const first = line('shop', `T${id}-${k}-a`, order, id, date, 10 + i + k);
      return k % 2 ? [first, line('shop', `T${id}-${k}-b`, order, id, date, 5 + k)] : [first];
    }).flat(),
  );
  await load('transactions', lines);
  const r = await refresh('incremental');
  assert.equal(r.kind, 'full');
  assert.equal(r.why, 'no rebuild yet');
  assert.equal(r.rows.customer_value, 30);
});

test('new customers, customer updates and refunds: the incremental tables equal a full rebuild', async () => {
  const before = await visible();

  await load(
    'customers',
    ['2001', '2002', '2003'].map((id) => customer('shop', id)),
  );
  await load('transactions', [
    line('shop', 'N1', 'ON1', '2001', '2024-11-02', 40),
    line('shop', 'N2', 'ON2', '2002', '2024-12-01', 15),
    line('shop', 'N3', 'ON2', '2002', '2024-12-01', 5),
  ]);
  const r1 = await refresh('incremental');
  assert.equal(r1.kind, 'incremental', r1.why);
  assert.deepEqual([r1.changedCustomers, r1.rows.customer_value], [3, 33]);
  // Only the changed customers' rows were written; the other 30 are read from the full rebuild.
  assert.equal(await scalar(`SELECT count() AS v FROM customer_value WHERE snapshot = ${r1.snapshot}`), '3');
  assert.equal(await scalar('SELECT count() AS v FROM customer_value_current'), '33');

  // Updates: an owner and a region change (newer versions of two customer records).
  await load('customers', [
    customer('shop', '1002', { owner_id: 'OWN-9' }),
    customer('shop', '1003', { region: 'south', owner_id: 'OWN-1' }),
  ]);
  // Refunds: both lines of customer 1004's order O1004-1 (i = 3, k = 1: two lines, see the first test) become refunded.
  const refunded = (await tw.warehouse.client
    .query({
      query: `SELECT transaction_id, toString(amount) AS amount, formatDateTime(order_date, '%Y-%m-%d') AS day FROM transactions FINAL WHERE order_id = 'O1004-1' ORDER BY transaction_id`,
      format: 'JSONEachRow',
    })
    .then((rs) => rs.json())) as { transaction_id: string; amount: string; day: string }[];
  assert.equal(refunded.length, 2);
  // No merges until the refresh has read them: both versions of each refunded line stay in the table,
  // so the overlay's own newest-version pick (FINAL within the scoped read, semantic/derived/sql.ts) is what is tested.
  // The refresh reads the lines from transactions_by_customer (migration 018), the full rebuild from transactions.
  for (const table of ['transactions', 'transactions_by_customer'])
    await tw.warehouse.client.command({ query: `SYSTEM STOP MERGES ${table}` });
  await load(
    'transactions',
    refunded.map((t) => line('shop', t.transaction_id, 'O1004-1', '1004', t.day, Number(t.amount), 'refunded')),
  );
  for (const table of ['transactions', 'transactions_by_customer'])
    assert.equal(
      await scalar(`SELECT count() AS v FROM ${table} WHERE order_id = 'O1004-1'`),
      '4',
      `old and new versions in ${table}`,
    );
  const r2 = await refresh('incremental').finally(async () => {
    for (const table of ['transactions', 'transactions_by_customer'])
      await tw.warehouse.client.command({ query: `SYSTEM START MERGES ${table}` });
  });
  assert.equal(r2.kind, 'incremental', r2.why);
  // Rebuilt: the 2 updated customers and the refunded one (changed since r1); carried over from r1's
  // overlay: the 3 new customers, whose rows r1 wrote.
  assert.deepEqual([r2.changedCustomers, r2.overlayCustomers], [3, 6]);
  assert.equal(r2.base, r1.base);
  assert.equal(await scalar(`SELECT count() AS v FROM derived_overlay WHERE snapshot = ${r2.snapshot}`), '6');

  const incremental = await visible();
  assert.notDeepEqual(incremental, before, 'the loads changed what readers see');
  const dan = incremental.customer_value.find(
    (c) => (c as { customer_id: string }).customer_id === customerIdFor('shop', '1004'),
  ) as { refunded_revenue: string; net_revenue: string };
  assert.equal(
    Number(dan.refunded_revenue),
    refunded.reduce((s, t) => s + Number(t.amount), 0),
  );
  await assertEqualsFullRebuild(incremental, r2);
});

test('a merge by e-mail, new facts for existing customers and an order moved to another customer: equal to a full rebuild', async () => {
  // A support-desk customer with its own order, then a CRM record with 1005's e-mail and the desk
  // customer's phone: identity resolution merges the younger customer into the older one.
  await load('customers', [customer('support', 'S-1', { email: 'desk@example.com', phone: '+49 30 5550001' })]);
  await load('transactions', [line('support', 'ST1', 'OS1', 'S-1', '2024-10-10', 70)]);
  const r1 = await refresh('incremental');
  assert.equal(r1.kind, 'incremental', r1.why);
  const customersBefore = Number(await scalar('SELECT count() AS v FROM customer_value_current'));

  await load('customers', [customer('crm', 'A-1', { email: 'c1005@example.com', phone: '+49 30 5550001' })]);
  assert.equal(
    await scalar('SELECT count() AS v FROM customer_aliases FINAL'),
    '1',
    'the bridging record merged two customers',
  );
  await load('transactions', [
    line('shop', 'E1', 'OE1', '1007', '2024-12-20', 33),
    line('shop', 'E2', 'OE2', '1008', '2024-02-02', 12),
  ]);
  // O1002-0 is customer 1002's one-line order of the first test (i = 1 → one order): it moves to 1010.
  const moved = (await tw.warehouse.client
    .query({
      query: `SELECT transaction_id, toString(amount) AS amount, formatDateTime(order_date, '%Y-%m-%d') AS day FROM transactions FINAL WHERE order_id = 'O1002-0'`,
      format: 'JSONEachRow',
    })
    .then((rs) => rs.json())) as { transaction_id: string; amount: string; day: string }[];
  assert.equal(moved.length, 1);
  await load('transactions', [
    line('shop', moved[0]!.transaction_id, 'O1002-0', '1010', moved[0]!.day, Number(moved[0]!.amount)),
  ]);

  const r2 = await refresh('incremental');
  assert.equal(r2.kind, 'incremental', r2.why);
  const incremental = await visible();
  // One customer fewer: the merged one.
  assert.equal(incremental.customer_value.length, customersBefore - 1);
  const loser = incremental.paid_orders.filter((o) => (o as { order_id: string }).order_id === 'O1002-0') as {
    customer_id: string;
  }[];
  assert.deepEqual(
    loser.map((o) => o.customer_id),
    [customerIdFor('shop', '1010')],
  );
  await assertEqualsFullRebuild(incremental, r2);
});

test('refreshes chained over one full rebuild: an order written after it moves to another customer, the carried rows stay exact', async () => {
  // r1: a new order of 1013 (in no full rebuild: only r1's overlay holds it) and a new order of 1015.
  await load('transactions', [
    line('shop', 'M1', 'OM1', '1013', '2024-09-09', 21),
    line('shop', 'M2', 'OM1', '1013', '2024-09-09', 4),
    line('shop', 'K1', 'OK1', '1015', '2024-08-08', 17),
  ]);
  const r1 = await refresh('incremental');
  assert.equal(r1.kind, 'incremental', r1.why);
  assert.deepEqual([r1.changedCustomers, r1.overlayCustomers], [2, 2]);
  // r2: both lines of OM1 move to 1014. 1013's only trace is r1's paid_orders row of OM1.
  await load('transactions', [
    line('shop', 'M1', 'OM1', '1014', '2024-09-09', 21),
    line('shop', 'M2', 'OM1', '1014', '2024-09-09', 4),
  ]);
  const r2 = await refresh('incremental');
  assert.equal(r2.kind, 'incremental', r2.why);
  // Rebuilt: 1013 and 1014; carried over from r1: 1015.
  assert.deepEqual([r2.changedCustomers, r2.overlayCustomers], [2, 3]);
  const incremental = await visible();
  const om1 = incremental.paid_orders.filter((o) => (o as { order_id: string }).order_id === 'OM1') as {
    customer_id: string;
    lines: number;
    net_revenue: string;
  }[];
  assert.deepEqual(
    om1.map((o) => [o.customer_id, Number(o.lines), Number(o.net_revenue)]),
    [[customerIdFor('shop', '1014'), 2, 25]],
  );
  await assertEqualsFullRebuild(incremental, r2);
});

test('a moved as-of date or an explicit full mode rebuilds everything', async () => {
  await load('transactions', [line('shop', 'L1', 'OL1', '1011', '2024-12-30', 9)]);
  const moved = await refresh('incremental', '2024-12-30');
  assert.equal(moved.kind, 'full');
  assert.match(moved.why, /as-of date moved from 2024-12-31 to 2024-12-30/);
  const full = await refresh('full', '2024-12-30');
  assert.deepEqual([full.kind, full.why], ['full', 'asked for']);
  // Nothing loaded since: an incremental refresh rebuilds no customer and changes nothing.
  const before = await visible();
  const none = await refresh('incremental', '2024-12-30');
  assert.deepEqual([none.kind, none.changedCustomers], ['incremental', 0]);
  assert.deepEqual(await visible(), before);
});

/** The data version of the derived tables as the answer cache reads it (semantic/refresh-keys.ts): their commit row's hash. */
async function derivedVersion(): Promise<string> {
  const { tables } = parseTableVersions(await scalar(`SELECT (${tableVersionsSql()}) AS v`));
  const hash = tables.get('derived_snapshots');
  assert.ok(hash, 'derived_snapshots is in the data version');
  return hash;
}

test('a refresh that changes no customer leaves the data version of the derived tables as it was; one that changes one advances it, equal to a full rebuild', async () => {
  await refresh('full');
  const version = await derivedVersion();
  const before = await visible();
  // Twice: an empty refresh after an empty refresh is still empty (its window did not move).
  for (const k of [1, 2]) {
    const none = await refresh('incremental');
    assert.deepEqual(
      [none.kind, none.changedCustomers, none.committed],
      ['incremental', 0, false],
      `empty refresh ${k}`,
    );
    assert.equal(await derivedVersion(), version, `empty refresh ${k}: the commit row is not written again`);
    assert.deepEqual(
      none.rows,
      {
        paid_orders: before.paid_orders!.length,
        customer_value: before.customer_value!.length,
        customer_retention: before.customer_retention!.length,
      },
      'the committed rows per table',
    );
  }
  assert.deepEqual(await visible(), before);
  // The window of the next refresh still opens at the committed snapshot: a line loaded after the empty ones is found.
  await load('transactions', [line('shop', 'Z1', 'OZ1', '1016', '2024-11-11', 33)]);
  const one = await refresh('incremental');
  assert.deepEqual([one.kind, one.changedCustomers, one.committed], ['incremental', 1, true]);
  assert.notEqual(await derivedVersion(), version, 'a changed customer commits: the version advances');
  const incremental = await visible();
  assert.equal(incremental.paid_orders!.length, before.paid_orders!.length + 1);
  await assertEqualsFullRebuild(incremental, one);
});

test('the last paid day, read from the newest month with a paid line, is the one the as-of rule reads from all lines', async () => {
  const db = tw.config.database;
  const both = async () => [
    await lastPaidDay(tw.warehouse.client, db),
    await readLastFactDate(tw.warehouse.client, db),
  ];
  // The newest paid line so far is L1 (2024-12-30, the moved-as-of test above).
  assert.deepEqual(await both(), ['2024-12-30', '2024-12-30']);
  await load('transactions', [line('shop', 'X1', 'OX1', '1012', '2025-02-10', 5)]);
  assert.deepEqual(await both(), ['2025-02-10', '2025-02-10']);
  // Its newer version is cancelled: February keeps a line but no paid one, so January … December count.
  await load('transactions', [line('shop', 'X1', 'OX1', '1012', '2025-02-10', 5, 'cancelled')]);
  assert.deepEqual(await both(), ['2024-12-30', '2024-12-30']);
});
