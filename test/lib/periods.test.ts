import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addMonths,
  comparability,
  comparisonRange,
  isPartialBucket,
  PERIOD_IDS,
  PERIODS,
  periodOf,
  periodRange,
  previousPeriod,
  retentionBasePeriod,
  samePeriodLastYear,
  type DayRange,
  type PeriodId,
} from '../../lib/periods.ts';

/**
 * The period vocabulary with fixed as-of days (no clock). Every expected range is written out by
 * hand from a calendar, not computed: 5 Dec 2026 (the day, mid-month), 30 Jun 1998 (the
 * CDNOW end: a month's and a quarter's last day), 1 Mar 2024 (the first day of a month after a
 * leap February) and 31 Dec 2026 (a year's last day).
 */
const r = (from: string, to: string): DayRange => ({ from, to });

const ranges: Array<[string, PeriodId, DayRange]> = [
  ['2026-12-05', 'last_30_days', r('2026-11-06', '2026-12-05')],
  ['2026-12-05', 'last_90_days', r('2026-09-07', '2026-12-05')],
  ['2026-12-05', 'month_to_date', r('2026-12-01', '2026-12-05')],
  ['2026-12-05', 'quarter_to_date', r('2026-10-01', '2026-12-05')],
  ['2026-12-05', 'year_to_date', r('2026-01-01', '2026-12-05')],
  ['2026-12-05', 'last_full_month', r('2026-11-01', '2026-11-30')],
  ['2026-12-05', 'last_full_quarter', r('2026-07-01', '2026-09-30')],
  ['2026-12-05', 'last_6_full_months', r('2026-06-01', '2026-11-30')],
  ['2026-12-05', 'last_12_full_months', r('2025-12-01', '2026-11-30')],
  ['2026-12-05', 'last_24_full_months', r('2024-12-01', '2026-11-30')],
  ['2026-12-05', 'last_full_year', r('2025-01-01', '2025-12-31')],
  // A month's last day: that month is full.
  ['1998-06-30', 'last_full_month', r('1998-06-01', '1998-06-30')],
  ['1998-06-30', 'last_full_quarter', r('1998-04-01', '1998-06-30')],
  ['1998-06-30', 'last_12_full_months', r('1997-07-01', '1998-06-30')],
  ['1998-06-30', 'year_to_date', r('1998-01-01', '1998-06-30')],
  ['1998-06-30', 'last_full_year', r('1997-01-01', '1997-12-31')],
  // The first day of a month, after a leap February.
  ['2024-03-01', 'month_to_date', r('2024-03-01', '2024-03-01')],
  ['2024-03-01', 'last_30_days', r('2024-02-01', '2024-03-01')],
  ['2024-03-01', 'last_full_month', r('2024-02-01', '2024-02-29')],
  ['2024-03-01', 'quarter_to_date', r('2024-01-01', '2024-03-01')],
  ['2024-03-01', 'last_full_quarter', r('2023-10-01', '2023-12-31')],
  ['2024-03-01', 'last_12_full_months', r('2023-03-01', '2024-02-29')],
  // A year's last day: that year is full.
  ['2026-12-31', 'last_full_year', r('2026-01-01', '2026-12-31')],
  ['2026-12-31', 'last_full_quarter', r('2026-10-01', '2026-12-31')],
];

describe('named periods', () => {
  for (const [asOf, id, expected] of ranges) {
    test(`${id} as of ${asOf} = ${expected.from} – ${expected.to}`, () => {
      assert.deepEqual(periodRange(id, { asOf }), expected);
    });
  }

  test('every id has one definition and a distinct label', () => {
    assert.deepEqual(
      PERIODS.map((p) => p.id),
      [...PERIOD_IDS],
    );
    assert.equal(new Set(PERIODS.map((p) => p.label)).size, PERIODS.length);
    assert.equal(PERIODS.find((p) => p.id === 'last_12_full_months')?.label, 'Last 12 full months');
  });

  test('all data runs from the first day with data; unknown start → no range', () => {
    assert.deepEqual(
      periodRange('all_data', { asOf: '2026-12-05', dataStart: '2025-01-03' }),
      r('2025-01-03', '2026-12-05'),
    );
    assert.equal(periodRange('all_data', { asOf: '2026-12-05' }), undefined);
  });

  test('a range is recognised as the period it is', () => {
    assert.equal(periodOf(r('2025-12-01', '2026-11-30'), { asOf: '2026-12-05' }), 'last_12_full_months');
    assert.equal(periodOf(r('2026-01-01', '2026-12-05'), { asOf: '2026-12-05' }), 'year_to_date');
    assert.equal(periodOf(r('2026-01-02', '2026-12-05'), { asOf: '2026-12-05' }), undefined);
  });
});

