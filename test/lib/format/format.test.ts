import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  currencySymbol,
  exportHeader,
  exportValue,
  formatChange,
  formatContextOf,
  formatDate,
  formatDateTime,
  formatDays,
  formatMoney,
  formatNumber,
  formatPercent,
  formatPeriod,
  formatPointChange,
  formatPoints,
  formatQuantity,
  formatRatio,
  formatRatioRange,
  parseDay,
  relativeChange,
  toNumber,
  type FormatContext,
} from '../../../lib/format/index.ts';

const EUR: FormatContext = { locale: 'en-GB', currency: 'EUR' };
const USD: FormatContext = { locale: 'en-GB', currency: 'USD' };
const DE: FormatContext = { locale: 'de-DE', currency: 'EUR' };

describe('formatMoney: whole units, compact with 3 significant digits from 10,000', () => {
  const cases: [number | string | null, { compact?: boolean; cents?: boolean }, FormatContext, string][] = [
    // The pairs, now at one precision.
    [17_000_000, { compact: true }, EUR, '€17.0m'],
    [141_400_000, { compact: true }, EUR, '€141m'],
    [21.21, {}, EUR, '€21'],
    [244, {}, EUR, '€244'],
    [58_086.4, {}, EUR, '€58,086'],
    [14_600_000, { compact: true }, EUR, '€14.6m'],
    [1_234_567, { compact: true }, EUR, '€1.23m'],
    [999_999, { compact: true }, EUR, '€1.00m'],
    [10_000, { compact: true }, EUR, '€10.0k'],
    [9_999, { compact: true }, EUR, '€9,999'],
    [2_500_000_000, { compact: true }, EUR, '€2.50bn'],
    [-45_300, { compact: true }, EUR, '-€45.3k'],
    [-2500, {}, EUR, '-€2,500'],
    ['99.5', { cents: true }, EUR, '€99.50'],
    [0, { compact: true }, EUR, '€0'],
    [null, {}, EUR, '—'],
    ['abc', {}, EUR, '—'],
    // The base currency decides the symbol (narrow: "$", not "US$").
    [17_000_000, { compact: true }, USD, '$17.0m'],
    [29_065, {}, USD, '$29,065'],
    // The locale decides separators and words.
    [1234.5, { cents: true }, DE, '1.234,50\u00a0€'],
  ];
  for (const [v, opts, ctx, expected] of cases)
    test(`${v} ${JSON.stringify(opts)} ${ctx.currency}/${ctx.locale} → ${expected}`, () =>
      assert.equal(formatMoney(v, opts, ctx), expected));
  test('default context is EUR, en-GB', () => assert.equal(formatMoney(1200), '€1,200'));
  test('currencySymbol', () =>
    assert.deepEqual(
      [currencySymbol(EUR), currencySymbol(USD), currencySymbol({ locale: 'en-GB', currency: 'GBP' })],
      ['€', '$', '£'],
    ));
});

describe('numbers, percents, days, changes', () => {
  const cases: [string, string][] = [
    [formatNumber(1234.567), '1,235'],
    [formatNumber(1234.567, { digits: 1 }), '1,234.6'],
    [formatNumber(45_300, { compact: true }), '45.3k'],
    [formatNumber(1_200_000, { compact: true }), '1.20m'],
    [formatNumber(9_999, { compact: true }), '9,999'],
    [formatPercent(0.2757756073756999), '27.6%'],
    [formatPercent('0.5', 0), '50%'],
    [formatPercent(undefined), '—'],
    [formatDays(12), '12 d'],
    [formatDays(1, { long: true }), '1 day'],
    [formatDays(140.4, { long: true }), '140 days'],
    [formatDays(1234, { long: true }), '1,234 days'],
    [formatChange(0.345), '+34.5%'],
    [formatChange(-0.04), '−4.0%'],
    // A change of 0.001 % happened: not "±0.0%" (which now means no change at all).
    [formatChange(0.00001), '+<0.1%'],
    [formatChange(0), '±0.0%'],
    [formatChange(undefined), '—'],
    [formatPointChange(0.36, 0.358), '+0.2 pp'],
    [formatPointChange(0.3, 0.35), '−5.0 pp'],
    [formatPointChange(0.3, undefined), '—'],
  ];
  for (const [actual, expected] of cases) test(`${expected}`, () => assert.equal(actual, expected));
  test('relativeChange and toNumber', () => {
    assert.equal(relativeChange(110, 100), (110 - 100) / 100);
    assert.equal(relativeChange(-50, -100), (-50 - -100) / 100);
    assert.equal(relativeChange(5, 0), undefined);
    assert.deepEqual(
      ['12.5', '', null, 'x', Number.NaN].map((v) => toNumber(v)),
      [12.5, undefined, undefined, undefined, undefined],
    );
  });
});

