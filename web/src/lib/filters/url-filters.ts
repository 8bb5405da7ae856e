import type { Granularity } from '../format/format.ts';

/**
 * The one date range and the customer filters every chart honours, kept in the URL so a view can
 * be shared: ?from=2025-11-01&to=2026-10-31&region=DACH&channel=web&owner=U-OWN-01&segment=Champions
 *
 * Defaults are relative to `asOf` (the last day with data), not to today: demo data and a stale
 * warehouse still open on a full picture. Values equal to the default are left out of the URL.
 * Pure functions; the reactive wrapper is filters.svelte.ts.
 */
export const FILTER_KEYS = ['region', 'channel', 'owner', 'segment'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface DateRange {
  /** First day, YYYY-MM-DD, inclusive. */
  from: string;
  /** Last day, YYYY-MM-DD, inclusive. */
  to: string;
}

export interface Filters extends DateRange {
  region: string;
  channel: string;
  owner: string;
  segment: string;
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

const toDate = (day: string): Date => new Date(`${day}T00:00:00Z`);
const toDay = (d: Date): string => d.toISOString().slice(0, 10);

export function addDays(day: string, n: number): string {
  const d = toDate(day);
  d.setUTCDate(d.getUTCDate() + n);
  return toDay(d);
}

/** Whole days from `from` to `to`, both included. */
export function daysIn(range: DateRange): number {
  return Math.round((toDate(range.to).getTime() - toDate(range.from).getTime()) / 86_400_000) + 1;
}

export type Preset = '30d' | '90d' | '6m' | '12m' | 'ytd' | '24m';

export const PRESETS: { id: Preset; label: string }[] = [
  { id: '30d', label: 'Last 30 days' },
  { id: '90d', label: 'Last 90 days' },
  { id: '6m', label: 'Last 6 months' },
  { id: '12m', label: 'Last 12 months' },
  { id: 'ytd', label: 'Year to date' },
  { id: '24m', label: 'Last 24 months' },
];

/** Month-based presets start on the 1st, so monthly charts show whole months (the last one to asOf). */
export function presetRange(preset: Preset, asOf: string): DateRange {
  const end = toDate(asOf);
  const monthsBack = (n: number): string => toDay(new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - n, 1)));
  switch (preset) {
    case '30d':
      return { from: addDays(asOf, -29), to: asOf };
    case '90d':
      return { from: addDays(asOf, -89), to: asOf };
    case '6m':
      return { from: monthsBack(5), to: asOf };
    case '12m':
      return { from: monthsBack(11), to: asOf };
    case '24m':
      return { from: monthsBack(23), to: asOf };
    case 'ytd':
      return { from: `${end.getUTCFullYear()}-01-01`, to: asOf };
  }
}

export const defaultRange = (asOf: string): DateRange => presetRange('12m', asOf);

/** The preset a range equals, if any (to highlight it in the picker). */
export function presetOf(range: DateRange, asOf: string): Preset | undefined {
  return PRESETS.find((p) => {
    const r = presetRange(p.id, asOf);
    return r.from === range.from && r.to === range.to;
  })?.id;
}

/** The period of the same length just before `range` (for "change vs previous period"). */
export function previousPeriod(range: DateRange): DateRange {
  const n = daysIn(range);
  return { from: addDays(range.from, -n), to: addDays(range.from, -1) };
}

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

/** Reads filters from a query string; anything invalid falls back to the default. */
export function parseFilters(params: URLSearchParams, asOf: string): Filters {
  const def = defaultRange(asOf);
  let from = params.get('from');
  let to = params.get('to');
  if (!isIsoDay(from)) from = def.from;
  if (!isIsoDay(to)) to = def.to;
  if (from > to) [from, to] = [to, from];
  const out: Filters = { from, to, region: '', channel: '', owner: '', segment: '' };
  for (const k of FILTER_KEYS) out[k] = cleanValue(params.get(k));
  return out;
}

/**
 * Writes filters into `params` (other parameters, e.g. a search term, are kept), leaving out
 * defaults and empty values so URLs stay short and a default view has a clean URL.
 */
export function writeFilters(filters: Filters, asOf: string, params = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(params);
  const def = defaultRange(asOf);
  const isDefault = filters.from === def.from && filters.to === def.to;
  for (const k of ['from', 'to'] as const) {
    if (isDefault) out.delete(k);
    else out.set(k, filters[k]);
  }
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
