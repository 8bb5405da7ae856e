import { describe, expect, test } from 'vitest';
import {
  formatChange,
  formatCurrency,
  formatDate,
  formatDateTime,
  MISSING,
  formatNumber,
  formatPercent,
  formatPeriod,
  formatPointChange,
  formatValue,
  humanize,
  parseDay,
  relativeChange,
  toNumber,
} from './format.ts';

describe('toNumber', () => {
  test.each([
    ['12.5', 12.5],
    [7, 7],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
    ['abc', undefined],
    [Number.NaN, undefined],
  ] as const)('%s → %s', (input, expected) => expect(toNumber(input)).toBe(expected));
});

describe('formatCurrency (EUR, en-GB)', () => {
  test.each([
    [1234567, {}, '€1,234,567'],
    // Whole units whatever the size (issue 15: "€21.21" next to "€244"); cents only when asked.
    ['21.21', {}, '€21'],
    ['99.5', { cents: true }, '€99.50'],
    [14_600_000, { compact: true }, '€14.6m'],
    // Compact: three significant digits (issue 15: "€17m" next to "€141.4m").
    [17_000_000, { compact: true }, '€17.0m'],
    [141_400_000, { compact: true }, '€141m'],
    [9_999, { compact: true }, '€9,999'],
    [-2500, {}, '-€2,500'],
    [null, {}, '—'],
    [0, { compact: true, cents: false }, '€0'],
  ] as const)('%s %o → %s', (v, opts, expected) => expect(formatCurrency(v, opts)).toBe(expected));
});

describe('formatNumber and formatPercent', () => {
  test.each([
    [formatNumber(1234.567), '1,235'],
    [formatNumber(1234.567, { digits: 1 }), '1,234.6'],
    [formatNumber(45_300, { compact: true }), '45.3k'],
    [formatNumber(120_000, { compact: true }), '120k'],
    [formatPercent(0.1234), '12.3%'],
    [formatPercent('0.5', 0), '50%'],
    [formatPercent(undefined), '—'],
  ])('%s === %s', (actual, expected) => expect(actual).toBe(expected));
});

describe('dates', () => {
  test('parseDay reads Cube timestamps and plain days as UTC', () => {
    expect(parseDay('2026-03-01T00:00:00.000')?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseDay('2026-03-01')?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseDay('nonsense')).toBeUndefined();
  });
  test.each([
    [formatDate('2026-03-05T13:00:00.000'), '5 Mar 2026'],
    [formatDate(null), '—'],
    [formatPeriod('2026-03-01T00:00:00.000', 'month'), 'Mar 2026'],
    [formatPeriod('2026-04-01T00:00:00.000', 'quarter'), 'Q2 2026'],
    [formatPeriod('2026-03-09T00:00:00.000', 'week'), '9 Mar'],
    [formatPeriod('2026-01-01T00:00:00.000', 'year'), '2026'],
  ])('%s === %s', (actual, expected) => expect(actual).toBe(expected));
});

describe('changes', () => {
  test.each([
    [110, 100, 0.1],
    ['90', '100', -0.1],
    [5, 0, undefined],
    [5, null, undefined],
    [-50, -100, 0.5],
  ] as const)('relativeChange(%s, %s) = %s', (c, p, expected) => {
    const r = relativeChange(c, p);
    if (expected === undefined) expect(r).toBeUndefined();
    else expect(r).toBeCloseTo(expected);
  });
  test.each([
    [formatChange(0.345), '+34.5%'],
    [formatChange(-0.04), '−4.0%'],
    // A change of 0.001 % happened: not "±0.0%" (which now means no change at all).
    [formatChange(0.00001), '+<0.1%'],
    [formatChange(0), '±0.0%'],
    [formatChange(undefined), '—'],
    [formatPointChange(0.36, 0.358), '+0.2 pp'],
    [formatPointChange(0.3, 0.35), '−5.0 pp'],
    [formatPointChange(0.3, undefined), '—'],
  ])('%s === %s', (actual, expected) => expect(actual).toBe(expected));
});

describe('formatValue and humanize', () => {
  test.each([
    [formatValue('1200', 'currency'), '€1,200'],
    [formatValue(12, 'days'), '12 d'],
    // A quantity column (Decimal(38, 8) from Cube): 7.5 hours read "8" under the count's format.
    [formatValue('7.50000000', 'quantity'), '7.5'],
    [formatValue('7.50000000', 'number'), '8'],
    [formatValue('price_too_high', 'label'), 'Price too high'],
    [formatValue('', 'text'), '—'],
    [formatValue('2026-01-02', 'date'), '2 Jan 2026'],
    [humanize('closed_lost'), 'Closed lost'],
    [humanize(''), '—'],
  ])('%s === %s', (actual, expected) => expect(actual).toBe(expected));
});

describe('formatDateTime names its zone', () => {
  // Shown in UTC whatever the reader's zone: 07:00 UTC is 08:00 in Berlin, 02:00 in New York.
  test.each([
    ['2026-12-06T07:00:00.000', '6 Dec 2026, 07:00 UTC'],
    ['2026-12-06 23:59:00', '6 Dec 2026, 23:59 UTC'],
    [new Date(Date.UTC(2026, 0, 1, 0, 5)), '1 Jan 2026, 00:05 UTC'],
  ])('%s → %s', (v, text) => expect(formatDateTime(v)).toBe(text));
  test('missing stays a dash, without a zone', () => expect(formatDateTime(null)).toBe(MISSING));
});
