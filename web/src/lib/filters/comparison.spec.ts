import { describe, expect, test } from 'vitest';
import {
  comparisonFor,
  dataStartOf,
  dataStartQuery,
  describePeriod,
  drawnComparison,
  nothingToCompare,
  baselineComparison,
} from './comparison.ts';
import { parseFilters } from './url-filters.ts';

const asOf = '2026-12-05';
const at = (qs: string) => parseFilters(new URLSearchParams(qs), asOf);

describe('comparisonFor', () => {
  test.each([
    // The case: Last 24 full months with data from 3 Jan 2025 → the notice, no percentage.
    [
      'period=last_24_full_months',
      '2025-01-03',
      {
        available: false,
        range: { from: '2022-12-01', to: '2024-11-30' },
        notice: 'No data before 3 Jan 2025: comparison not available',
        vs: 'vs previous period',
      },
    ],
    // Data starting mid-month inside the comparison: still not comparable.
    [
      'period=last_12_full_months',
      '2024-12-15',
      {
        available: false,
        range: { from: '2024-12-01', to: '2025-11-30' },
        notice: 'No data before 15 Dec 2024: comparison not available',
      },
    ],
    [
      'period=last_12_full_months',
      '2024-12-01',
      { available: true, range: { from: '2024-12-01', to: '2025-11-30' }, notice: undefined },
    ],
    [
      'period=year_to_date&compare=last_year',
      '2024-01-01',
      { available: true, range: { from: '2025-01-01', to: '2025-12-05' }, vs: 'vs same period last year' },
    ],
    // While the first day is unknown the comparison is shown (the notice comes with the answer).
    ['period=last_24_full_months', undefined, { available: true, notice: undefined }],
    ['compare=none', '2025-01-03', { available: false, range: undefined, notice: undefined, vs: '' }],
  ] as const)('?%s with data from %s', (qs, start, expected) => {
    expect(comparisonFor(at(qs), start)).toMatchObject(expected);
  });

  // A custom range past the data's end (CDNOW ends 30 Jun 1998): half a year of data against a
  // whole one read as −50%. Not like for like, so not compared; a range ending on the day is.
  test('a period running past the as-of day is not compared', () => {
    const oldData = (qs: string) => parseFilters(new URLSearchParams(qs), '1998-06-30');
    expect(comparisonFor(oldData('from=1998-01-01&to=1998-12-31'), '1997-01-01', '1998-06-30')).toMatchObject({
      available: false,
      range: { from: '1997-01-01', to: '1997-12-31' },
      notice: 'Data ends 30 Jun 1998, before the period does: not compared',
      dataEnd: '1998-06-30',
    });
    expect(comparisonFor(oldData('from=1998-01-01&to=1998-06-30'), '1997-01-01', '1998-06-30')).toMatchObject({
      available: true,
      notice: undefined,
    });
    expect(
      comparisonFor(oldData('from=1998-01-01&to=1998-12-31&compare=none'), '1997-01-01', '1998-06-30'),
    ).toMatchObject({ available: false, notice: undefined });
    // No data before the comparison starts wins: that notice says more.
    expect(comparisonFor(oldData('from=1997-06-01&to=1998-12-31'), '1997-01-01', '1998-06-30').notice).toBe(
      'No data before 1 Jan 1997: comparison not available',
    );
    const f = oldData('from=1998-01-01&to=1998-12-31');
    expect(describePeriod(f, comparisonFor(f, '1997-01-01', '1998-06-30'))).toBe(
      '1 Jan 1998 – 31 Dec 1998. Not compared with the previous period (1 Jan 1997 – 31 Dec 1997): the data ends 30 Jun 1998, so this period has fewer days with data than that one.',
    );
  });
});

