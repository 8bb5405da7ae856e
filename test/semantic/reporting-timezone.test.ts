/**
 * The reporting time zone is UTC on every surface, whatever zone the machine or the ClickHouse server
 * is in (README "Time zones"). This process runs in Asia/Tokyo (UTC+9), so the embedded engine's own
 * zone is Tokyo, as on a laptop there: before the product's connections pinned `session_timezone`,
 * the derived tables cut days and months in Tokyo while Cube cut them in UTC, and a 23:30 UTC order
 * on 31 January was a January sale in the revenue chart and a February cohort.
 *
 * Boundary rows, each with the day and month it must count in, worked out by hand:
 * - B1 `2024-01-31 23:30:00` (no offset: read as UTC) → 31 Jan, January (Tokyo: 1 Feb 08:30).
 * - B2 `2024-01-31T23:30:00-05:00` (New York evening) = 1 Feb 04:30 UTC → 1 Feb, February.
 * - B3 `2024-03-31T20:00:00Z` → 31 Mar, March (Tokyo: 1 Apr 05:00).
 * - B4 `2024-04-01T08:30:00+09:00` (Tokyo morning) = 31 Mar 23:30 UTC → 31 Mar, March; the
 *   data's last paid day, so the as-of date is 2024-03-31.
 * Real embedded engine, real ingest jobs, real Cube.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Row } from './support.ts';

// Before any module that may load the engine (the imports below are dynamic for that reason).
process.env.TZ = 'Asia/Tokyo';
const { ingestRecords } = await import('../../ingest/index.ts');
const { customerIdFor } = await import('../../ingest/identity/customer-id.ts');
const { refreshDerived } = await import('../../semantic/derived/refresh.ts');
const { issueToken } = await import('../../semantic/security/auth.ts');
const { loadRows, startSemanticOver } = await import('../support/semantic.ts');
const { warehouseWithSchema } = await import('../ingest/helpers.ts');
const { num } = await import('./support.ts');

let tw: Awaited<ReturnType<typeof warehouseWithSchema>>;
let semantic: Awaited<ReturnType<typeof startSemanticOver>>;
let token: string;

const ORDERS: [customer: string, at: string, amount: number][] = [
  ['B1', '2024-01-31 23:30:00', 10],
  ['B2', '2024-01-31T23:30:00-05:00', 20],
  ['B3', '2024-03-31T20:00:00Z', 40],
  ['B4', '2024-04-01T08:30:00+09:00', 80],
];

before(async () => {
  tw = await warehouseWithSchema();
  const customers = await ingestRecords(
    tw.warehouse,
    'customers',
    ORDERS.map(([id]) => ({
      source: 'shop', source_id: id, customer_type: 'person', name: `Customer ${id}`, email: `${id.toLowerCase()}@example.com`, phone: '',
      region: 'north', country: 'DE', city: 'Berlin', acquisition_channel: 'web', owner_id: 'OWN-1', signup_date: '2024-01-01',
      updated_at: '2024-01-01 00:00:00',
    })),
    { batchLabel: 'test:tz-customers' },
  );
  assert.equal(customers.status, 'completed', customers.error);
  const orders = await ingestRecords(
    tw.warehouse,
    'transactions',
    ORDERS.map(([id, at, amount]) => ({
      source: 'shop', transaction_id: `T-${id}`, order_id: `O-${id}`, customer_ref: id, order_date: at, status: 'completed',
      amount: amount.toFixed(2), currency: 'EUR', quantity: '1', product_id: 'P1', product_name: 'Thing', category: 'misc', channel: 'web',
      updated_at: '2024-01-01 00:00:00',
    })),
    { batchLabel: 'test:tz-orders' },
  );
  assert.equal(orders.status, 'completed', orders.error);
  assert.equal(orders.rejected, 0, JSON.stringify(orders.rejects));
  await refreshDerived(tw.warehouse.client, tw.config.database);
  const secret = randomBytes(24).toString('base64url');
  token = issueToken({ role: 'analyst', name: 'time zone test', secret });
  semantic = await startSemanticOver(tw, { apiSecret: secret, waitSeconds: 300 });
});
after(async () => {
  await semantic?.close();
  await tw?.close();
});

function load(query: object): Promise<Row[]> {
  return loadRows<Row>(semantic, token, query);
}

test('the engine itself is in Tokyo here (else this test proves nothing); the product\'s sessions are in UTC', async () => {
  const rs = await tw.warehouse.client.query({ query: 'SELECT serverTimezone() AS server, timezone() AS session', format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ server: 'Asia/Tokyo', session: 'UTC' }]);
});

test('the derived tables cut days and months at UTC midnight', async () => {
  const rs = await tw.warehouse.client.query({
    query: `SELECT customer_id, toString(cohort_month) AS cohort, toString(toDate(last_order_at, 'UTC')) AS day_utc, toString(last_order_at) AS shown,
      recency_days, toString(as_of) AS as_of FROM customer_value_current`,
    format: 'JSONEachRow',
  });
  const rows = (await rs.json()) as { customer_id: string; cohort: string; shown: string; recency_days: number; as_of: string }[];
  const byId = new Map(ORDERS.map(([id]) => [customerIdFor('shop', id), id]));
  const got = Object.fromEntries(rows.map((r) => [byId.get(r.customer_id), `${r.cohort} ${r.shown} ${r.recency_days} ${r.as_of}`]));
  assert.deepEqual(got, {
    B1: '2024-01-01 2024-01-31 23:30:00 60 2024-03-31', // 31 Jan → 31 Mar: 29 (Feb 2024) + 31 days
    B2: '2024-02-01 2024-02-01 04:30:00 59 2024-03-31',
    B3: '2024-03-01 2024-03-31 20:00:00 0 2024-03-31',
    B4: '2024-03-01 2024-03-31 23:30:00 0 2024-03-31',
  });
});

test("Cube's revenue by day and month and the derived cohorts agree on the boundary orders", async () => {
  const byMonth = await load({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month' }] });
  assert.deepEqual(
    Object.fromEntries(byMonth.map((r) => [String(r['sales.order_date.month']).slice(0, 7), num(r['sales.revenue'])])),
    { '2024-01': 10, '2024-02': 20, '2024-03': 120 },
  );
  const jan31 = await load({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: ['2024-01-31', '2024-01-31'] }] });
  assert.equal(num(jan31[0]!['sales.revenue']), 10);
  const cohorts = await load({ measures: ['retention.cohort_customers'], timeDimensions: [{ dimension: 'retention.cohort_month', granularity: 'month' }] });
  assert.deepEqual(
    Object.fromEntries(cohorts.map((r) => [String(r['retention.cohort_month.month']).slice(0, 7), num(r['retention.cohort_customers'])])),
    { '2024-01': 1, '2024-02': 1, '2024-03': 2 },
  );
});