const previous: Array<[string, DayRange, DayRange]> = [
  ['12 full months → the 12 months before', r('2025-12-01', '2026-11-30'), r('2024-12-01', '2025-11-30')],
  ['a full quarter → the quarter before', r('2026-07-01', '2026-09-30'), r('2026-04-01', '2026-06-30')],
  ['February of a leap year → January', r('2024-02-01', '2024-02-29'), r('2024-01-01', '2024-01-31')],
  ['March → February, to its last day (leap)', r('2024-03-01', '2024-03-31'), r('2024-02-01', '2024-02-29')],
  ['March → February, to its last day', r('2026-03-01', '2026-03-31'), r('2026-02-01', '2026-02-28')],
  [
    'year to date (by dates) → the same days a year earlier',
    r('2026-01-01', '2026-12-05'),
    r('2025-01-01', '2025-12-05'),
  ],
  [
    'year to date on 28 Feb of a leap year → the same days a year earlier',
    r('2024-01-01', '2024-02-28'),
    r('2023-01-01', '2023-02-28'),
  ],
  [
    'quarter to date → the previous quarter to the same day',
    r('2026-10-01', '2026-12-05'),
    r('2026-07-01', '2026-09-05'),
  ],
  [
    '1 Apr – 30 May (two calendar months) → 1 Feb – 30 Mar',
    r('2026-04-01', '2026-05-30'),
    r('2026-02-01', '2026-03-30'),
  ],
  [
    'month to date on its first day → the 1st of the month before',
    r('2024-03-01', '2024-03-01'),
    r('2024-02-01', '2024-02-01'),
  ],
  ['30 days → the 30 days before', r('2026-11-06', '2026-12-05'), r('2026-10-07', '2026-11-05')],
  ['days across a leap day', r('2024-03-02', '2024-03-11'), r('2024-02-21', '2024-03-01')],
  ['ten days from a 1st → the same days a month before', r('2024-03-01', '2024-03-10'), r('2024-02-01', '2024-02-10')],
];

describe('previous period, like for like', () => {
  for (const [name, range, expected] of previous) {
    test(name, () => assert.deepEqual(previousPeriod(range), expected));
  }

  test('named year to date ending on a month end still compares with the same days a year earlier', () => {
    const ytd = periodRange('year_to_date', { asOf: '2024-02-29' })!;
    assert.deepEqual(ytd, r('2024-01-01', '2024-02-29'));
    assert.deepEqual(comparisonRange(ytd, 'previous', 'year_to_date'), r('2023-01-01', '2023-02-28'));
    // The same dates as a custom range are two whole months: the two months before.
    assert.deepEqual(comparisonRange(ytd, 'previous'), r('2023-11-01', '2023-12-31'));
  });

  test('named quarter to date compares with the previous quarter to the same day, clamped', () => {
    const qtd = periodRange('quarter_to_date', { asOf: '2026-05-30' })!;
    assert.deepEqual(qtd, r('2026-04-01', '2026-05-30'));
    assert.deepEqual(comparisonRange(qtd, 'previous', 'quarter_to_date'), r('2026-01-01', '2026-02-28'));
    // On a month's last day it ends on the matching month's last day.
    assert.deepEqual(
      comparisonRange(r('2026-04-01', '2026-05-31'), 'previous', 'quarter_to_date'),
      r('2026-01-01', '2026-02-28'),
    );
    assert.deepEqual(
      comparisonRange(r('2024-04-01', '2024-05-31'), 'previous', 'quarter_to_date'),
      r('2024-01-01', '2024-02-29'),
    );
  });
});

const lastYear: Array<[string, DayRange, DayRange]> = [
  ['whole months', r('2025-12-01', '2026-11-30'), r('2024-12-01', '2025-11-30')],
  ['29 Feb → 28 Feb', r('2024-02-29', '2024-03-10'), r('2023-02-28', '2023-03-10')],
  ['a February month end stays a month end (→ 29 Feb)', r('2025-02-01', '2025-02-28'), r('2024-02-01', '2024-02-29')],
  ['mid-month days', r('2026-11-06', '2026-12-05'), r('2025-11-06', '2025-12-05')],
];

describe('same period last year', () => {
  for (const [name, range, expected] of lastYear) {
    test(name, () => {
      assert.deepEqual(samePeriodLastYear(range), expected);
      assert.deepEqual(comparisonRange(range, 'last_year'), expected);
    });
  }
  test('no comparison', () => assert.equal(comparisonRange(r('2026-01-01', '2026-01-31'), 'none'), undefined));
  test('addMonths clamps to the month end', () => {
    assert.equal(addMonths('2026-03-31', -1), '2026-02-28');
    assert.equal(addMonths('2024-03-31', -1), '2024-02-29');
    assert.equal(addMonths('2026-01-31', 1), '2026-02-28');
    assert.equal(addMonths('2026-12-15', 1), '2027-01-15');
  });
});

