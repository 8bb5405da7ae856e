import type { DateRange } from '../filters/url-filters.ts';
import type { CubeQuery, Row, TimeDimension } from '../cube/types.ts';

/**
 * Fewer requests per cockpit view (issue 17): the browser sends at most six requests at a time to
 * one origin and every request pays the dashboard's session check and Cube's SQL generation, so
 * the cockpit asks for what it can in one request and splits the answer here. Pure, so the split
 * is unit-tested against the answers the separate queries would give.
 *
 * Two merges:
 * - A period figure and its comparison (same measures, filters and granularity, another date
 *   range) go as one query with Cube's `compareDateRange`: Cube runs the same SQL it would run for
 *   each range alone (same cache entries) and answers one result per range.
 * - A total that a chart already has by category (the open pipeline card = the sum of the
 *   pipeline-by-stage chart's additive measures) is summed from the chart's rows, not asked again.
 */

/** A time dimension asked for several date ranges at once (Cube's REST format). */
export interface ComparedTimeDimension extends Omit<TimeDimension, 'dateRange'> {
  compareDateRange: [string, string][];
}

export type ComparedQuery = Omit<CubeQuery, 'timeDimensions'> & { timeDimensions: (TimeDimension | ComparedTimeDimension)[] };

/** One result of Cube's multi-result answer: the query as Cube normalised it and its rows. */
export interface RangeResult {
  query: { timeDimensions?: { dateRange?: string[] | string }[] };
  data: Row[];
}

/**
 * `q` (whose first time dimension has `ranges[0]` as its date range) asked for every range in
 * `ranges` in one request. With one range it is `q` itself, so it shares the plain query's request.
 */
export function compareQuery(q: CubeQuery, ranges: readonly DateRange[]): CubeQuery | ComparedQuery {
  const [td, ...rest] = q.timeDimensions ?? [];
  if (!td?.dateRange) throw new Error(`compareQuery: the query has no date range on its first time dimension (${JSON.stringify(q.timeDimensions ?? [])})`);
  if (td.dateRange[0] !== ranges[0]?.from || td.dateRange[1] !== ranges[0]?.to) {
    throw new Error(`compareQuery: the first range ${JSON.stringify(ranges[0])} is not the query's own date range ${JSON.stringify(td.dateRange)}`);
  }
  if (ranges.length === 1) return q;
  const { dateRange: _own, ...dimension } = td;
  void _own;
  return { ...q, timeDimensions: [{ ...dimension, compareDateRange: ranges.map((r): [string, string] => [r.from, r.to]) }, ...rest] };
}

const day = (v: string | undefined): string => String(v ?? '').slice(0, 10);

/**
 * The rows of each range, in the order of `ranges`, from Cube's results matched by the date range
 * Cube says each one answers (not by position). A range without a result is an error naming it.
 */
export function splitCompared(results: readonly RangeResult[], ranges: readonly DateRange[]): Row[][] {
  return ranges.map((r) => {
    const hit = results.find((res) => {
      const dr = res.query.timeDimensions?.[0]?.dateRange;
      return Array.isArray(dr) && day(dr[0]) === r.from && day(dr[1]) === r.to;
    });
    if (!hit) throw new Error(`the semantic layer's answer has no result for ${r.from} – ${r.to}`);
    return hit.data;
  });
}

/**
 * One total row of additive measures (sum or count) over a chart's category rows: what the same
 * query without the category dimension answers. Sums are rounded to 1e-6 so that adding decimals
 * in binary floating point does not show as a different figure; 0 without rows, null when every
 * row has no value.
 */
export function totalOf(rows: readonly Row[], measures: readonly string[]): Row {
  const out: Row = {};
  for (const m of measures) {
    let sum = 0;
    let seen = false;
    for (const r of rows) {
      const v = r[m];
      if (v === null || v === undefined || v === '') continue;
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) throw new Error(`totalOf: ${m} is not a number in a row (${JSON.stringify(v)})`);
      sum += n;
      seen = true;
    }
    // No rows: nothing of the kind, which the query without the dimension counts as 0.
    out[m] = seen ? Math.round(sum * 1e6) / 1e6 : rows.length === 0 ? 0 : null;
  }
  return out;
}

/** `q` with its first time dimension's date range set to `range`: one part of compareQuery(q, …). */
export function withRange(q: CubeQuery, range: DateRange): CubeQuery {
  const [td, ...rest] = q.timeDimensions ?? [];
  if (!td) throw new Error(`withRange: the query has no time dimension (${JSON.stringify(q)})`);
  return { ...q, timeDimensions: [{ ...td, dateRange: [range.from, range.to] }, ...rest] };
}
