import { describe, expect, test } from 'vitest';
import {
  activeFilterKeys,
  addDays,
  daysIn,
  defaultRange,
  filterQuery,
  granularityFor,
  isIsoDay,
  comparisonOf,
  parseFilters,
  writeFilters,
  type Filters,
} from './url-filters.ts';

const asOf = '2026-10-31';

describe('dates', () => {
  test.each([
    ['2026-02-28', true],
    ['2026-02-30', false],
    ['2026-2-3', false],
    ['', false],
    [null, false],
  ] as const)('isIsoDay(%s) = %s', (v, expected) => expect(isIsoDay(v)).toBe(expected));

  test('addDays and daysIn across months and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysIn({ from: '2026-01-01', to: '2026-01-31' })).toBe(31);
  });

  test('the default period is the last 12 full months (October is full on 31 Oct)', () => {
    expect(defaultRange(asOf)).toEqual({ from: '2025-11-01', to: '2026-10-31' });
    expect(defaultRange('2026-12-05')).toEqual({ from: '2025-12-01', to: '2026-11-30' });
  });

  test.each([
    [{ from: '2026-10-02', to: asOf }, 'day'],
    [{ from: '2026-08-03', to: asOf }, 'week'],
    [{ from: '2025-11-01', to: asOf }, 'month'],
  ] as const)('granularityFor %o = %s', (range, g) => expect(granularityFor(range)).toBe(g));
});

describe('URL round trip', () => {
  test('defaults when the URL has nothing', () => {
    expect(parseFilters(new URLSearchParams(), asOf)).toEqual({ ...defaultRange(asOf), region: '', channel: '', owner: '', segment: '', period: 'last_12_full_months', compare: 'previous' });
  });

  test('reads and writes every filter, leaving defaults out', () => {
    const params = new URLSearchParams('from=2026-01-01&to=2026-06-30&region=DACH&channel=web&owner=U-OWN-01&segment=Champions&q=keep');
    const f = parseFilters(params, asOf);
    expect(f).toEqual({ from: '2026-01-01', to: '2026-06-30', region: 'DACH', channel: 'web', owner: 'U-OWN-01', segment: 'Champions', period: undefined, compare: 'previous' });
    const written = writeFilters(f, asOf, params);
    expect(written.get('q')).toBe('keep');
    expect(parseFilters(written, asOf)).toEqual(f);
    const cleared = writeFilters({ ...f, ...defaultRange(asOf), region: '', channel: '', owner: '', segment: '' }, asOf, params);
    expect(cleared.toString()).toBe('q=keep');
    expect(filterQuery(parseFilters(new URLSearchParams(), asOf), asOf)).toBe('');
  });

  test('invalid values fall back; a reversed range is swapped', () => {
    const f = parseFilters(new URLSearchParams('from=2026-13-01&to=junk&region=' + 'x'.repeat(500)), asOf);
    expect([f.from, f.to, f.region]).toEqual([defaultRange(asOf).from, asOf, '']);
    const swapped = parseFilters(new URLSearchParams('from=2026-06-30&to=2026-01-01'), asOf);
    expect([swapped.from, swapped.to]).toEqual(['2026-01-01', '2026-06-30']);
  });

  test('special characters survive (UK&I)', () => {
    const f: Filters = { ...defaultRange(asOf), region: 'UK&I', channel: '', owner: '', segment: "Can't Lose", period: 'last_12_full_months', compare: 'previous' };
    const qs = filterQuery(f, asOf);
    expect(qs).toBe('?region=UK%26I&segment=Can%27t+Lose');
    expect(parseFilters(new URLSearchParams(qs.slice(1)), asOf)).toEqual(f);
    expect(activeFilterKeys(f)).toEqual(['region', 'segment']);
  });
});

describe('named periods and comparisons in the URL', () => {
  const none = { region: '', channel: '', owner: '', segment: '' };
  test.each([
    ['period=year_to_date', { from: '2026-01-01', to: asOf, period: 'year_to_date', compare: 'previous' }],
    ['period=last_full_quarter&compare=last_year', { from: '2026-07-01', to: '2026-09-30', period: 'last_full_quarter', compare: 'last_year' }],
    ['period=all_data&from=2025-01-03', { from: '2025-01-03', to: asOf, period: 'all_data', compare: 'previous' }],
    // A link from before periods had names: the old "Last 12 months" is now the 12 full months.
    ['from=2025-11-01&to=2026-10-31', { from: '2025-11-01', to: asOf, period: 'last_12_full_months', compare: 'previous' }],
    ['from=2026-01-02&to=2026-03-31&compare=none', { from: '2026-01-02', to: '2026-03-31', period: undefined, compare: 'none' }],
    // Unknown names fall back to the default; all data without its first day too.
    ['period=last_7_years&compare=sometimes', { from: '2025-11-01', to: asOf, period: 'last_12_full_months', compare: 'previous' }],
    ['period=all_data', { from: '2025-11-01', to: asOf, period: 'last_12_full_months', compare: 'previous' }],
  ] as const)('?%s', (qs, expected) => {
    const f = parseFilters(new URLSearchParams(qs), asOf);
    expect(f).toEqual({ ...none, ...expected });
    // Round trip: what is written reads back the same.
    expect(parseFilters(writeFilters(f, asOf), asOf)).toEqual(f);
  });

  test('a named period is written by name, the default and the default comparison not at all', () => {
    const ytd = parseFilters(new URLSearchParams('period=year_to_date&compare=last_year'), asOf);
    expect(writeFilters(ytd, asOf).toString()).toBe('period=year_to_date&compare=last_year');
    expect(filterQuery({ ...ytd, ...defaultRange(asOf), period: 'last_12_full_months', compare: 'previous' }, asOf)).toBe('');
  });

  test('a period whose dates were edited is written as a custom range', () => {
    const ytd = parseFilters(new URLSearchParams('period=year_to_date'), asOf);
    expect(writeFilters({ ...ytd, from: '2026-02-01' }, asOf).toString()).toBe('from=2026-02-01&to=2026-10-31');
  });

  test.each([
    ['', { from: '2024-11-01', to: '2025-10-31' }],
    ['compare=last_year', { from: '2024-11-01', to: '2025-10-31' }],
    ['period=year_to_date', { from: '2025-01-01', to: '2025-10-31' }],
    ['period=quarter_to_date', { from: '2026-07-01', to: '2026-07-31' }],
    ['period=last_30_days', { from: '2026-09-02', to: '2026-10-01' }],
    ['period=last_30_days&compare=last_year', { from: '2025-10-02', to: '2025-10-31' }],
    ['compare=none', undefined],
  ] as const)('comparison of ?%s', (qs, expected) => {
    expect(comparisonOf(parseFilters(new URLSearchParams(qs), asOf))).toEqual(expected);
  });
});
