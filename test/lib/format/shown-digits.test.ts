/**
 * Values at the extremes (task E2, "a number a user can misread is a bug"): a share that is not zero
 * never shows as "0.0%", one below one never as "100.0%", a change that happened never as "±0.0%",
 * an amount that is not zero never as "€0" or "-€0". The expected texts are worked out by hand; the
 * sweeps check every shown text against the value it stands for with arithmetic, not with Intl.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  exportValue,
  formatChange,
  formatDays,
  formatMoney,
  formatNumber,
  formatPercent,
  formatPointChange,
  type FormatContext,
} from '../../../lib/format/index.ts';

const DE: FormatContext = { locale: 'de-DE', currency: 'EUR' };

describe('shares at the extremes', () => {
  const cases: [string, string][] = [
    // P(alive) 0.04 % and a churn probability of 99.96 %: one decimal cannot show either.
    [formatPercent(0.0004), '<0.1%'],
    [formatPercent(0.9996), '>99.9%'],
    // True zero and true one keep their plain text, so "0.0%" means zero.
    [formatPercent(0), '0.0%'],
    [formatPercent(1), '100.0%'],
    // 0.06 % and 99.94 % round to a digit that is not the extreme: shown as they round.
    [formatPercent(0.0006), '0.1%'],
    [formatPercent(0.9994), '99.9%'],
    // Whole percents: the step is 1 %.
    [formatPercent(0.004, 0), '<1%'],
    [formatPercent(0.996, 0), '>99%'],
    [formatPercent(0.006, 0), '1%'],
    // A rate above one (a ratio, not a probability) is not capped.
    [formatPercent(1.0004), '100.0%'],
    [formatPercent(1.5), '150.0%'],
    // A negative share that rounds to zero keeps its sign, in the locale's minus ("-5.0%" beside it).
    [formatPercent(-0.0004), '-<0.1%'],
    [formatPercent(-0.05), '-5.0%'],
    // The locale's separators and spacing.
    [formatPercent(0.0004, 1, DE), '<0,1\u00a0%'],
    [formatPercent(0.9996, 1, DE), '>99,9\u00a0%'],
    [formatPercent('0.0004'), '<0.1%'],
    [formatPercent(null), '—'],
  ];
  for (const [actual, expected] of cases) test(`${expected}`, () => assert.equal(actual, expected));

  test('sweep: every shown share is within half a step of the value, and never a false 0 or 100', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      // Half of them near the ends, where the rule matters.
      const u = rand();
      const v = i % 3 === 0 ? u * 0.002 : i % 3 === 1 ? 1 - u * 0.002 : u;
      if (v === 0 || v === 1) continue;
      const text = formatPercent(v);
      const pct = v * 100;
      if (text === '<0.1%') assert.ok(pct < 0.05 + 1e-9, `${v} → ${text}`);
      else if (text === '>99.9%') assert.ok(pct >= 99.95 - 1e-9, `${v} → ${text}`);
      else {
        const shown = Number(text.replace('%', ''));
        assert.ok(Math.abs(shown - pct) <= 0.05 + 1e-9, `${v} → ${text}`);
        assert.ok(shown !== 0 && shown !== 100, `${v} → ${text}`);
      }
    }
  });
});

describe('changes that happened never read as "±0.0%"', () => {
  const cases: [string, string][] = [
    [formatChange(0.00001), '+<0.1%'],
    [formatChange(-0.0004), '−<0.1%'],
    [formatChange(0), '±0.0%'],
    [formatChange(0.0006), '+0.1%'],
    // A fall of 99.96 % is not a fall to nothing.
    [formatChange(-0.9996), '−>99.9%'],
    [formatChange(-1), '−100.0%'],
    [formatChange(2.5), '+250.0%'],
    // Points: 10.04 % against 10 % is a change; 0.3 − 0.1 is 20 points, not a float's 19.999….
    [formatPointChange(0.1004, 0.1), '+<0.1 pp'],
    [formatPointChange(0.1, 0.1004), '−<0.1 pp'],
    [formatPointChange(0.1, 0.1), '±0.0 pp'],
    [formatPointChange(0.3, 0.1), '+20.0 pp'],
    [formatPointChange(0.1006, 0.1), '+0.1 pp'],
  ];
  for (const [actual, expected] of cases) test(`${expected}`, () => assert.equal(actual, expected));
});

describe('amounts and counts that round to nothing', () => {
  const cases: [string, string][] = [
    // −€0.40 was "-€0" (a sign on nothing) and €0.40 "€0".
    [formatMoney(-0.4), '-<€1'],
    [formatMoney(0.4), '<€1'],
    [formatMoney(0.5), '€1'],
    [formatMoney(0), '€0'],
    [formatMoney(0.004, { cents: true }), '<€0.01'],
    [formatMoney(0.4, { cents: true }), '€0.40'],
    // Compact notation starts at 10,000, so €40 is never "€0.0k"; three significant digits keep
    // the magnitude ("€1.00m" for 999,999: a million, not "€1,000k").
    [formatMoney(40, { compact: true }), '€40'],
    [formatMoney(0.4, { compact: true }), '<€1'],
    [formatMoney(999_999, { compact: true }), '€1.00m'],
    [formatMoney(-0.4, {}, DE), '-<1\u00a0€'],
    [formatNumber(0.3), '<1'],
    [formatNumber(-0.3), '-<1'],
    [formatNumber(0.04, { digits: 1 }), '<0.1'],
    [formatNumber(0), '0'],
    // Whole days: −0.4 days rounds to 0 days, not "-0 d".
    [formatDays(-0.4), '0 d'],
  ];
  for (const [actual, expected] of cases) test(`${expected}`, () => assert.equal(actual, expected));

  test('sweep: an amount under half a unit is "<€1" (or "-<€1"), every other one within half a unit', () => {
    for (let cents = -300; cents <= 300; cents++) {
      const v = cents / 100;
      const text = formatMoney(v);
      if (v === 0) assert.equal(text, '€0');
      else if (Math.abs(v) < 0.5) assert.equal(text, v < 0 ? '-<€1' : '<€1', `${v}`);
      else {
        const shown = Number(text.replace('€', ''));
        assert.ok(Math.abs(shown - v) <= 0.5 && shown !== 0, `${v} → ${text}`);
      }
    }
  });
});

describe('exports keep the digits a share needs at the extremes', () => {
  const values: [unknown, string][] = [
    [0.0004, '0.04'],
    [0.9996, '99.96'],
    [0.99999, '99.999'],
    [1e-9, '1e-7'],
    [0, '0.0'],
    [1, '100.0'],
    [0.2757756073756999, '27.6'],
    [0.0006, '0.1'],
  ];
  for (const [v, expected] of values) test(`${v} → ${expected}`, () => assert.equal(exportValue(v, 'percent'), expected));
});
