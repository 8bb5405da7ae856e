import type { Granularity } from '../format/format.ts';
import {
  addDays,
  comparisonRange,
  COMPARES,
  DEFAULT_COMPARE,
  DEFAULT_PERIOD,
  daysIn,
  isCompare,
  PERIOD_IDS,
  PERIODS,
  periodOf,
  periodRange,
  type Compare,
  type DayRange,
  type PeriodId,
} from '../../../../lib/periods.ts';

export { addDays, daysIn, COMPARES, PERIODS, type Compare, type PeriodId };

/**
 * The one date range, its comparison and the customer filters every chart honours, kept in the
 * URL so a view can be shared:
 *   ?period=year_to_date&compare=last_year&region=DACH&channel=web&owner=U-OWN-01&segment=Champions
 *   ?from=2026-01-01&to=2026-06-30            (a custom range)
 *
 * A named period (lib/periods.ts, the vocabulary the API docs share) is kept by name, so a shared
 * link means the same period whatever the as-of day; "All data" also keeps its first day
 * (`from`). Defaults are relative to `asOf` (the last day with data), not to today. Values equal
 * to the default are left out of the URL. Pure functions; the reactive wrapper is filters.svelte.ts.
 */
export const FILTER_KEYS = ['region', 'channel', 'owner', 'segment'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export type DateRange = DayRange;

export interface Filters extends DateRange {
  region: string;
  channel: string;
  owner: string;
  segment: string;
  /** The named period the range is (undefined: a custom range). */
  period?: PeriodId;
  /** What the period is compared with (undefined: the default, the previous period). */
  compare?: Compare;
}

export const FILTER_LABELS: Record<FilterKey, string> = {
  region: 'Region',
  channel: 'Channel',
  owner: 'Owner',
  segment: 'Segment',
};

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_VALUE = 200;

export function isIsoDay(v: string | null | undefined): v is string {
  if (!v || !ISO_DAY.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

const isPeriodId = (v: string | null): v is PeriodId => v !== null && (PERIOD_IDS as readonly string[]).includes(v);

/** The default period's range (Last 12 full months). */
export const defaultRange = (asOf: string): DateRange => periodRange(DEFAULT_PERIOD, { asOf })!;

/**
 * The range a filter set compares with (`compare`, default the previous period; lib/periods.ts
 * defines "previous" per period: year to date compares with the same days a year earlier), or
 * undefined for no comparison.
 */
export const comparisonOf = (f: Filters): DateRange | undefined => comparisonRange(f, f.compare ?? DEFAULT_COMPARE, f.period);

/** Chart bucket for a range: days up to 5 weeks, weeks up to ~4 months, months beyond. */
export function granularityFor(range: DateRange): Granularity {
  const n = daysIn(range);
  return n <= 35 ? 'day' : n <= 125 ? 'week' : 'month';
}

function cleanValue(v: string | null): string {
  if (!v) return '';
  const t = v.trim();
  return t.length > MAX_VALUE ? '' : t;
}

/** The range and named period the URL asks for; anything invalid falls back to the default period. */
function parseRange(params: URLSearchParams, asOf: string): DateRange & { period?: PeriodId } {
  const period = params.get('period');
  const from = params.get('from');
  if (isPeriodId(period)) {
    const r = periodRange(period, { asOf, dataStart: isIsoDay(from) ? from : undefined });
    if (r) return { ...r, period };
  }
  let f = from;
  let to = params.get('to');
  if (!isIsoDay(f) && !isIsoDay(to)) return { ...defaultRange(asOf), period: DEFAULT_PERIOD };
  if (!isIsoDay(f)) f = defaultRange(asOf).from;
  if (!isIsoDay(to)) to = defaultRange(asOf).to;
  if (f > to) [f, to] = [to, f];
  // A from/to link that happens to be a named period is labelled as one (links written before
  // periods had names, e.g. ?from=2025-11-01&to=2026-10-31).
  return { from: f, to, period: periodOf({ from: f, to }, { asOf }) };
}

/** Reads filters from a query string; anything invalid falls back to the default. */
export function parseFilters(params: URLSearchParams, asOf: string): Filters {
  const range = parseRange(params, asOf);
  const compare = params.get('compare');
  const out: Filters = { from: range.from, to: range.to, region: '', channel: '', owner: '', segment: '', period: range.period, compare: isCompare(compare) ? compare : DEFAULT_COMPARE };
  for (const k of FILTER_KEYS) out[k] = cleanValue(params.get(k));
  return out;
}

/**
 * Writes filters into `params` (other parameters, e.g. a search term, are kept), leaving out
 * defaults and empty values so URLs stay short and a default view has a clean URL. A named period
 * is written by name; a range that no longer equals its period's (a date was edited) is custom.
 */
export function writeFilters(filters: Filters, asOf: string, params = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(params);
  for (const k of ['period', 'from', 'to'] as const) out.delete(k);
  const named = filters.period ? periodRange(filters.period, { asOf, dataStart: filters.from }) : undefined;
  const period = named && named.from === filters.from && named.to === filters.to ? filters.period : periodOf(filters, { asOf });
  if (period === 'all_data') {
    out.set('period', period);
    out.set('from', filters.from);
  } else if (period && period !== DEFAULT_PERIOD) out.set('period', period);
  else if (!period) {
    out.set('from', filters.from);
    out.set('to', filters.to);
  }
  if (filters.compare && filters.compare !== DEFAULT_COMPARE) out.set('compare', filters.compare);
  else out.delete('compare');
  for (const k of FILTER_KEYS) {
    if (filters[k]) out.set(k, filters[k]);
    else out.delete(k);
  }
  return out;
}

/** A query string ('' or '?…') for links that keep the current filters on another page. */
export function filterQuery(filters: Filters, asOf: string): string {
  const s = writeFilters(filters, asOf).toString();
  return s ? `?${s}` : '';
}

export const activeFilterKeys = (f: Filters): FilterKey[] => FILTER_KEYS.filter((k) => f[k] !== '');