describe('formatQuantity: units, hours and weights summed from order lines', () => {
  test('whole numbers as counts are shown; decimals up to four places, never trailing zeros', () => {
    assert.equal(formatQuantity(12345), '12,345');
    assert.equal(formatQuantity('22.08330000'), '22.0833'); // Cube's Decimal(38, 8) text
    assert.equal(formatQuantity('7.50000000'), '7.5');
    assert.equal(formatQuantity('3.00000000'), '3');
    assert.equal(formatQuantity(0.3333333), '0.3333');
    assert.equal(formatQuantity(0.00001), '<0.0001'); // not zero: never shown as "0"
    assert.equal(formatQuantity(24567.5, { compact: true }), '24.6k');
    assert.equal(formatQuantity(null), '—');
  });
});

describe('formatPoints: a difference of two probabilities in points', () => {
  // The expected texts are written from the arithmetic by hand: 0.21 is 21 points, 0.0049 is
  // 0.49 points (one decimal under 10 points), 0.0004 is 0.04 points, which one decimal cannot show.
  const cases: [number | null | undefined, string][] = [
    [0.21, '+21 pts'],
    [0.05, '+5.0 pts'],
    [0.0049, '+0.5 pts'],
    [-0.03, '−3.0 pts'],
    [0.1, '+10 pts'],
    // Not "+0.0 pts" nor "+0 pts": the cause adds something, less than the digits show.
    [0.0004, '+<0.1 pts'],
    [-0.0004, '−<0.1 pts'],
    [0, '±0.0 pts'],
    [null, '—'],
    [undefined, '—'],
  ];
  for (const [effect, expected] of cases)
    test(`${String(effect)} → ${expected}`, () => assert.equal(formatPoints(effect), expected));
  test('the locale writes the digits', () => assert.equal(formatPoints(0.0049, DE), '+0,5 pts'));
});

describe('formatRatio: how many times as often', () => {
  const cases: [number, string][] = [
    [2.34, '2.3×'],
    [12.4, '12×'],
    // A ratio below one is a drop: 0.96 is not "1.0×" (no change); 0.06 is not "0.1×" (two thirds off).
    [0.96, '0.96×'],
    [0.06, '0.060×'],
    [0.45, '0.45×'],
    // Two significant digits that round to one take a third, then say which side of one it is.
    [1.04, '1.04×'],
    [0.996, '0.996×'],
    [0.9996, '<1.00×'],
    [1.0004, '>1.00×'],
    [1, '1.0×'],
  ];
  for (const [x, expected] of cases) test(`${x} → ${expected}`, () => assert.equal(formatRatio(x), expected));
  test('no number, no ratio', () => assert.equal(formatRatio(Number.NaN), '—'));
  test('every ratio below one reads below one, every one above reads above', () => {
    for (let i = 1; i < 2000; i++) {
      const x = i / 1000;
      const shown = formatRatio(x);
      const value = Number(shown.replace(/[<>×]/g, ''));
      if (x < 1) assert.ok(value < 1 || shown.startsWith('<'), `${x} shown as ${shown}`);
      if (x > 1) assert.ok(value > 1 || shown.startsWith('>'), `${x} shown as ${shown}`);
    }
  });
});

describe('formatRatioRange: a confidence interval of a ratio', () => {
  // The win/loss model's intervals on the demo data: 1.2527–1.3285 read "1.3–1.3×", an interval
  // shown as a point (as if the estimate were exact).
  const cases: [number, number, string][] = [
    [0.705, 0.813, '0.71–0.81×'],
    [1.2527, 1.3285, '1.25–1.33×'],
    [1.1814, 1.2519, '1.2–1.3×'],
    [1.0303, 1.1365, '1.03–1.14×'],
    // A bound that is not 1 does not read as 1 while four digits can tell them apart; past that
    // it is 1 to the digits shown.
    [0.9326, 1.003, '0.9326–1.003×'],
    [0.874, 1.0004, '0.874–1.00×'],
    [12.4, 30.2, '12–30×'],
  ];
  for (const [low, high, expected] of cases)
    test(`${low}, ${high} → ${expected}`, () => assert.equal(formatRatioRange(low, high), expected));
  test('the two bounds of an interval that is not a point never read alike', () => {
    for (let i = 0; i < 500; i++) {
      const low = 0.5 + i / 400;
      const high = low * 1.01;
      const [a, b] = formatRatioRange(low, high).replace('×', '').split('–');
      assert.notEqual(a, b, `${low}–${high}`);
    }
  });
  test('no number, no interval', () => assert.equal(formatRatioRange(Number.NaN, 1.2), '—'));
});

