import { expect, test } from 'vitest';
import { dataStartQuery } from '../filters/comparison.ts';
import { granularityFor, type Filters } from '../filters/url-filters.ts';
import { compareQuery, withRange } from './merge.ts';
import { cockpitPlan, queryKey } from './plan.ts';
import { cohortQuery, kpiComparisonQueries, kpiQueries, kpiRequests, lossReasonQuery, revenueTrendComparisonQuery, revenueTrendQuery, rfmQuery, riskQuery } from './queries.ts';

const f: Filters = { from: '2025-11-01', to: '2026-10-31', region: 'DACH', channel: '', owner: 'U-OWN-01', segment: '' };

/** What the page asks, query by query, as the browser builds it (compared pairs as their parts). */
function pageQueries(filters: Filters) {
  const k = kpiRequests(filters);
  const g = granularityFor(filters);
  const parts = (q: ReturnType<typeof revenueTrendQuery>) => k.ranges.map((r) => withRange(q, r));
  return [
    ...parts(k.sales),
    ...parts(k.deals),
    k.retention,
    ...(k.retentionPrev ? [k.retentionPrev] : []),
    k.snapshot,
    k.stages,
    ...parts(revenueTrendQuery(filters, filters, g)),
    cohortQuery(filters),
    rfmQuery(filters),
    riskQuery(filters),
    lossReasonQuery(filters),
    dataStartQuery('sales', filters),
    dataStartQuery('dealsClosed', filters),
  ];
}

test.each([
  ['previous period', f],
  ['last year', { ...f, compare: 'last_year' } as Filters],
  ['no comparison', { ...f, compare: 'none' } as Filters],
  ['30 days (daily trend)', { ...f, from: '2026-10-02', to: '2026-10-31', period: 'last_30_days' } as Filters],
])('the server load asks exactly what the page looks up (%s)', (_name, filters) => {
  const plan = cockpitPlan(filters).map(queryKey);
  expect(new Set(plan).size).toBe(plan.length);
  expect([...plan].sort()).toEqual(pageQueries(filters).map(queryKey).sort());
});

test('the parts of a compared pair are the separate queries the page asked before the merge (same Cube cache entries)', () => {
  const plan = new Set(cockpitPlan(f).map(queryKey));
  const separate = { ...kpiQueries(f), ...kpiComparisonQueries(f)! };
  for (const name of ['sales', 'salesPrev', 'deals', 'dealsPrev', 'retention', 'retentionPrev', 'snapshot'] as const) expect(plan.has(queryKey(separate[name])), name).toBe(true);
  expect(plan.has(queryKey(revenueTrendComparisonQuery(f, 'month')!))).toBe(true);
  // compareQuery's parts, expanded as Cube does, are these same queries.
  const merged = compareQuery(kpiRequests(f).sales, kpiRequests(f).ranges);
  expect(merged.timeDimensions?.[0]).toHaveProperty('compareDateRange');
  // The pipeline card has no query of its own: it is summed from the stage chart's.
  expect(plan.has(queryKey(separate.pipeline))).toBe(false);
});
