/**
 * Every query the dashboard builds selects each member it orders by. Cube 0.33 silently ignores
 * an `order` entry whose member the query does not select (semantic/README.md, "Ordering"): the
 * cockpit's top loss reason came back third by lost value that way. The builders are called with
 * ordinary arguments; a last test lists the source files with an `order:` and fails on one this
 * spec does not cover, so a new query is checked from the day it is written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { OWNER_PICKER_QUERY } from './alerts/owner-picker.ts';
import { EXPORT_COLUMNS, riskByBandQuery, riskByOwnerQuery, riskListQuery, riskSummaryQuery } from './churn/queries.ts';
import * as cockpit from './cockpit/queries.ts';
import type { CubeQuery } from './cube/types.ts';
import { customer360Queries, customerListQuery, SORTS, type SortKey } from './customers/queries.ts';
import { cohortDrill, customersDrill, dealsDrill, ordersDrill, riskDrill } from './drills.ts';
import { dataStartQuery } from './filters/comparison.ts';
import { FILTER_OPTION_QUERIES } from './filters/options.ts';
import { parseFilters } from './filters/url-filters.ts';
import { customerDealsQuery } from './lost-orders/customer-deals.ts';
import { ALL_DEALS, driversQuery } from './lost-orders/drivers.ts';
import { BREAKDOWNS, lostByQuery, lostSummaryQuery, lostTrendQuery, reasonGrowthQueries, winTrendQuery } from './lost-orders/queries.ts';
import { openDealsQuery, openDealsSummaryQuery, scoringRunQuery } from './pipeline/queries.ts';
import { CAMPAIGN_OPTIONS_QUERY, campaignResultsQuery } from './segments/results.ts';
import { audienceQuery, emptyDefinition, matchQuery, membersQuery } from './segments/rules.ts';

/** The order members a query does not select (a time dimension is selected only with a granularity). */
export function unselectedOrder(q: CubeQuery): string[] {
  const selected = new Set([...(q.measures ?? []), ...(q.dimensions ?? []), ...(q.timeDimensions ?? []).filter((t) => t.granularity).map((t) => t.dimension)]);
  return (q.order ?? []).map(([member]) => member).filter((m) => !selected.has(m));
}

const f = parseFilters(new URLSearchParams('compare=previous'), '2026-11-30');
const range = { from: f.from, to: f.to };
const def = emptyDefinition();
def.groups[0].rules[0].values = ['champions'];

