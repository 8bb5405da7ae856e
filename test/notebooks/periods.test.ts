/**
 * notebooks/lib/periods.ts: notebook 01's "last 12 months vs the 12 before" leaves out a partial
 * last month. Sums computed here by hand from the series.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastTwelveVsPrevious, monthEnd } from '../../notebooks/lib/periods.ts';

// 25 months, 2022-01 … 2024-01: 100 a month, the last (2024-01) only 10 (data to 3 Jan).
const months = Array.from({ length: 25 }, (_, i) => `${2022 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
const values = months.map((_, i) => (i === 24 ? 10 : 100));

test('a partial last month is left out: 2023-01…2023-12 (1,200) vs 2022-01…2022-12 (1,200), no change', () => {
  const r = lastTwelveVsPrevious(months, values, '2024-01-03')!;
  assert.deepEqual([r.from, r.to, r.last, r.before, r.partialMonth], ['2023-01', '2023-12', 1200, 1200, '2024-01']);
  assert.equal(r.change, 0);
  // What the notebook printed before: 2023-02…2024-01 = 11 × 100 + 10 = 1,110 vs 2022-02…2023-01 = 1,200 → −7.5 %.
  assert.notEqual(r.change, 1110 / 1200 - 1);
});

test('data to the month’s last day: the month is complete and counted', () => {
  const r = lastTwelveVsPrevious(months, values, '2024-01-31')!;
  assert.deepEqual([r.from, r.to, r.last, r.before, r.partialMonth], ['2023-02', '2024-01', 11 * 100 + 10, 1200, undefined]);
});

test('fewer than 24 complete months: no comparison; month ends across leap years', () => {
  assert.equal(lastTwelveVsPrevious(months.slice(1), values.slice(1), '2024-01-03'), undefined);
  assert.deepEqual([monthEnd('2024-02'), monthEnd('2023-02'), monthEnd('2023-12')], ['2024-02-29', '2023-02-28', '2023-12-31']);
  assert.throws(() => lastTwelveVsPrevious(['2024-01'], [], '2024-01-01'), /1 months but 0 values/);
});