describe('dates', () => {
  const cases: [string, string][] = [
    [formatDate('2026-12-05'), '5 Dec 2026'],
    [formatDate('2026-03-05T23:30:00.000'), '5 Mar 2026'],
    [formatDate(null), '—'],
    [formatDate('2026-12-05', { locale: 'en-US', currency: 'USD' }), 'Dec 5, 2026'],
    [formatDate('2026-12-05', DE), '5. Dez. 2026'],
    [formatDateTime('2026-03-05T14:05:00'), '5 Mar 2026, 14:05'],
    [formatPeriod('2026-03-01T00:00:00.000', 'month'), 'Mar 2026'],
    [formatPeriod('2026-04-01', 'quarter'), 'Q2 2026'],
    [formatPeriod('2026-03-09', 'week'), '9 Mar'],
    [formatPeriod('2026-01-01', 'year'), '2026'],
  ];
  for (const [actual, expected] of cases) test(expected, () => assert.equal(actual, expected));
  test('parseDay reads zone-less timestamps as UTC', () => {
    assert.equal(parseDay('2026-03-01T00:00:00.000')?.toISOString(), '2026-03-01T00:00:00.000Z');
    assert.equal(parseDay('nonsense'), undefined);
  });
});

describe('export values: rounded numbers, units in headers', () => {
  const values: [unknown, Parameters<typeof exportValue>[1], string | null][] = [
    [0.2757756073756999, 'percent', '27.6'],
    ['0.2757756073756999', 'percent', '27.6'],
    [1, 'percent', '100.0'],
    [49_930.456, 'money', '49930.46'],
    ['21.2', 'money', '21.20'],
    [-0.004, 'money', '0.00'],
    [-12.345, 'money', '-12.35'],
    [140.6, 'days', '141'],
    [1.234567, 'number', '1.2346'],
    ['=cmd', 'money', '=cmd'], // not a number: as it came (the CSV writer guards it)
    [null, 'money', null],
    ['', 'percent', null],
    ['Smith', 'text', 'Smith'],
    // A day: Cube's timestamp as the plain date spreadsheets read (the churn export's days_counted_to).
    ['1998-06-30T00:00:00.000', 'date', '1998-06-30'],
    ['1998-06-30', 'date', '1998-06-30'],
    ['not a day', 'date', 'not a day'],
    [null, 'date', null],
  ];
  for (const [v, unit, expected] of values)
    test(`${String(v)} as ${unit} → ${expected}`, () => assert.equal(exportValue(v, unit), expected));
  test('headers', () => {
    assert.equal(exportHeader('churn_probability', 'percent'), 'churn_probability_pct');
    assert.equal(exportHeader('churn_probability_pct', 'percent'), 'churn_probability_pct');
    assert.equal(exportHeader('clv', 'money'), 'clv_eur');
    assert.equal(exportHeader('value_at_risk_eur', 'money', USD), 'value_at_risk_usd');
    assert.equal(exportHeader('days_since_last_purchase', 'days'), 'days_since_last_purchase');
    assert.equal(exportHeader('tenure', 'days'), 'tenure_days');
    assert.equal(exportHeader('days_counted_to', 'date'), 'days_counted_to');
    assert.equal(exportHeader('region', 'text'), 'region');
  });
});

describe('formatContextOf: the configured base currency', () => {
  test('CRM_BASE_CURRENCY, upper-cased; EUR when unset or not a code', () => {
    assert.deepEqual(formatContextOf({ CRM_BASE_CURRENCY: 'usd' }), { locale: 'en-GB', currency: 'USD' });
    assert.deepEqual(formatContextOf({}), { locale: 'en-GB', currency: 'EUR' });
    assert.deepEqual(formatContextOf({ CRM_BASE_CURRENCY: 'dollars' }), { locale: 'en-GB', currency: 'EUR' });
    assert.equal(formatMoney(29065, {}, formatContextOf({ CRM_BASE_CURRENCY: 'USD' })), '$29,065');
  });
});
