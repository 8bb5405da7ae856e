/**
 * The one period vocabulary (issue 15, item 2): the named periods the dashboard offers, the
 * comparison each period is measured against, and when a comparison is not possible. Pure and
 * clock-free: every function takes the as-of day (lib/as-of.ts, the last day the data is current
 * to) instead of reading today, so the dashboard, the notebooks and API users who compute their
 * `dateRange` from here all get the same [from, to] for the same name. semantic/README.md
 * ("Periods") documents the same table for API users.
 *
 * Days are YYYY-MM-DD strings, UTC calendar days, both ends included.
 *
 * "Full" means every day of the month/quarter/year is on or before the as-of day: when the as-of
 * day is the last day of its month, that month is full (CDNOW ends on 30 June 1998, so its last 12
 * full months are July 1997 – June 1998); otherwise the last full month is the one before.
 */
/** The one reporting time zone: every day above starts at its midnight (README "Time zones"). */
export const REPORTING_ZONE = 'UTC';
/** What the dashboard says beside its dates. */
export const REPORTING_DAYS_NOTE = `Days run from midnight to midnight ${REPORTING_ZONE}, whatever this browser's time zone; an order at 23:30 in New York on 31 January is a 1 February order.`;

export interface DayRange {
  /** First day, YYYY-MM-DD, inclusive. */
  from: string;
  /** Last day, YYYY-MM-DD, inclusive. */
  to: string;
}

export const PERIOD_IDS = [
  'last_30_days',
  'last_90_days',
  'month_to_date',
  'quarter_to_date',
  'year_to_date',
  'last_full_month',
  'last_full_quarter',
  'last_6_full_months',
  'last_12_full_months',
  'last_24_full_months',
  'last_full_year',
  'all_data',
] as const;
export type PeriodId = (typeof PERIOD_IDS)[number];

export interface PeriodDefinition {
  id: PeriodId;
  /** The label shown in the picker and in the API docs, exactly. */
  label: string;
  /** What the range is, in words (docs and the picker's tooltip). */
  definition: string;
  /** What "previous period" means for it, in words. */
  previous: string;
}

export const PERIODS: readonly PeriodDefinition[] = [
  {
    id: 'last_30_days',
    label: 'Last 30 days',
    definition: 'the 30 days ending on the as-of day',
    previous: 'the 30 days before',
  },
  {
    id: 'last_90_days',
    label: 'Last 90 days',
    definition: 'the 90 days ending on the as-of day',
    previous: 'the 90 days before',
  },
  {
    id: 'month_to_date',
    label: 'Month to date',
    definition: 'the 1st of the as-of month to the as-of day',
    previous: 'the previous month, 1st to the same day',
  },
  {
    id: 'quarter_to_date',
    label: 'Quarter to date',
    definition: 'the first day of the as-of quarter to the as-of day',
    previous:
      'the previous quarter, from its first day to the same day of the same month of it (clamped to the month end)',
  },
  {
    id: 'year_to_date',
    label: 'Year to date',
    definition: '1 January of the as-of year to the as-of day',
    previous: 'the same days one year earlier (1 January to the same day)',
  },
  {
    id: 'last_full_month',
    label: 'Last full month',
    definition: 'the last complete month',
    previous: 'the month before',
  },
  {
    id: 'last_full_quarter',
    label: 'Last full quarter',
    definition: 'the last complete calendar quarter',
    previous: 'the quarter before',
  },
  {
    id: 'last_6_full_months',
    label: 'Last 6 full months',
    definition: 'the 6 complete months up to the last full month',
    previous: 'the 6 months before',
  },
  {
    id: 'last_12_full_months',
    label: 'Last 12 full months',
    definition: 'the 12 complete months up to the last full month',
    previous: 'the 12 months before',
  },
  {
    id: 'last_24_full_months',
    label: 'Last 24 full months',
    definition: 'the 24 complete months up to the last full month',
    previous: 'the 24 months before',
  },
  {
    id: 'last_full_year',
    label: 'Last full year',
    definition: 'the last complete calendar year',
    previous: 'the year before',
  },
  {
    id: 'all_data',
    label: 'All data',
    definition: 'the first day with data to the as-of day',
    previous: 'none: there is no data before it',
  },
];

/** The period a dashboard opens on. */
export const DEFAULT_PERIOD: PeriodId = 'last_12_full_months';

export const COMPARES = ['previous', 'last_year', 'none'] as const;
export type Compare = (typeof COMPARES)[number];
export const DEFAULT_COMPARE: Compare = 'previous';

export const COMPARE_LABELS: Record<Compare, string> = {
  previous: 'Previous period',
  last_year: 'Same period last year',
  none: 'No comparison',
};