describe('a comparison before the data starts', () => {
  const cases: Array<[string, DayRange | undefined, string | undefined, ReturnType<typeof comparability>]> = [
    [
      'starts before the data → not available',
      r('2024-12-01', '2025-11-30'),
      '2025-01-03',
      { available: false, reason: 'before-data', dataStart: '2025-01-03' },
    ],
    [
      'data starts mid-period of the comparison → not available',
      r('2025-01-01', '2025-01-31'),
      '2025-01-03',
      { available: false, reason: 'before-data', dataStart: '2025-01-03' },
    ],
    ['starts on the first day with data → available', r('2025-01-03', '2025-02-01'), '2025-01-03', { available: true }],
    ['after it → available', r('2025-12-01', '2026-11-30'), '2025-01-03', { available: true }],
    ['unknown start → available', r('1990-01-01', '1990-12-31'), undefined, { available: true }],
    ['no comparison', undefined, '2025-01-03', { available: false, reason: 'none' }],
  ];
  for (const [name, comparison, dataStart, expected] of cases) {
    test(name, () => assert.deepEqual(comparability(comparison, dataStart), expected));
  }

  test("the issue's case: Last 24 full months as of 5 Dec 2026 with data from 3 Jan 2025", () => {
    const range = periodRange('last_24_full_months', { asOf: '2026-12-05' })!;
    const prev = comparisonRange(range, 'previous')!;
    assert.deepEqual(prev, r('2022-12-01', '2024-11-30'));
    assert.equal(comparability(prev, '2025-01-03').available, false);
  });
});

describe('incomplete buckets', () => {
  const cases: Array<[string, DayRange, DayRange, string, boolean]> = [
    ['the as-of month while it runs', r('2026-12-01', '2026-12-31'), r('2026-01-01', '2026-12-05'), '2026-12-05', true],
    [
      'a whole month inside the range',
      r('2026-11-01', '2026-11-30'),
      r('2026-01-01', '2026-12-05'),
      '2026-12-05',
      false,
    ],
    [
      'a month ending on the as-of day',
      r('1998-06-01', '1998-06-30'),
      r('1997-07-01', '1998-06-30'),
      '1998-06-30',
      false,
    ],
    [
      'a week the range starts inside',
      r('2026-09-07', '2026-09-13'),
      r('2026-09-09', '2026-12-05'),
      '2026-12-05',
      true,
    ],
    [
      'a month cut by a range ending before the as-of day',
      r('2026-06-01', '2026-06-30'),
      r('2026-01-01', '2026-06-15'),
      '2026-12-05',
      true,
    ],
  ];
  for (const [name, bucket, range, asOf, expected] of cases) {
    test(name, () => assert.equal(isPartialBucket(bucket, range, asOf), expected));
  }
});

// Session 13 (CDNOW sweep): year to date on 30 June compared with 1 Jan – 30 Jun a year earlier, but
// retention took its customers from 1 Jul – 31 Dec (previousPeriod reads six whole months).
describe('retentionBasePeriod: the base is the range the period is compared with as previous', () => {
  const h1: DayRange = { from: '1998-01-01', to: '1998-06-30' };
  test('year to date on a month end: the same days a year earlier, not the six months before', () => {
    assert.deepEqual(retentionBasePeriod(h1, 'year_to_date'), { from: '1997-01-01', to: '1997-06-30' });
    assert.deepEqual(previousPeriod(h1), { from: '1997-07-01', to: '1997-12-31' });
    assert.deepEqual(retentionBasePeriod(h1, 'year_to_date'), comparisonRange(h1, 'previous', 'year_to_date'));
  });
  test('quarter to date in mid-quarter: the previous quarter to the same day', () => {
    const qtd: DayRange = { from: '2026-04-01', to: '2026-05-15' };
    assert.deepEqual(retentionBasePeriod(qtd, 'quarter_to_date'), comparisonRange(qtd, 'previous', 'quarter_to_date'));
    assert.deepEqual(retentionBasePeriod(qtd, 'quarter_to_date'), { from: '2026-01-01', to: '2026-02-15' });
  });
  test('the same six months as a custom range or as last 6 full months: the six months before', () => {
    assert.deepEqual(retentionBasePeriod(h1), { from: '1997-07-01', to: '1997-12-31' });
    assert.deepEqual(retentionBasePeriod(h1, 'last_6_full_months'), { from: '1997-07-01', to: '1997-12-31' });
  });
});
