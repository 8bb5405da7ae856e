/**
 * The notebooks' helper functions (notebooks/lib): curve points against the project's metrics,
 * hand-countable lift and calibration tables, CLV tracking, Cube answers to rows, HTML tables.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { liftTopDecile, prAuc, rocAuc } from '../../models/churn/metrics.ts';
import {
  averagePrecision,
  byCalibrationFrequency,
  calibrationTable,
  cumulative,
  expectedCalibrationError,
  expectedCumulativeRepeat,
  liftByDecile,
  prCurve,
  repeatPurchasesByWeek,
  rocCurve,
  trapezoid,
} from '../../notebooks/lib/curves.ts';
import { barsWithGaps, renderSvg, thin } from '../../notebooks/lib/charts.ts';
import { formatCell, htmlTable, recordsTable } from '../../notebooks/lib/frames.ts';
import { semanticUrl, shortName, toRows } from '../../notebooks/lib/semantic.ts';

/** Deterministic pseudo-random scores with some signal and many ties. */
function sample(n: number, seed = 7): { labels: number[]; scores: number[] } {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rnd() < 0.3 ? 1 : 0;
    labels.push(y);
    scores.push(Math.round((0.3 * y + 0.7 * rnd()) * 20) / 20);
  }
  return { labels, scores };
}

describe('curves agree with models/churn/metrics.ts', () => {
  for (const n of [10, 200, 1000]) {
    test(`n = ${n}, tied scores`, () => {
      const { labels, scores } = sample(n);
      const roc = rocCurve(labels, scores);
      assert.deepEqual(roc[0], { threshold: Infinity, falsePositiveRate: 0, truePositiveRate: 0 });
      assert.deepEqual([roc.at(-1)!.falsePositiveRate, roc.at(-1)!.truePositiveRate], [1, 1]);
      const area = trapezoid(roc.map((p) => ({ x: p.falsePositiveRate, y: p.truePositiveRate })));
      assert.ok(Math.abs(area - rocAuc(labels, scores)) < 1e-12, `${area} vs ${rocAuc(labels, scores)}`);
      assert.ok(Math.abs(averagePrecision(prCurve(labels, scores)) - prAuc(labels, scores)) < 1e-12);
    });
  }

  test('one class: no curve', () => {
    assert.deepEqual(rocCurve([1, 1], [0.2, 0.4]), []);
    assert.deepEqual(prCurve([0, 0], [0.2, 0.4]), []);
  });

  test('bad input is refused', () => {
    assert.throws(() => rocCurve([1, 0], [0.5]), RangeError);
    assert.throws(() => rocCurve([2, 0], [0.5, 0.1]), /labels must be 0 or 1/);
    assert.throws(() => prCurve([1, 0], [NaN, 0.1]), /NaN/);
  });
});