describe('first day with data', () => {
  test('per fact, with the customer filters and without the date range', () => {
    const f = at('region=DACH&segment=Champions&period=year_to_date');
    expect(dataStartQuery('sales', f)).toEqual({
      measures: ['sales.orders'],
      timeDimensions: [{ dimension: 'sales.order_date', granularity: 'day' }],
      filters: [
        { member: 'sales.customer_region', operator: 'equals', values: ['DACH'] },
        { member: 'sales.rfm_segment', operator: 'equals', values: ['Champions'] },
        { member: 'sales.order_date', operator: 'set' },
      ],
      order: [['sales.order_date', 'asc']],
      limit: 1,
    });
    expect(dataStartQuery('dealsClosed', f).timeDimensions).toEqual([
      { dimension: 'pipeline.closed_at', granularity: 'day' },
    ]);
  });

  test('read from the first row', () => {
    expect(dataStartOf([{ 'sales.order_date.day': '2025-01-03T00:00:00.000', 'sales.orders': '4' }], 'sales')).toBe(
      '2025-01-03',
    );
    expect(dataStartOf([], 'sales')).toBeUndefined();
    expect(dataStartOf(undefined, 'dealsClosed')).toBeUndefined();
  });

  // The chart draws what the cards compare and nothing else: CDNOW (1 Jan 1997 – 30 Jun 1998) on its
  // default period Jul 1997 – Jun 1998 drew a dashed Jan – Jun 1997 under a card saying "not compared".
  test('a chart draws the previous period only where the cards compare it', () => {
    const cdnow = (qs: string) => parseFilters(new URLSearchParams(qs), '1998-06-30');
    const defaultPeriod = comparisonFor(cdnow(''), '1997-01-01', '1998-06-30');
    expect(defaultPeriod.range).toEqual({ from: '1996-07-01', to: '1997-06-30' });
    expect(defaultPeriod.notice).toBe('No data before 1 Jan 1997: comparison not available');
    expect(drawnComparison(defaultPeriod)).toBeUndefined();
    // Past the data's end: not compared, not drawn.
    expect(
      drawnComparison(comparisonFor(cdnow('from=1998-01-01&to=1998-12-31'), '1997-01-01', '1998-06-30')),
    ).toBeUndefined();
    // Like for like (1 Jan – 30 Jun 1998 is year to date on the as-of day): drawn, the whole comparison.
    expect(drawnComparison(comparisonFor(cdnow('from=1998-01-01&to=1998-06-30'), '1997-01-01', '1998-06-30'))).toEqual({
      from: '1997-01-01',
      to: '1997-06-30',
    });
    expect(drawnComparison(comparisonFor(cdnow('compare=none'), '1997-01-01', '1998-06-30'))).toBeUndefined();
  });
});