/** Every builder, by the source file that writes its `order:`. */
const QUERIES: Record<string, () => Record<string, CubeQuery | null>> = {
  'lib/alerts/owner-picker.ts': () => ({ ownerPicker: OWNER_PICKER_QUERY as CubeQuery }),
  'lib/churn/queries.ts': () => ({
    list: riskListQuery(f, 'high', 2),
    summary: riskSummaryQuery(f, ''),
    byBand: riskByBandQuery(f),
    byOwner: riskByOwnerQuery(f, 'medium'),
  }),
  // The CSV export sends RISK's order with the export columns as its dimensions.
  'routes/(app)/churn-risk/export.csv/+server.ts': () => ({ export: { ...riskListQuery(f, '', 1), dimensions: EXPORT_COLUMNS.map(([, m]) => m) } }),
  'lib/cockpit/queries.ts': () => ({
    ...cockpit.kpiQueries(f),
    ...Object.fromEntries(Object.entries(cockpit.kpiComparisonQueries(f) ?? {}).map(([k, v]) => [`prev.${k}`, v])),
    trend: cockpit.revenueTrendQuery(f, range, 'month'),
    trendPrev: cockpit.revenueTrendComparisonQuery(f, 'month'),
    cohort: cockpit.cohortQuery(f),
    rfm: cockpit.rfmQuery(f),
    risk: cockpit.riskQuery(f),
    stages: cockpit.pipelineStageQuery(f),
    lossReasons: cockpit.lossReasonQuery(f),
  }),
  'lib/customers/queries.ts': () => ({
    ...Object.fromEntries((Object.keys(SORTS) as SortKey[]).map((sort) => [`list by ${sort}`, customerListQuery(f, { q: '', sort, dir: 'desc', page: 1 })])),
    ...Object.fromEntries(Object.entries(customer360Queries('c-1')).map(([k, v]) => [`360 ${k}`, v as CubeQuery])),
  }),
  'lib/drills.ts': () => ({
    orders: ordersDrill(f, range).query,
    customers: customersDrill(f, [], 'Customers').query,
    cohort: cohortDrill(f, '2026-01', 2).query,
    risk: riskDrill(f, [], 'At risk').query,
    dealsOpen: dealsDrill(f, { scope: 'dealsOpen', extra: [], title: 'Open' }).query,
    dealsLost: dealsDrill(f, { scope: 'dealsClosed', range, extra: [], title: 'Lost', lost: true }).query,
  }),
  'lib/filters/comparison.ts': () => ({ salesStart: dataStartQuery('sales', f), dealsStart: dataStartQuery('dealsClosed', f) }),
  'lib/filters/options.ts': () => ({ ...FILTER_OPTION_QUERIES }) as Record<string, CubeQuery>,
  'lib/lost-orders/customer-deals.ts': () => ({ deals: customerDealsQuery('c-1') }),
  'lib/lost-orders/drivers.ts': () => ({ all: driversQuery([ALL_DEALS], false), significant: driversQuery([ALL_DEALS, { dim: 'region', value: 'EMEA' }], true) }),
  'lib/lost-orders/queries.ts': () => ({
    lostTrend: lostTrendQuery(f, 'month'),
    winTrend: winTrendQuery(f, 'week'),
    ...Object.fromEntries(BREAKDOWNS.map((b) => [`lost by ${b.id}`, lostByQuery(f, b.member)])),
    ...Object.fromEntries(Object.entries(reasonGrowthQueries(f)).map(([k, v]) => [`growth ${k}`, v])),
    summary: lostSummaryQuery(f),
  }),
  'lib/pipeline/queries.ts': () => ({ open: openDealsQuery(f, 2), summary: openDealsSummaryQuery(f), run: scoringRunQuery() }),
  'lib/segments/results.ts': () => ({ results: campaignResultsQuery(['s-1', 's-2']), options: CAMPAIGN_OPTIONS_QUERY }),
  'lib/segments/rules.ts': () => ({ audience: audienceQuery(def), match: matchQuery(def), members: membersQuery(def, 50, 100) }),
};

/** Files whose `order:` is an inline literal, with what selects its member (checked by reading the line below). */
const INLINE: Record<string, RegExp> = {
  'routes/(app)/segments/+page.svelte': /measures: \['customer_base\.customers'\], order: \[\['customer_base\.customers', 'desc'\]\]/,
};

describe('every dashboard query selects what it orders by (Cube 0.33 ignores the rest)', () => {
  test('the check itself: an unselected measure, a filter-only time dimension and a selected one', () => {
    expect(unselectedOrder({ measures: ['a.x'], dimensions: ['a.d'], order: [['a.y', 'desc'], ['a.d', 'asc']] })).toEqual(['a.y']);
    expect(unselectedOrder({ measures: ['a.x'], timeDimensions: [{ dimension: 'a.t', dateRange: ['2026-01-01', '2026-01-31'] }], order: [['a.t', 'asc']] })).toEqual(['a.t']);
    expect(unselectedOrder({ measures: ['a.x'], timeDimensions: [{ dimension: 'a.t', granularity: 'day' }], order: [['a.t', 'asc']] })).toEqual([]);
  });

  for (const [file, build] of Object.entries(QUERIES)) {
    test(file, () => {
      const problems = Object.entries(build())
        .filter((e): e is [string, CubeQuery] => e[1] !== null)
        .map(([name, q]) => [name, unselectedOrder(q)] as const)
        .filter(([, missing]) => missing.length > 0)
        .map(([name, missing]) => `${name} orders by ${missing.join(', ')} without selecting it`);
      expect(problems).toEqual([]);
    });
  }

  test('every source file with an `order:` is covered above', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (/\.(ts|svelte)$/.test(e.name) && !e.name.endsWith('.spec.ts') && /\border:\s*\[/.test(readFileSync(path, 'utf8'))) files.push(relative(root, path));
      }
    };
    walk(root);
    const uncovered = files.filter((p) => !(p in QUERIES) && !(p in INLINE));
    expect(uncovered).toEqual([]);
    for (const [p, line] of Object.entries(INLINE)) expect(readFileSync(join(root, p), 'utf8')).toMatch(line);
  });
});
