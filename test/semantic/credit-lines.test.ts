/**
 * Return/credit lines of their own (ingest mapping "credits", status `credit`) through the derived
 * tables: they reduce net revenue and count as refunds, and they are never purchases — not orders,
 * not active or new customers, not first/last orders, recency, frequency or retention activity.
 * Expected figures are computed here from the lines the test loads; an incremental refresh after a
 * second load equals a full rebuild row by row. Real embedded engine, migrations, ingest job and
 * derived SQL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ingestRecords } from '../../ingest/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const AS_OF = '2024-12-31';
let tw: TestWarehouse;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
});
after(() => tw?.close());

/** One line as an export gives it: a credit has a negative quantity (the mapping loads it as a credit). */
interface Line {
  id: string;
  order: string;
  customer: string;
  day: string;
  qty: number;
  price: number;
}
const L = (id: string, order: string, customer: string, day: string, qty: number, price: number): Line => ({ id, order, customer, day, qty, price });

// A: bought (O1, two lines), returned part of it on its own credit note (C1), bought again (O2).
// B: a credit (C2) before its first purchase (O3): not its cohort. C: credits only (C3): not a buyer.
// D: one order (O4) with a credit line inside it.
const FIRST: Line[] = [
  L('T1', 'O1', 'A', '2024-03-10', 2, 50),
  L('T2', 'O1', 'A', '2024-03-10', 1, 50),
  L('T3', 'C1', 'A', '2024-04-05', -1, 30),
  L('T4', 'O2', 'A', '2024-06-01', 4, 5),
  L('T5', 'O4', 'D', '2024-01-20', 3, 20),
  L('T6', 'O4', 'D', '2024-01-20', -1, 15),
];
const SECOND: Line[] = [
  L('T7', 'C2', 'B', '2024-02-01', -2, 5),
  L('T8', 'O3', 'B', '2024-05-15', 1, 40),
  L('T9', 'C3', 'C', '2024-07-01', -5, 5),
  L('T10', 'C4', 'A', '2024-08-01', -1, 12.5),
];

let batch = 0;
async function load(lines: Line[]): Promise<void> {
  const records = lines.map((l) => ({
    source: 'shop',
    transaction_id: l.id,
    order_id: l.order,
    customer_ref: l.customer,
    order_date: `${l.day} 10:00:00`,
    status: 'completed',
    quantity: String(l.qty),
    unit_price: l.price.toFixed(2),
    currency: 'EUR',
  }));
  const s = await ingestRecords(tw.warehouse, 'transactions', records, { batchLabel: `test:credits-${++batch}`, mapping: { credits: { sign: true } } });
  assert.equal(s.status, 'completed', s.error);
  assert.deepEqual([s.loaded, s.rejected], [lines.length, 0], JSON.stringify(s.rejects));
}

const cents = (l: Line): number => Math.round(Math.abs(l.qty) * l.price * 100);
const isCredit = (l: Line): boolean => l.qty < 0;

/** The test's own reading of the lines: per customer, purchases (orders and days) and money. */
function expected(lines: Line[]) {
  const sales = lines.filter((l) => !isCredit(l));
  const credits = lines.filter(isCredit);
  const customers = [...new Set(lines.map((l) => l.customer))].sort();
  return {
    gross: sales.reduce((t, l) => t + cents(l), 0),
    refunds: credits.reduce((t, l) => t + cents(l), 0),
    orders: new Set(sales.map((l) => l.order)).size,
    buyers: new Set(sales.map((l) => l.customer)).size,
    perCustomer: customers.map((c) => {
      const own = sales.filter((l) => l.customer === c);
      const days = own.map((l) => l.day).sort();
      return {
        customer: c,
        orders: new Set(own.map((l) => l.order)).size,
        first: days[0] ?? null,
        last: days.at(-1) ?? null,
        net: own.reduce((t, l) => t + cents(l), 0) - credits.filter((l) => l.customer === c).reduce((t, l) => t + cents(l), 0),
        activeMonths: [...new Set(days.map((d) => d.slice(0, 7)))].sort(),
      };
    }),
  };
}

async function rows<T>(query: string): Promise<T[]> {
  return (await (await tw.warehouse.client.query({ query, format: 'JSONEachRow' })).json()) as T[];
}

/** Customer refs → the customer ids the load gave them (placeholders: customers known from facts only). */
async function idsByRef(): Promise<Map<string, string>> {
  const r = await rows<{ ref: string; id: string }>(`SELECT DISTINCT customer_ref AS ref, customer_id AS id FROM transactions FINAL WHERE source = 'shop'`);
  return new Map(r.map((x) => [x.ref, x.id]));
}

