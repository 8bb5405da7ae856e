import {
  comparability,
  COMPARE_LABELS,
  daysIn,
  DEFAULT_COMPARE,
  PERIODS,
  type Compare,
} from '../../../../lib/periods.ts';
import { SCOPES, scopeFilters } from '../cube/scopes.ts';
import { timeKey, type CubeQuery, type Row } from '../cube/types.ts';
import { formatDate, formatNumber } from '../format/format.ts';
import { comparisonOf, type DateRange, type Filters } from './url-filters.ts';

/**
 * What a page's figures are compared with, and whether they can be (issue 15, item 2): a
 * comparison period that starts before the first day with data would turn "half a period of
 * nothing" into +204.5%, so the page shows a notice instead of a percentage. The first day with
 * data is read per fact and per filter (a region's first sale), through the semantic layer.
 */
export interface Comparison {
  compare: Compare;
  /** The comparison period; undefined for "No comparison". */
  range?: DateRange;
  /** Whether the comparison period has data throughout (see lib/periods.ts comparability). */
  available: boolean;
  /** "vs previous period" / "vs same period last year", after a change. */
  vs: string;
  /** Shown instead of a change when not available, e.g. "No data before 3 Jan 2025: comparison not available". */
  notice?: string;
  /** The first day with data, when the comparison starts before it. */
  dataStart?: string;
  /** The as-of day, when the period runs past it: its days after it have no data yet. */
  dataEnd?: string;
  /** Why there is nothing to compare at all (no facts of the page's kind, for these filters or loaded). */
  nothing?: string;
}

export const VS_TEXT: Record<Compare, string> = {
  previous: 'vs previous period',
  last_year: 'vs same period last year',
  none: '',
};

/**
 * `asOf`: the day the data ends. A period running past it (a custom range to 31 December on data
 * to 20 June) holds fewer days with data than its comparison, which has them all: "−48%" would be
 * half a year against a whole one, not a fall. Such a comparison is not like for like and says so.
 */
export function comparisonFor(f: Filters, dataStart: string | undefined, asOf?: string): Comparison {
  const compare = f.compare ?? DEFAULT_COMPARE;
  const range = comparisonOf(f);
  const c = comparability(range, dataStart);
  const before = !c.available && c.reason === 'before-data' ? c.dataStart : undefined;
  if (before)
    return {
      compare,
      range,
      available: false,
      vs: VS_TEXT[compare],
      notice: `No data before ${formatDate(before)}: comparison not available`,
      dataStart: before,
    };
  if (range && asOf && f.to > asOf)
    return {
      compare,
      range,
      available: false,
      vs: VS_TEXT[compare],
      notice: `Data ends ${formatDate(asOf)}, before the period does: not compared`,
      dataEnd: asOf,
    };
  return { compare, range, available: c.available, vs: VS_TEXT[compare], notice: undefined };
}

/**
 * The comparison a "change since" chart makes even when the page compares with nothing ("Growing
 * loss reasons" needs a baseline): the chosen one, or the previous period under "No comparison".
 * Refused on the same grounds as the cards' (before the data, past its end): the chart then shows
 * the notice, not a change of half a period against a whole one.
 */
export function baselineComparison(f: Filters, dataStart: string | undefined, asOf?: string): Comparison {
  return comparisonFor((f.compare ?? DEFAULT_COMPARE) === 'none' ? { ...f, compare: 'previous' } : f, dataStart, asOf);
}

/**
 * The comparison of a page whose facts do not exist at all (lost orders on a purchase log without
 * deals): its header named a comparison period, "compared with the previous period (1 Jul 1996 –
 * 30 Jun 1997)", on a page whose every figure is empty. `why` says what is missing, e.g. "no deals
 * loaded"; the cards and change charts see an unavailable comparison with that notice.
 */
export function nothingToCompare(c: Comparison, why: string): Comparison {
  return {
    ...c,
    available: false,
    notice: `Nothing to compare: ${why}`,
    dataStart: undefined,
    dataEnd: undefined,
    nothing: why,
  };
}

