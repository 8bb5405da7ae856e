import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addDays,
  ChurnDefinitionError,
  DEFAULT_CHURN_DEFINITION,
  describeDefinition,
  parseDay,
  resolveDefinition,
  validationCutoffs,
} from '../../../models/churn/definition.ts';
import { buildFeatureQuery, FEATURE_NAMES, FEATURES } from '../../../models/churn/features.ts';
import { buildExportQuery } from '../../../models/churn/export.ts';
import { fitLogistic1d, predictLogistic1d } from '../../../models/churn/baselines.ts';

describe('churn definition', () => {
  test('defaults: 90-day horizon among customers active in the 365 days before', () => {
    const d = resolveDefinition();
    assert.deepEqual(d, { ...DEFAULT_CHURN_DEFINITION, purchaseStatuses: ['completed'] });
    assert.match(describeDefinition(d), /no completed order in the 90 days from the cutoff on/);
    assert.deepEqual(resolveDefinition({ horizonDays: 60, activeWindowDays: undefined }).activeWindowDays, 365);
  });

  const bad: [Partial<typeof DEFAULT_CHURN_DEFINITION>, RegExp][] = [
    [{ horizonDays: 0 }, /horizonDays/],
    [{ horizonDays: 1.5 }, /horizonDays/],
    [{ activeWindowDays: -1 }, /activeWindowDays/],
    [{ purchaseStatuses: [] }, /purchaseStatuses/],
  ];
  for (const [partial, message] of bad) {
    test(`rejects ${JSON.stringify(partial)}`, () => assert.throws(() => resolveDefinition(partial), (e: Error) => e instanceof ChurnDefinitionError && message.test(e.message)));
  }

  test('dates', () => {
    assert.equal(addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(addDays('2024-12-31', 1), '2025-01-01');
    assert.throws(() => parseDay('2024-02-30'), ChurnDefinitionError);
    assert.throws(() => parseDay("2024-01-01' OR 1=1"), ChurnDefinitionError);
    assert.deepEqual(validationCutoffs('2025-01-01', resolveDefinition()), { trainCutoff: '2024-07-05', evalCutoff: '2024-10-03' });
  });
});

describe('feature query builder', () => {
  const q = buildFeatureQuery({ cutoff: '2024-06-30', withLabels: true });

  test('binds every value; the cutoff is a parameter, never pasted', () => {
    assert.equal(q.query_params.cutoff, '2024-06-30');
    assert.doesNotMatch(q.query, /2024-06-30/);
    assert.deepEqual(q.query_params.placed_statuses, ['completed', 'refunded']);
    assert.deepEqual(q.query_params.purchase_statuses, ['completed']);
    assert.equal(q.query_params.horizon_days, 90);
    assert.equal(q.query_params.active_window_days, 365);
  });

  test('every fact read for a feature is filtered before the cutoff; only the label looks after it', () => {
    const [features, label] = q.query.split('lbl AS (');
    for (const [table, column] of [
      ['transactions_resolved', 'order_date'],
      ['interactions_resolved', 'occurred_at'],
      ['opportunities_resolved', 'created_at'],
      ['campaign_members_resolved', 'added_at'],
    ]) {
      const at = features.indexOf(`FROM ${table}`);
      assert.ok(at > 0, table);
      const where = features.slice(at, features.indexOf('GROUP BY', at));
      assert.match(where, new RegExp(`${column} < \\{cutoff:Date\\}`), `${table} is read only before the cutoff`);
    }
    assert.doesNotMatch(features, />= \{cutoff:Date\}|addDays\(/, 'no feature reads on or after the cutoff');
    assert.match(label, /order_date >= \{cutoff:Date\} AND order_date < addDays\(\{cutoff:Date\}, \{horizon_days:UInt32\}\)/);
  });

  test('output columns follow FEATURES; without labels there is no label window at all', () => {
    for (const f of FEATURES) assert.ok(q.query.includes(` AS ${f.name},`) || q.query.includes(` AS ${f.name}\n`), f.name);
    assert.equal(new Set(FEATURE_NAMES).size, FEATURE_NAMES.length);
    const scoring = buildFeatureQuery({ cutoff: '2024-06-30', population: 'buyers' });
    assert.doesNotMatch(scoring.query, /lbl|horizon_days|churned/);
    assert.equal(scoring.query_params.horizon_days, undefined);
    assert.doesNotMatch(scoring.query, /HAVING/, 'every buyer');
    assert.match(scoring.query, /\nORDER BY customer_id$/, 'rows in customer order by default');
    assert.doesNotMatch(buildFeatureQuery({ cutoff: '2024-06-30', population: 'buyers', ordered: false }).query, /ORDER BY/, 'scoring reads them unsorted');
    assert.match(q.query, /HAVING arrayCount\(d -> d >= subtractDays\(\{cutoff:Date\}, \{active_window_days:UInt32\}\), day\) >= \{min_orders:UInt32\}/);
  });

  test('customer filter and export format', () => {
    const one = buildFeatureQuery({ cutoff: '2024-06-30', customerIds: ["a'b"] });
    assert.deepEqual(one.query_params.customer_ids, ["a'b"]);
    assert.doesNotMatch(one.query, /a'b/);
    assert.match(buildExportQuery({ cutoff: '2024-06-30', format: 'parquet' }).query, /\nFORMAT Parquet$/);
    assert.match(buildExportQuery({ cutoff: '2024-06-30', format: 'csv' }).query, /\nFORMAT CSV$/);
  });

  test('rejects a malformed cutoff before building SQL', () => {
    assert.throws(() => buildFeatureQuery({ cutoff: '2024-6-30' }), ChurnDefinitionError);
  });
});

describe('recency baseline', () => {
  test('1-D logistic regression recovers a known slope', () => {
    let s = 1;
    const rnd = (): number => ((s = (s * 48271) % 2147483647) / 2147483647);
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const xi = rnd() * 6;
      x.push(xi);
      y.push(rnd() < 1 / (1 + Math.exp(-(-3 + 1 * xi))) ? 1 : 0);
    }
    const fit = fitLogistic1d(x, y);
    assert.ok(Math.abs(fit.intercept + 3) < 0.15, `intercept ${fit.intercept}`);
    assert.ok(Math.abs(fit.slope - 1) < 0.05, `slope ${fit.slope}`);
    const p = predictLogistic1d(fit, [0, 3]);
    assert.ok(p[0] < 0.1 && Math.abs(p[1] - 0.5) < 0.05);
  });
});
