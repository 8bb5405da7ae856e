import { dataStartQuery } from '../filters/comparison.ts';
import { comparisonOf, granularityFor, type Filters } from '../filters/url-filters.ts';
import type { CubeQuery } from '../cube/types.ts';
import { FILTER_OPTION_QUERIES } from '../filters/options.ts';
import { withRange } from './merge.ts';
import { cohortQuery, kpiRequests, lossReasonQuery, revenueTrendQuery, rfmQuery, riskQuery } from './queries.ts';

/**
 * Every query the cockpit shows for these filters, as plain queries (a compared pair as its two
 * parts): what the page's server load asks Cube while the HTML goes out (+page.server.ts), so the
 * first paint's data does not wait for the browser's scripts, its data token and its six
 * connections (issue 17, bench:web's profile). The browser finds each answer under queryKey() of
 * the query it builds from the same URL and as-of date, and asks Cube itself for any it does not find.
 *
 * The first day with sales is the filter bar's too, and the filter bar's options are asked with
 * the page as well (filterBarPlan): the page hands those answers to the browser's query cache
 * (cube/client.ts primeQuery), so the filter bar sends nothing either.
 */
export function cockpitPlan(f: Filters): CubeQuery[] {
  const previous = comparisonOf(f);
  const k = kpiRequests(f);
  const trend = revenueTrendQuery(f, f, granularityFor(f));
  const plan = [k.sales, k.deals, k.retention, k.snapshot, k.stages, trend, cohortQuery(f), rfmQuery(f), riskQuery(f), lossReasonQuery(f), dataStartQuery('sales', f), dataStartQuery('dealsClosed', f)];
  if (previous) plan.push(withRange(k.sales, previous), withRange(k.deals, previous), k.retentionPrev!, withRange(trend, previous));
  return plan;
}

/** What the filter bar asks (components/FilterBar.svelte), as it asks it. */
export function filterBarPlan(f: Filters): CubeQuery[] {
  return [dataStartQuery('sales', f), ...Object.values(FILTER_OPTION_QUERIES)];
}

/** The key an answer is found under: the query's JSON (builders are deterministic, so equal queries give equal keys). */
export const queryKey = (q: CubeQuery): string => JSON.stringify(q);
