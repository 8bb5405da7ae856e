import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cdnowChurnMatrix, PRODUCT_FEATURES_V32 } from '../../../models/bench/cdnow-churn-matrix.ts';

test('cdnowChurnMatrix: order features as the feature SQL defines them, label from the horizon', () => {
  const lines = [
    // a: three visits (two lines on 06-01 are one visit), buys again inside the horizon.
    { customerId: 'a', date: '1997-01-10', amount: 10 },
    { customerId: 'a', date: '1997-06-01', amount: 5 },
    { customerId: 'a', date: '1997-06-01', amount: 7 },
    { customerId: 'a', date: '1997-09-20', amount: 30 },
    { customerId: 'a', date: '1997-11-01', amount: 1 },
    // b: one visit, nothing after the cutoff → churned.
    { customerId: 'b', date: '1997-03-01', amount: 20 },
    // c: bought only on the cutoff day: no row (facts strictly before the cutoff).
    { customerId: 'c', date: '1997-10-01', amount: 9 },
    // d: last bought more than 365 days before: outside the population.
    { customerId: 'd', date: '1996-09-01', amount: 9 },
  ];
  const m = cdnowChurnMatrix(lines, '1997-10-01', 90);
  assert.deepEqual(m.customerIds, ['a', 'b']);
  assert.equal(m.nCols, PRODUCT_FEATURES_V32.length);
  assert.deepEqual(Array.from(m.y), [0, 1]);
  const row = (i: number): Record<string, number> => Object.fromEntries(m.featureNames.map((n, j) => [n, m.values[i * m.nCols + j]]));
  const a = row(0);
  // Cutoff 1997-10-01: last visit 09-20 (11 days), first 01-10 (264 days); 06-01 is 122 days before.
  assert.equal(a.recency_days, 11);
  assert.equal(a.tenure_days, 264);
  assert.equal(a.orders_total, 3);
  assert.equal(a.orders_90d, 1);
  assert.equal(a.orders_prev_90d, 1);
  assert.equal(a.orders_365d, 3);
  assert.equal(a.revenue_90d, 30);
  assert.equal(a.revenue_prev_90d, 12);
  assert.equal(a.revenue_365d, 52);
  assert.equal(a.aov_365d, 52 / 3);
  assert.equal(a.spend_change_90d, 30 / 12 - 1);
  assert.equal(a.order_gap_days, (264 - 11) / 2);
  assert.equal(a.overdue_ratio, 11 / ((264 - 11) / 2));
  assert.equal(a.calls_90d, 0);
  assert.ok(Number.isNaN(a.csat_avg_180d), 'NULLable features without facts are missing');
  const b = row(1);
  assert.equal(b.orders_total, 1);
  assert.ok(Number.isNaN(b.order_gap_days) && Number.isNaN(b.overdue_ratio) && Number.isNaN(b.spend_change_90d));
});

test('cdnowChurnMatrix: a bad amount is an error naming the line and customer', () => {
  assert.throws(() => cdnowChurnMatrix([{ customerId: 'x7', date: '1997-01-01', amount: NaN }], '1997-10-01', 90), /line 0 \(customer x7\): amount/);
});
