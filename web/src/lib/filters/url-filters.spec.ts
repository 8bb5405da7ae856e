import { describe, expect, test } from 'vitest';
import {
  activeFilterKeys,
  addDays,
  daysIn,
  defaultRange,
  filterQuery,
  granularityFor,
  isIsoDay,
  parseFilters,
  presetOf,
  presetRange,
  previousPeriod,
  writeFilters,
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

  test.each([
    ['30d', { from: '2026-10-02', to: asOf }],
    ['90d', { from: '2026-08-03', to: asOf }],
    ['6m', { from: '2026-05-01', to: asOf }],
    ['12m', { from: '2025-11-01', to: asOf }],
    ['24m', { from: '2024-11-01', to: asOf }],
    ['ytd', { from: '2026-01-01', to: asOf }],
  ] as const)('preset %s', (preset, expected) => {
    expect(presetRange(preset, asOf)).toEqual(expected);
    expect(presetOf(expected, asOf)).toBe(preset);
  });

  test('the previous period has the same length and ends the day before', () => {
    expect(previousPeriod({ from: '2025-11-01', to: '2026-10-31' })).toEqual({ from: '2024-11-01', to: '2025-10-31' });
    expect(previousPeriod({ from: '2026-10-02', to: '2026-10-31' })).toEqual({ from: '2026-09-02', to: '2026-10-01' });
  });

  test.each([
    [{ from: '2026-10-02', to: asOf }, 'day'],
    [{ from: '2026-08-03', to: asOf }, 'week'],
    [{ from: '2025-11-01', to: asOf }, 'month'],
  ] as const)('granularityFor %o = %s', (range, g) => expect(granularityFor(range)).toBe(g));
});

describe('URL round trip', () => {
  test('defaults when the URL has nothing', () => {
    expect(parseFilters(new URLSearchParams(), asOf)).toEqual({ ...defaultRange(asOf), region: '', channel: '', owner: '', segment: '' });
  });

  test('reads and writes every filter, leaving defaults out', () => {
    const params = new URLSearchParams('from=2026-01-01&to=2026-06-30&region=DACH&channel=web&owner=U-OWN-01&segment=Champions&q=keep');
    const f = parseFilters(params, asOf);
    expect(f).toEqual({ from: '2026-01-01', to: '2026-06-30', region: 'DACH', channel: 'web', owner: 'U-OWN-01', segment: 'Champions' });
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
    const f = { ...defaultRange(asOf), region: 'UK&I', channel: '', owner: '', segment: "Can't Lose" };
    const qs = filterQuery(f, asOf);
    expect(qs).toBe('?region=UK%26I&segment=Can%27t+Lose');
    expect(parseFilters(new URLSearchParams(qs.slice(1)), asOf)).toEqual(f);
    expect(activeFilterKeys(f)).toEqual(['region', 'segment']);
  });
});
