import { expect, test } from 'vitest';
import { restNote, restOfTotal } from './rest-of-total.ts';
import { paretoRows } from './options/pareto.ts';

// 17 owners' lost value: a query limited to the largest 15 shows 15 bars, and the page's total
// (the Lost value card) holds all 17. The two left out, added by hand: 300 + 200 = 500 in 3 + 2 deals.
const shown = Array.from({ length: 15 }, (_, i) => ({ value: 1000 - i * 10, count: 10 }));
const shownValue = shown.reduce((s, p) => s + p.value, 0); // 15 × 1000 − 10 × (0 + … + 14) = 13,950
const total = { value: shownValue + 500, count: 150 + 5 };

test('the part of the total the largest categories leave out', () => {
  expect(shownValue).toBe(13_950);
  expect(restOfTotal(shown, total, 15)).toEqual({ value: 500, count: 5, share: 500 / 14_450 });
});

test('fewer rows than the limit: every category is shown, nothing is left out', () => {
  expect(restOfTotal(shown.slice(0, 14), { value: shownValue - 860, count: 140 }, 15)).toBeUndefined();
});

test('the limit reached but the rows hold the whole total: nothing is left out', () => {
  expect(restOfTotal(shown, { value: shownValue, count: 150 }, 15)).toBeUndefined();
});

test('no total (still loading, or failed): nothing is claimed', () => {
  expect(restOfTotal(shown, undefined, 15)).toBeUndefined();
});

test('the note names how many are shown, what the rest adds up to and its share of the total', () => {
  const rest = restOfTotal(shown, total, 15)!;
  expect(restNote(rest, { shown: 15, what: 'owners', format: (v) => `€${v}`, countLabel: 'deals' })).toBe(
    'The 15 largest owners are shown; the others add up to €500 (3.5% of the total) in 5 deals.',
  );
  expect(restNote(rest, { shown: 15, what: 'owners', format: (v) => `€${v}` })).toBe('The 15 largest owners are shown; the others add up to €500 (3.5% of the total).');
});

test('a Pareto over the largest reasons measures shares against the whole total, not the shown ones', () => {
  // Reasons of 600 and 300 shown, 100 more left out: 60 % and 90 % cumulative, not 66.7 % and 100 %.
  const rows = paretoRows(
    [
      { key: 'price', value: 600 },
      { key: 'timing', value: 300 },
    ],
    1000,
  );
  expect(rows.map((r) => [r.share, r.cumulative])).toEqual([
    [0.6, 0.6],
    [0.3, 0.9],
  ]);
  // Without a total (or one below the shown sum, a total from another moment) the shown sum is the base.
  expect(paretoRows([{ key: 'price', value: 600 }, { key: 'timing', value: 300 }], 500).at(-1)?.cumulative).toBe(1);
});