/** A chart subtitle's words for the comparison line, e.g. "dashed: same period last year". */
export const comparisonName = (compare: Compare): string => COMPARE_LABELS[compare];

/** The facts whose first day is looked up: paid orders (sales) and closed deals. */
export type FactScope = 'sales' | 'dealsClosed';

/**
 * The first day with facts of a scope, for the current customer filters (not the date range):
 * one row, the earliest day bucket.
 */
export function dataStartQuery(scope: FactScope, f: Filters): CubeQuery {
  const time = SCOPES[scope].time;
  const measure = scope === 'sales' ? 'sales.orders' : 'pipeline.deals';
  return {
    measures: [measure],
    timeDimensions: [{ dimension: time, granularity: 'day' }],
    filters: [...scopeFilters(scope, f), { member: time, operator: 'set' }],
    order: [[time, 'asc']],
    limit: 1,
  };
}

/** The first day from dataStartQuery's rows (undefined: no facts, or not loaded yet). */
export function dataStartOf(rows: Row[] | undefined, scope: FactScope): string | undefined {
  const v = rows?.[0]?.[timeKey(SCOPES[scope].time, 'day')];
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined;
}

/**
 * The comparison period a chart draws beside this one, or none: a chart compares only what the
 * cards compare. A comparison starting before the data, or a period running past the data's end,
 * is refused by the cards ("not compared"); a dashed line drawn over the months that have data
 * beside such a card is read as the comparison the card refuses (on CDNOW the default period,
 * Jul 1997 – Jun 1998, drew Jan – Jun 1997 under the card's "No data before 1 Jan 1997").
 */
export const drawnComparison = (c: Comparison): DateRange | undefined => (c.available ? c.range : undefined);

/**
 * The page header's sentence: the period by name and dates, and what it is compared with, e.g.
 * "Last 12 full months, 1 Dec 2025 – 30 Nov 2026, compared with the same period last year
 * (1 Dec 2024 – 30 Nov 2025)".
 */
export function describePeriod(f: Filters, c: Comparison, today?: string): string {
  const name = f.period ? `${PERIODS.find((p) => p.id === f.period)?.label}, ` : '';
  const dates = `${name}${formatDate(f.from)} – ${formatDate(f.to)}`;
  const running = runningDayNote(f, c, today);
  if (running) return `${describePeriod(f, c)}. ${running}`;
  if (c.nothing) return `${dates}. Nothing to compare: ${c.nothing}.`;
  if (!c.range) return dates;
  const what = `${c.compare === 'last_year' ? 'the same period last year' : 'the previous period'} (${formatDate(c.range.from)} – ${formatDate(c.range.to)})`;
  if (!c.available && c.dataStart)
    return `${dates}. Not compared with ${what}: there is no data before ${formatDate(c.dataStart)}.`;
  if (!c.available && c.dataEnd)
    return `${dates}. Not compared with ${what}: the data ends ${formatDate(c.dataEnd)}, so this period has fewer days with data than that one.`;
  // Calendar periods of different lengths (30 days of November against 31 of October, February
  // against January): a total changes by the length alone, so the header says both.
  const [days, against] = [daysIn(f), daysIn(c.range)];
  return `${dates}, compared with ${what}${days === against ? '' : `, ${formatNumber(days)} days against ${formatNumber(against)}`}`;
}

/**
 * The period ends today (the as-of day is today): its last day is not over, and a load that runs
 * nightly has not brought it yet. Month to date on 7 December against 1 – 7 November compared six
 * days of orders and part of a seventh with seven whole days (the demo read "Gross revenue −24.2%"),
 * with nothing on the page saying so. Said, not hidden: undefined when the period ends before today.
 */
export function runningDayNote(f: DateRange, c: Comparison, today: string | undefined): string | undefined {
  if (!today || f.to !== today) return undefined;
  const against =
    c.range && c.available && !c.nothing
      ? `, while ${formatDate(c.range.to)} of the ${c.compare === 'last_year' ? 'same period last year' : 'previous period'} is whole: totals compare part of a day with a whole one`
      : '';
  return `${formatDate(today)} is today and not over: its figures are partial${against}.`;
}