async function assertDerived(lines: Line[]): Promise<void> {
  const want = expected(lines);
  const ids = await idsByRef();
  const refOf = new Map([...ids].map(([ref, id]) => [id, ref]));
  const [totals] = await rows<{ gross: string; refunds: string; net: string; orders: string; buyers: string; first_orders: string }>(
    `SELECT toString(sum(gross_revenue)) AS gross, toString(sum(refunded_revenue)) AS refunds, toString(sum(net_revenue)) AS net,
       toString(countIf(lines > 0)) AS orders, toString(uniqExactIf(customer_id, lines > 0)) AS buyers,
       toString(countIf(customer_order_number = 1)) AS first_orders
     FROM paid_orders_current`,
  );
  const c = (v: string): number => Math.round(Number(v) * 100);
  assert.deepEqual(
    [c(totals!.gross), c(totals!.refunds), c(totals!.net), Number(totals!.orders), Number(totals!.buyers), Number(totals!.first_orders)],
    [want.gross, want.refunds, want.gross - want.refunds, want.orders, want.buyers, want.buyers],
  );
  // Credit-only orders are rows (net revenue by month includes them) but no purchase: status credit, number 0.
  const creditOrders = await rows<{ order_id: string; status: string; n: number; lines: number }>(
    `SELECT order_id, status, customer_order_number AS n, lines FROM paid_orders_current WHERE status = 'credit' ORDER BY order_id`,
  );
  const creditOnly = [...new Set(lines.filter(isCredit).map((l) => l.order))].filter((o) => !lines.some((l) => l.order === o && !isCredit(l))).sort();
  assert.deepEqual(
    creditOrders.map((o) => [o.order_id, Number(o.n), Number(o.lines)]),
    creditOnly.map((o) => [o, 0, 0]),
  );
  const value = await rows<{ customer_id: string; orders: number; first: string | null; last: string | null; net: string; cohort: string | null }>(
    `SELECT customer_id, orders, if(isNull(first_order_at), NULL, toString(toDate(first_order_at))) AS first,
       if(isNull(last_order_at), NULL, toString(toDate(last_order_at))) AS last, toString(net_revenue) AS net,
       if(isNull(cohort_month), NULL, toString(cohort_month)) AS cohort
     FROM customer_value_current WHERE customer_id IN (SELECT customer_id FROM transactions FINAL WHERE source = 'shop')`,
  );
  assert.deepEqual(
    value.map((v) => ({ customer: refOf.get(v.customer_id), orders: Number(v.orders), first: v.first, last: v.last, net: c(v.net), cohort: v.cohort })).sort((a, b) => a.customer!.localeCompare(b.customer!)),
    want.perCustomer.map((p) => ({ customer: p.customer, orders: p.orders, first: p.first, last: p.last, net: p.net, cohort: p.first ? `${p.first.slice(0, 7)}-01` : null })),
  );
  // Retention: a customer's grid starts at its first purchase; a month of credits only is not active.
  const grid = await rows<{ customer_id: string; month: string; active: number }>(
    `SELECT customer_id, toString(activity_month) AS month, is_active AS active FROM customer_retention_current WHERE customer_id IN (SELECT customer_id FROM transactions FINAL WHERE source = 'shop')`,
  );
  for (const p of want.perCustomer) {
    const own = grid.filter((g) => refOf.get(g.customer_id) === p.customer);
    if (p.orders === 0) {
      assert.equal(own.length, 0, `${p.customer} bought nothing: no retention grid`);
      continue;
    }
    assert.equal(own.map((g) => g.month).sort()[0], `${p.first!.slice(0, 7)}-01`, `${p.customer}: grid from the first purchase`);
    assert.deepEqual(
      own.filter((g) => Number(g.active) === 1).map((g) => g.month.slice(0, 7)).sort(),
      p.activeMonths,
      `${p.customer}: active months`,
    );
  }
}

async function visible(): Promise<Record<string, unknown[]>> {
  const read = (view: string, order: string) => rows<unknown>(`SELECT * EXCEPT (snapshot) FROM ${view} ORDER BY ${order}`);
  return {
    paid_orders: await read('paid_orders_current', 'source, order_id'),
    customer_value: await read('customer_value_current', 'customer_id'),
    customer_retention: await read('customer_retention_current', 'customer_id, months_since'),
  };
}

test('credit lines reduce net revenue and refunds count them; they are not purchases (full rebuild)', async () => {
  await load(FIRST);
  const stored = await rows<{ status: string; amount: string; quantity: string }>(`SELECT status, toString(amount) AS amount, toString(quantity) AS quantity FROM transactions FINAL WHERE transaction_id = 'T6'`);
  assert.deepEqual(stored, [{ status: 'credit', amount: '15', quantity: '1' }]);
  const r = await refreshDerived(tw.warehouse.client, tw.config.database, { mode: 'full', configuredAsOf: AS_OF });
  assert.equal(r.kind, 'full');
  await assertDerived(FIRST);
  const [o4] = await rows<{ status: string }>(`SELECT status FROM paid_orders_current WHERE order_id = 'O4'`);
  assert.equal(o4!.status, 'partially_refunded');
});

test('after a load of credits (one before a first purchase, one of a customer who never bought), the incremental refresh equals a full rebuild', async () => {
  await load(SECOND);
  const r = await refreshDerived(tw.warehouse.client, tw.config.database, { mode: 'incremental', configuredAsOf: AS_OF });
  assert.equal(r.kind, 'incremental', r.why);
  await assertDerived([...FIRST, ...SECOND]);
  const incremental = await visible();
  const full = await refreshDerived(tw.warehouse.client, tw.config.database, { mode: 'full', configuredAsOf: AS_OF });
  assert.deepEqual(r.rows, full.rows, 'rows per table');
  assert.deepEqual(incremental, await visible());
});