export const isCompare = (v: unknown): v is Compare =>
  typeof v === 'string' && (COMPARES as readonly string[]).includes(v);

// ── calendar arithmetic on YYYY-MM-DD ────────────────────────────────────────────────────────────

const parts = (day: string): [number, number, number] => [
  Number(day.slice(0, 4)),
  Number(day.slice(5, 7)) - 1,
  Number(day.slice(8, 10)),
];
const ymd = (y: number, m: number, d: number): string => new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10);
/** Days in month `m` (0-based, may be out of range: it is normalised) of year `y`. */
const monthLength = (y: number, m: number): number => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();

export function addDays(day: string, n: number): string {
  const [y, m, d] = parts(day);
  return ymd(y, m, d + n);
}

/** Whole days from `from` to `to`, both included. */
export const daysIn = (r: DayRange): number =>
  Math.round((Date.parse(`${r.to}T00:00:00Z`) - Date.parse(`${r.from}T00:00:00Z`)) / 86_400_000) + 1;

/** The same day `n` months later (earlier when negative), clamped to the month's end: 31 Mar − 1 → 28/29 Feb. */
export function addMonths(day: string, n: number): string {
  const [y, m, d] = parts(day);
  return ymd(y, m + n, Math.min(d, monthLength(y, m + n)));
}

export const isFirstOfMonth = (day: string): boolean => day.endsWith('-01');
export const isMonthEnd = (day: string): boolean => {
  const [y, m, d] = parts(day);
  return d === monthLength(y, m);
};
export const monthStart = (day: string): string => `${day.slice(0, 7)}-01`;
export const monthEnd = (day: string): string => {
  const [y, m] = parts(day);
  return ymd(y, m, monthLength(y, m));
};
/** Calendar months from the month of `from` to the month of `to`, both counted. */
const monthsSpanned = (r: DayRange): number => {
  const [fy, fm] = parts(r.from);
  const [ty, tm] = parts(r.to);
  return (ty - fy) * 12 + (tm - fm) + 1;
};

/** The last day of the last complete month on or before `asOf` (see the module comment). */
export const lastFullMonthEnd = (asOf: string): string => (isMonthEnd(asOf) ? asOf : addDays(monthStart(asOf), -1));

/** `n` whole months ending with the month of `end` (a month's last day). */
const wholeMonths = (end: string, n: number): DayRange => ({
  from: monthStart(addMonths(monthStart(end), -(n - 1))),
  to: end,
});

// ── named periods ────────────────────────────────────────────────────────────────────────────────

export interface PeriodContext {
  /** The as-of day, YYYY-MM-DD. */
  asOf: string;
  /** The first day with data, when known ("All data" needs it). */
  dataStart?: string;
}

/**
 * The [from, to] of a named period. `all_data` needs `dataStart`; without it the answer is
 * undefined (the caller has not learnt where the data starts yet).
 */
export function periodRange(id: PeriodId, ctx: PeriodContext): DayRange | undefined {
  const { asOf } = ctx;
  const [y, m] = parts(asOf);
  switch (id) {
    case 'last_30_days':
      return { from: addDays(asOf, -29), to: asOf };
    case 'last_90_days':
      return { from: addDays(asOf, -89), to: asOf };
    case 'month_to_date':
      return { from: monthStart(asOf), to: asOf };
    case 'quarter_to_date':
      return { from: ymd(y, Math.floor(m / 3) * 3, 1), to: asOf };
    case 'year_to_date':
      return { from: ymd(y, 0, 1), to: asOf };
    case 'last_full_month':
      return wholeMonths(lastFullMonthEnd(asOf), 1);
    case 'last_full_quarter': {
      // The quarter ending on the as-of day when that is a quarter's last day, else the one before.
      const end = isMonthEnd(asOf) && m % 3 === 2 ? asOf : addDays(ymd(y, Math.floor(m / 3) * 3, 1), -1);
      return wholeMonths(end, 3);
    }
    case 'last_6_full_months':
      return wholeMonths(lastFullMonthEnd(asOf), 6);
    case 'last_12_full_months':
      return wholeMonths(lastFullMonthEnd(asOf), 12);
    case 'last_24_full_months':
      return wholeMonths(lastFullMonthEnd(asOf), 24);
    case 'last_full_year': {
      const end = asOf.endsWith('-12-31') ? asOf : ymd(y - 1, 11, 31);
      return { from: `${end.slice(0, 4)}-01-01`, to: end };
    }
    case 'all_data':
      return ctx.dataStart && ctx.dataStart <= asOf ? { from: ctx.dataStart, to: asOf } : undefined;
  }
}