describe('liftByDecile', () => {
  test('hand-counted: 20 rows, 5 groups', () => {
    // Scores 20..1 (descending = input order); positives at ranks 1, 2, 3, 6, 11.
    const scores = Array.from({ length: 20 }, (_, i) => 20 - i);
    const labels = scores.map((_, i) => ([0, 1, 2, 5, 10].includes(i) ? 1 : 0));
    const rows = liftByDecile(labels, scores, 5);
    assert.deepEqual(rows.map((r) => [r.customers, r.positives]), [[4, 3], [4, 1], [4, 1], [4, 0], [4, 0]]);
    assert.deepEqual(rows.map((r) => r.lift), [3, 1, 1, 0, 0]); // base rate 5/20 = 0.25
    assert.deepEqual(rows.map((r) => r.cumulativeCapture), [0.6, 0.8, 1, 1, 1]);
    assert.equal(rows[1].cumulativeLift, 4 / 8 / 0.25);
  });

  test('sizes differ by at most one; the first decile matches liftTopDecile without ties', () => {
    const labels = Array.from({ length: 103 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const scores = labels.map((y, i) => y * 0.5 + ((i * 37) % 101) / 101);
    const rows = liftByDecile(labels, scores);
    assert.equal(rows.reduce((a, r) => a + r.customers, 0), 103);
    assert.ok(Math.max(...rows.map((r) => r.customers)) - Math.min(...rows.map((r) => r.customers)) <= 1);
    assert.ok(Math.abs(rows[0].lift - liftTopDecile(labels.slice(0, 100), scores.slice(0, 100))) < 0.5);
    assert.deepEqual(liftByDecile([0, 0], [0.1, 0.2]), []);
  });
});

describe('calibrationTable', () => {
  test('equal-width bins, empty ones left out, 1.0 in the last bin', () => {
    const rows = calibrationTable([0, 1, 1, 0, 1], [0.05, 0.15, 0.12, 0.95, 1], 10);
    assert.deepEqual(
      rows.map((r) => [r.lower, r.customers, Number(r.meanPredicted.toFixed(3)), r.observedRate]),
      [[0, 1, 0.05, 0], [0.1, 2, 0.135, 1], [0.9, 2, 0.975, 0.5]],
    );
    const ece = (1 / 5) * 0.05 + (2 / 5) * 0.865 + (2 / 5) * 0.475;
    assert.ok(Math.abs(expectedCalibrationError(rows) - ece) < 1e-12);
  });
});

describe('CLV tracking', () => {
  test('repeat purchases per week: same-day purchases merged, first day not counted', () => {
    const p = (customerId: string, day: number) => ({ customerId, day });
    const weekly = repeatPurchasesByWeek([p('a', 0), p('a', 0), p('a', 3), p('a', 8), p('b', 6), p('b', 7), p('b', 7), p('b', 30)], 0, 3);
    assert.deepEqual(weekly, [1, 2, 0]); // a: day 3 (week 0), day 8 (week 1); b: day 7 (week 1); day 30 is beyond
    assert.deepEqual(cumulative(weekly), [1, 3, 3]);
  });

  test('expected cumulative repeat purchases: exposure to the end of each week, cohorts of a first day once', () => {
    const calls: number[] = [];
    const out = expectedCumulativeRepeat([0, 0, 10], 0, 2, (t) => (calls.push(t), t));
    // week 0 ends on day 6: two customers exposed 6/7 weeks, the third not yet; week 1 ends on day 13.
    assert.deepEqual(out.map((v) => Number(v.toFixed(6))), [Number(((2 * 6) / 7).toFixed(6)), Number(((2 * 13) / 7 + 3 / 7).toFixed(6))]);
    assert.equal(calls.length, 3);
  });

  test('by calibration frequency, last group open-ended', () => {
    const rows = byCalibrationFrequency([0, 0, 1, 3, 9], [0, 1, 2, 3, 4], [0.5, 0.5, 1, 2, 5], 2);
    assert.deepEqual(rows, [
      { frequency: '0', customers: 2, meanActual: 0.5, meanExpected: 0.5 },
      { frequency: '1', customers: 1, meanActual: 2, meanExpected: 1 },
      { frequency: '2+', customers: 2, meanActual: 3.5, meanExpected: 3.5 },
    ]);
  });
});

describe('semantic API rows', () => {
  for (const [env, url] of [
    [{}, 'http://127.0.0.1:4000/cubejs-api'],
    [{ CRM_SEMANTIC_PORT: '4010' }, 'http://127.0.0.1:4010/cubejs-api'],
    [{ CRM_SEMANTIC_URL: 'http://h:1/' }, 'http://h:1/cubejs-api'],
    [{ CRM_SEMANTIC_URL: 'http://h:1/cubejs-api/' }, 'http://h:1/cubejs-api'],
  ] as const) {
    test(`semanticUrl ${JSON.stringify(env)}`, () => assert.equal(semanticUrl(env), url));
  }

  test('short names, numbers by annotation, a time dimension once as its day', () => {
    assert.equal(shortName('sales.order_date.month'), 'order_date');
    const rows = toRows(
      [{ 'sales.order_date.month': '2025-01-01T00:00:00.000', 'sales.order_date': '2025-01-01T00:00:00.000', 'sales.revenue': '12.5', 'sales.rfm_segment': 'Loyal', 'sales.orders': null }],
      { measures: { 'sales.revenue': { type: 'number' }, 'sales.orders': { type: 'number' } }, dimensions: { 'sales.rfm_segment': { type: 'string' } }, timeDimensions: { 'sales.order_date.month': { type: 'time' } } },
    );
    assert.deepEqual(rows, [{ order_date: '2025-01-01', revenue: 12.5, rfm_segment: 'Loyal', orders: null }]);
  });
});

describe('tables and charts', () => {
  test('formatCell', () => {
    for (const [v, out] of [[1234, '1,234'], [0.12345, '0.123'], [null, ''], [NaN, 'NaN'], ['a<b', 'a<b'], [[1, 2.5], '1; 2.500']] as const) {
      assert.equal(formatCell(v), out);
    }
  });

  test('htmlTable: escaped, index shown only when it is not 0..n-1, rows capped', () => {
    const html = htmlTable({ columns: ['name', 'x'], values: [['<b>', 1.5], ['c', 2]], index: ['mean', 'max'] }, { digits: 1 });
    assert.match(html, /<th><\/th><th>name<\/th><th>x<\/th>/);
    assert.match(html, /<tr><th>mean<\/th><td>&lt;b&gt;<\/td><td style="text-align:right">1.5<\/td><\/tr>/);
    assert.doesNotMatch(htmlTable({ columns: ['x'], values: [1, 2], index: [0, 1] }), /<th><\/th>/);
    assert.match(recordsTable(Array.from({ length: 60 }, (_, i) => ({ i })), { maxRows: 50 }), /10 more rows/);
  });

  test('renderSvg and thin', () => {
    const svg = renderSvg({ xAxis: { type: 'category', data: ['a', 'b'] }, yAxis: {}, series: [{ type: 'bar', data: [1, 2] }] }, { width: 300, height: 200 });
    assert.match(svg, /^<svg width="300" height="200"/);
    const pts = thin(Array.from({ length: 1000 }, (_, i) => i), 11);
    assert.deepEqual(pts, [0, 100, 200, 300, 400, 500, 599, 699, 799, 899, 999]);
  });
});

describe('barsWithGaps: an average a category does not have is a gap, not 0', () => {
  test('a segment without buyers keeps null and says so in its label', () => {
    const bars = barsWithGaps(['Champions', 'No purchases', 'Lost'], [1234.56, null, 88.4], 'no buyers');
    assert.deepEqual(bars, { categories: ['Champions', 'No purchases (no buyers)', 'Lost'], data: [1235, null, 88] });
    assert.deepEqual(barsWithGaps(['a'], [Number.NaN], 'none'), { categories: ['a (none)'], data: [null] });
  });
});
