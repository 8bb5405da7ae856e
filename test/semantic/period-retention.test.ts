/**
 * Period retention (issue 15): customer_retention.retention_rate on the hand-countable fixture
 * (test/semantic/fixture.ts) through the real Cube server and engine. Paid order days per customer
 * (resolved; C11's order counts for C01), from the fixture's rows:
 *   C01 Jan 10, Feb 12, Mar 15, Apr 10, May 20, Jun 28   C02 Jan 15          C03 Feb 5, Mar 10, May 5, Jun 20
 *   C04 Feb 20, Mar 5                                     C05 Jun 30          C06 Jan 22, Feb 1, Feb 20
 *   C07 Feb 10, Feb 25, Mar 12, Apr 2, Apr 25             C08 May 30          C09 Jan 5, Jan 25   C10 Jun 10
 * (all 2024). Active in Q1: C01 C02 C03 C04 C06 C07 C09 (7); of them active in Q2: C01 C03 C07 (3).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OWNER_ANN } from './fixture.ts';
import { num, startSemanticFixture, type CubeQuery as SupportQuery, type SemanticFixture } from './support.ts';
import { retentionKpiQuery } from '../../web/src/lib/cockpit/queries.ts';

let fx: SemanticFixture;
let exec: string;
before(async () => {
  fx = await startSemanticFixture();
  exec = fx.token('executive');
});
after(async () => {
  await fx?.close();
});

const M = ['customer_retention.retention_rate', 'customer_retention.base_customers', 'customer_retention.retained_customers'];
const Q1: [string, string] = ['2024-01-01', '2024-03-31'];
const Q2: [string, string] = ['2024-04-01', '2024-06-30'];
const td = (period: [string, string], base?: [string, string]) => [
  { dimension: 'customer_retention.period', dateRange: period },
  ...(base ? [{ dimension: 'customer_retention.base_period', dateRange: base }] : []),
];

test('Q2 after Q1: 3 of the 7 customers active in Q1 bought again in Q2', async () => {
  const [r] = await fx.load({ measures: M, timeDimensions: td(Q2, Q1) }, exec);
  assert.equal(num(r['customer_retention.base_customers']), 7);
  assert.equal(num(r['customer_retention.retained_customers']), 3);
  assert.equal(num(r['customer_retention.retention_rate']), 3 / 7);
});

test('the dashboard’s query: the base is the previous period of lib/periods (a quarter → the quarter before)', async () => {
  const q = retentionKpiQuery({ from: Q2[0], to: Q2[1], region: '', channel: '', owner: '', segment: '' });
  const [r] = await fx.load(q as SupportQuery, exec);
  assert.equal(num(r['customer_retention.retention_rate']), 3 / 7);
});

test('months: March after February — Feb actives C01 C03 C04 C06 C07, of whom C01 C03 C04 C07 bought in March', async () => {
  const [r] = await fx.load({ measures: M, timeDimensions: td(['2024-03-01', '2024-03-31'], ['2024-02-01', '2024-02-29']) }, exec);
  assert.equal(num(r['customer_retention.base_customers']), 5);
  assert.equal(num(r['customer_retention.retained_customers']), 4);
});

test('without base_period the base is the same number of days just before', async () => {
  // Jun 1–30 (30 days) → base May 2–31: C01 (May 20), C03 (May 5), C08 (May 30); in June: C01, C03.
  const [r] = await fx.load({ measures: M, timeDimensions: td(['2024-06-01', '2024-06-30']) }, exec);
  assert.equal(num(r['customer_retention.base_customers']), 3);
  assert.equal(num(r['customer_retention.retained_customers']), 2);
});

test('by region, and an owner sees only their customers', async () => {
  const rows = await fx.load({ measures: M, dimensions: ['customer_retention.customer_region'], timeDimensions: td(Q2, Q1) }, exec);
  const by = Object.fromEntries(rows.map((r) => [r['customer_retention.customer_region'], [num(r['customer_retention.retained_customers']), num(r['customer_retention.base_customers'])]]));
  // North: C01 C02 C09 → C01; South: C03 C04 → C03; East: C06 → none; West: C07 → C07.
  assert.deepEqual(by, { North: [1, 3], South: [1, 2], East: [0, 1], West: [1, 1] });
  // Ann owns C01–C05: Q1 actives C01 C02 C03 C04, again in Q2 C01 C03.
  const [ann] = await fx.load({ measures: M, timeDimensions: td(Q2, Q1) }, fx.token('owner', OWNER_ANN));
  assert.equal(num(ann['customer_retention.base_customers']), 4);
  assert.equal(num(ann['customer_retention.retained_customers']), 2);
});

test('without a period there is nothing to measure: empty, not a number over all time', async () => {
  const [r] = await fx.load({ measures: ['customer_retention.retention_rate', 'customer_retention.base_customers'] }, exec);
  assert.equal(r['customer_retention.retention_rate'], null);
  assert.equal(num(r['customer_retention.base_customers']), 0);
});
