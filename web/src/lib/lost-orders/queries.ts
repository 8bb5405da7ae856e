import { comparisonOf, type DateRange, type Filters } from '../filters/url-filters.ts';
import { previousPeriod } from '../../../../lib/periods.ts';
import { scopeFilters, timeDimension } from '../cube/scopes.ts';
import type { CubeFilter, CubeQuery } from '../cube/types.ts';
import type { Granularity } from '../format/format.ts';
import { lossReasonQuery } from '../cockpit/queries.ts';

/**
 * Lost-order analysis: every query is about deals closed in the selected range (pipeline view,
 * scope dealsClosed), lost ones unless stated. Pure functions of the URL filters.
 */
export const LOST: CubeFilter = { member: 'pipeline.deal_status', operator: 'equals', values: ['lost'] };

/** The breakdowns the "lost by" chart offers: label, the pipeline member, and its values' name. */
export const BREAKDOWNS = [
  { id: 'stage', label: 'Stage where lost', member: 'pipeline.lost_at_stage', plural: 'stages' },
  { id: 'competitor', label: 'Competitor', member: 'pipeline.competitor', plural: 'competitors' },
  { id: 'owner', label: 'Owner', member: 'pipeline.deal_owner_id', plural: 'owners' },
  { id: 'product', label: 'Product', member: 'pipeline.product', plural: 'products' },
  { id: 'region', label: 'Region', member: 'pipeline.region', plural: 'regions' },
] as const;

/** Bars of the "lost by" chart, and reasons of the Pareto: the largest; the rest is said in a note. */
export const BREAKDOWN_LIMIT = 15;
export const REASON_LIMIT = 50;
export type BreakdownId = (typeof BREAKDOWNS)[number]['id'];

export const breakdown = (id: string) => BREAKDOWNS.find((b) => b.id === id) ?? BREAKDOWNS[0];

export function lostTrendQuery(f: Filters, granularity: Granularity): CubeQuery {
  return {
    measures: ['pipeline.lost_deals', 'pipeline.lost_value'],
    timeDimensions: timeDimension('dealsClosed', f, granularity),
    filters: [...scopeFilters('dealsClosed', f), LOST],
    order: [['pipeline.closed_at', 'asc']],
  };
}

export function winTrendQuery(f: Filters, granularity: Granularity): CubeQuery {
  return {
    measures: ['pipeline.win_rate', 'pipeline.avg_sales_cycle_days', 'pipeline.won_deals', 'pipeline.lost_deals'],
    timeDimensions: timeDimension('dealsClosed', f, granularity),
    filters: scopeFilters('dealsClosed', f),
    order: [['pipeline.closed_at', 'asc']],
  };
}

export function lostByQuery(f: Filters, member: string, limit = BREAKDOWN_LIMIT): CubeQuery {
  return {
    measures: ['pipeline.lost_value', 'pipeline.lost_deals'],
    dimensions: [member],
    timeDimensions: timeDimension('dealsClosed', f),
    filters: [...scopeFilters('dealsClosed', f), LOST],
    order: [['pipeline.lost_value', 'desc']],
    limit,
  };
}

/**
 * The period "growing loss reasons" measures change against: the chosen comparison, or the
 * previous period when the URL asks for none (a change needs a baseline; the chart says which) —
 * the range baselineComparison() judges, so the chart and its notice speak of the same days.
 */
export const growthBaseline = (f: Filters): DateRange => comparisonOf(f) ?? comparisonOf({ ...f, compare: 'previous' }) ?? previousPeriod(f);

/** Loss reasons this period and in the baseline (which reasons are growing). */
export function reasonGrowthQueries(f: Filters) {
  return { current: lossReasonQuery(f, f, REASON_LIMIT), previous: lossReasonQuery(f, growthBaseline(f), REASON_LIMIT) };
}

export function lostSummaryQuery(f: Filters, range: DateRange = f): CubeQuery {
  return {
    // Won deals too: the win rate and the sales cycle say how many deals they rest on.
    // The median cycle beside the average: a few stalled deals pull the mean up.
    measures: ['pipeline.lost_deals', 'pipeline.lost_value', 'pipeline.win_rate', 'pipeline.avg_sales_cycle_days', 'pipeline.median_sales_cycle_days', 'pipeline.won_deals'],
    timeDimensions: timeDimension('dealsClosed', range),
    filters: scopeFilters('dealsClosed', f),
  };
}

/** The summary KPIs for the comparison period; null with `compare=none`. */
export function lostSummaryComparisonQuery(f: Filters): CubeQuery | null {
  const range = comparisonOf(f);
  return range ? lostSummaryQuery(f, range) : null;
}