describe('describePeriod', () => {
  test.each([
    [
      '',
      undefined,
      'Last 12 full months, 1 Dec 2025 – 30 Nov 2026, compared with the previous period (1 Dec 2024 – 30 Nov 2025)',
    ],
    [
      'period=year_to_date&compare=last_year',
      undefined,
      'Year to date, 1 Jan 2026 – 5 Dec 2026, compared with the same period last year (1 Jan 2025 – 5 Dec 2025)',
    ],
    ['from=2026-02-03&to=2026-02-10&compare=none', undefined, '3 Feb 2026 – 10 Feb 2026'],
    // November against October: a 3.2% fall in a total by the missing day alone.
    [
      'period=last_full_month',
      undefined,
      'Last full month, 1 Nov 2026 – 30 Nov 2026, compared with the previous period (1 Oct 2026 – 31 Oct 2026), 30 days against 31',
    ],
    [
      'from=2026-02-01&to=2026-02-28',
      undefined,
      '1 Feb 2026 – 28 Feb 2026, compared with the previous period (1 Jan 2026 – 31 Jan 2026), 28 days against 31',
    ],
    [
      'period=last_24_full_months',
      '2025-01-03',
      'Last 24 full months, 1 Dec 2024 – 30 Nov 2026. Not compared with the previous period (1 Dec 2022 – 30 Nov 2024): there is no data before 3 Jan 2025.',
    ],
  ] as const)('?%s', (qs, start, expected) => {
    const f = at(qs);
    expect(describePeriod(f, comparisonFor(f, start))).toBe(expected);
  });

  // Lost orders on a purchase log (no deal ever closed): the header named a comparison period.
  test('nothing to compare: no period named, the cards and charts see no comparison', () => {
    const f = at('');
    const c = nothingToCompare(comparisonFor(f, undefined, asOf), 'no deals loaded');
    expect(describePeriod(f, c)).toBe(
      'Last 12 full months, 1 Dec 2025 – 30 Nov 2026. Nothing to compare: no deals loaded.',
    );
    expect(c).toMatchObject({ available: false, notice: 'Nothing to compare: no deals loaded' });
    expect(drawnComparison(c)).toBeUndefined();
    const none = at('compare=none');
    expect(describePeriod(none, nothingToCompare(comparisonFor(none, undefined), 'no closed deals in this view'))).toBe(
      'Last 12 full months, 1 Dec 2025 – 30 Nov 2026. Nothing to compare: no closed deals in this view.',
    );
  });

  // "Growing loss reasons" compares even under "No comparison" (with the previous period), and must
  // refuse what the cards refuse: a baseline before the data, a period past the data's end.
  test('a change chart’s baseline is judged like the cards’ comparison', () => {
    const none = baselineComparison(at('period=last_24_full_months&compare=none'), '2025-01-03');
    expect(none).toMatchObject({
      available: false,
      range: { from: '2022-12-01', to: '2024-11-30' },
      dataStart: '2025-01-03',
    });
    expect(none.notice).toBe('No data before 3 Jan 2025: comparison not available');
    const cdnow = (qs: string) => parseFilters(new URLSearchParams(qs), '1998-06-30');
    expect(
      baselineComparison(cdnow('from=1998-01-01&to=1998-12-31&compare=none'), '1997-01-01', '1998-06-30'),
    ).toMatchObject({
      available: false,
      range: { from: '1997-01-01', to: '1997-12-31' },
      dataEnd: '1998-06-30',
    });
    expect(
      baselineComparison(cdnow('from=1998-01-01&to=1998-03-31&compare=none'), '1997-01-01', '1998-06-30'),
    ).toMatchObject({
      available: true,
      range: { from: '1997-10-01', to: '1997-12-31' },
    });
    expect(baselineComparison(at('compare=last_year'), '2020-01-01')).toEqual(
      comparisonFor(at('compare=last_year'), '2020-01-01'),
    );
  });
});

// Session 13 (the demo, as of today 7 Dec 2026, the last order 6 Dec): month to date read "Gross
// revenue −24.2%" against 1 – 7 November with nothing saying that its 7 December was not over.
describe('a period ending today says its last day is partial', () => {
  test('month to date and last 30 days end today: said, with the comparison named', () => {
    const mtd = at('period=month_to_date');
    expect(describePeriod(mtd, comparisonFor(mtd, '2020-01-01', asOf), asOf)).toBe(
      'Month to date, 1 Dec 2026 – 5 Dec 2026, compared with the previous period (1 Nov 2026 – 5 Nov 2026). 5 Dec 2026 is today and not over: its figures are partial, while 5 Nov 2026 of the previous period is whole: totals compare part of a day with a whole one.',
    );
    const l30 = at('period=last_30_days&compare=none');
    expect(describePeriod(l30, comparisonFor(l30, '2020-01-01', asOf), asOf)).toBe(
      'Last 30 days, 6 Nov 2026 – 5 Dec 2026. 5 Dec 2026 is today and not over: its figures are partial.',
    );
  });
  test('a period ending before today, or old data (the as-of day is not today), says nothing more', () => {
    const full = at('period=last_full_month');
    expect(describePeriod(full, comparisonFor(full, '2020-01-01', asOf), asOf)).not.toMatch(/today/);
    const mtd = at('period=month_to_date');
    expect(describePeriod(mtd, comparisonFor(mtd, '2020-01-01', asOf), '2026-12-07')).not.toMatch(/today/);
    expect(describePeriod(mtd, comparisonFor(mtd, '2020-01-01', asOf))).not.toMatch(/today/);
  });
});