/** The named period a range is, if any (first match in PERIODS order), to label it and select it in the picker. */
export function periodOf(range: DayRange, ctx: PeriodContext): PeriodId | undefined {
  return PERIODS.find((p) => {
    const r = periodRange(p.id, ctx);
    return r !== undefined && r.from === range.from && r.to === range.to;
  })?.id;
}

// ── comparisons ──────────────────────────────────────────────────────────────────────────────────

/**
 * `r` moved `n` months back: each day to the same day of the month (clamped to the month's end:
 * 31 May → 28 Feb), and a range ending on a month's last day still ends on one (30 Apr → 31 Mar).
 */
export function shiftMonths(r: DayRange, n: number): DayRange {
  return {
    from: addMonths(r.from, -n),
    to: isMonthEnd(r.to) ? monthEnd(addMonths(monthStart(r.to), -n)) : addMonths(r.to, -n),
  };
}

/**
 * The previous period of a range by its dates alone, like for like:
 * - from a 1st to a month's last day (whole months): the same number of whole months just before
 *   (Last 12 full months → the 12 months before; a full quarter → the quarter before);
 * - from 1 January to a day of the same year (a year to date): the same days one year earlier;
 * - from a 1st to a day inside a month: moved back by the calendar months it spans, to the same day
 *   of the month (clamped to the month's end);
 * - any other range: the same number of days just before.
 * Named periods refine this in comparisonRange (quarter to date → the previous quarter).
 */
export function previousPeriod(r: DayRange): DayRange {
  if (isFirstOfMonth(r.from)) {
    const yearToDate = !isMonthEnd(r.to) && r.from.endsWith('-01-01') && r.from.slice(0, 4) === r.to.slice(0, 4);
    return shiftMonths(r, yearToDate ? 12 : monthsSpanned(r));
  }
  const n = daysIn(r);
  return { from: addDays(r.from, -n), to: addDays(r.from, -1) };
}

/**
 * The same period one year earlier: each day moved back 12 months; a month's last day stays a
 * month's last day (28 Feb 2025 → 29 Feb 2024) and 29 February becomes 28 February.
 */
export const samePeriodLastYear = (r: DayRange): DayRange => shiftMonths(r, 12);

/** "To date" periods compare with the same span of the period before (their "previous" text). */
const TO_DATE_MONTHS: Partial<Record<PeriodId, number>> = { month_to_date: 1, quarter_to_date: 3, year_to_date: 12 };

/**
 * The range a period is compared with, or undefined for `none`. `period` names the range when it
 * is a named period, whose own rule wins over the dates: year to date on 31 March is three whole
 * months by its dates, but compares with 1 January – 31 March a year earlier; quarter to date on
 * 30 May compares with 1 January – 28 February, the previous quarter to the same day.
 */
export function comparisonRange(r: DayRange, compare: Compare, period?: PeriodId): DayRange | undefined {
  if (compare === 'none') return undefined;
  if (compare === 'last_year') return samePeriodLastYear(r);
  const months = period ? TO_DATE_MONTHS[period] : undefined;
  return months ? shiftMonths(r, months) : previousPeriod(r);
}

/**
 * The base period of period retention in `r`: whose active customers are followed into `r`. It is
 * the range `r` is compared with as its previous period (a named period's own rule, comparisonRange),
 * so retention's "customers active before" are those of the period the cockpit names: previousPeriod
 * alone read year to date on 30 June as six whole months and took July – December, while the card
 * said "compared with 1 January – 30 June" a year earlier.
 */
export const retentionBasePeriod = (r: DayRange, period?: PeriodId): DayRange =>
  comparisonRange(r, 'previous', period) ?? previousPeriod(r);

export type Comparability =
  | { available: true }
  /** The comparison starts before the first day with data: a percentage would compare with a part of nothing. */
  | { available: false; reason: 'before-data'; dataStart: string }
  | { available: false; reason: 'none' };

/**
 * Whether a comparison period can be compared with: not when it starts before the data does (the
 * issue's "+204.5%" against a period half without data). An unknown `dataStart` is no objection.
 */
export function comparability(comparison: DayRange | undefined, dataStart: string | undefined): Comparability {
  if (!comparison) return { available: false, reason: 'none' };
  if (dataStart && comparison.from < dataStart) return { available: false, reason: 'before-data', dataStart };
  return { available: true };
}

// ── incomplete buckets ───────────────────────────────────────────────────────────────────────────

/**
 * Whether a chart bucket covers fewer days than its full length: it starts before the range, or
 * ends after the range or after the as-of day (the current month while it runs). `bucket` is
 * [first, last] day of the whole bucket (a calendar week, month, …).
 */
export function isPartialBucket(bucket: DayRange, range: DayRange, asOf: string): boolean {
  const end = range.to < asOf ? range.to : asOf;
  return bucket.from < range.from || bucket.to > end;
}
