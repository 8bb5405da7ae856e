import { retentionBasePeriod } from '../../../../lib/periods.ts';
import { comparisonOf, type DateRange, type Filters } from '../filters/url-filters.ts';
import { scopeFilters, timeDimension } from '../cube/scopes.ts';
import type { CubeFilter, CubeQuery, Row } from '../cube/types.ts';
import type { Granularity } from '../format/format.ts';
import { totalOf } from './merge.ts';

/**
 * Every Cube query of the cockpit, as pure functions of the URL filters (unit-tested; the e2e test
 * checks the page shows what the semantic API answers). Period KPIs run for the selected range and,
 * in a second set, for the comparison the URL chooses (`compare`: the previous period like for like,
 * the same period last year, or none; lib/periods.ts); snapshot KPIs (scores, open pipeline) have
 * no history.
 */
export const KPI_MEASURES = {
  sales: ['sales.revenue', 'sales.active_customers', 'sales.new_customers', 'sales.average_order_value', 'sales.median_order_value', 'sales.repeat_purchase_rate', 'sales.returning_customers'],
  retention: ['customer_retention.retention_rate', 'customer_retention.base_customers', 'customer_retention.retained_customers'],
  deals: ['pipeline.win_rate', 'pipeline.lost_value', 'pipeline.won_deals', 'pipeline.lost_deals'],
  snapshot: ['customer_base.dormancy_rate', 'customer_base.dormant_customers', 'customer_base.buyers', 'customer_base.avg_lifetime_value', 'customer_base.median_lifetime_value', 'customer_base.avg_predicted_clv', 'customer_base.median_predicted_clv', 'customer_base.value_at_risk', 'customer_base.lapsed_customers', 'customer_base.customers'],
  pipeline: ['pipeline.pipeline_value', 'pipeline.open_deals'],
} as const;

const OPEN: CubeFilter = { member: 'pipeline.deal_status', operator: 'equals', values: ['open'] };
const LOST: CubeFilter = { member: 'pipeline.deal_status', operator: 'equals', values: ['lost'] };

export function salesKpiQuery(f: Filters, range: DateRange = f): CubeQuery {
  return { measures: [...KPI_MEASURES.sales], timeDimensions: timeDimension('sales', range), filters: scopeFilters('sales', f) };
}

export function dealKpiQuery(f: Filters, range: DateRange = f): CubeQuery {
  return { measures: [...KPI_MEASURES.deals], timeDimensions: timeDimension('dealsClosed', range), filters: scopeFilters('dealsClosed', f) };
}

/**
 * Retention in `range`: of the customers active in the period before it (lib/periods.ts
 * retentionBasePeriod: the "previous period" comparison's range, by f's named period), the share
 * active again. The comparison range's own retention takes its base by the same rule.
 */
export function retentionKpiQuery(f: Filters, range: DateRange = f): CubeQuery {
  const base = retentionBasePeriod(range, f.period);
  return {
    measures: [...KPI_MEASURES.retention],
    timeDimensions: [...timeDimension('periodRetention', range), { dimension: 'customer_retention.base_period', dateRange: [base.from, base.to] }],
    filters: scopeFilters('periodRetention', f),
  };
}

export function kpiQueries(f: Filters) {
  return {
    sales: salesKpiQuery(f),
    retention: retentionKpiQuery(f),
    deals: dealKpiQuery(f),
    snapshot: { measures: [...KPI_MEASURES.snapshot], filters: scopeFilters('customers', f) } satisfies CubeQuery,
    pipeline: { measures: [...KPI_MEASURES.pipeline], filters: [...scopeFilters('dealsOpen', f), OPEN] } satisfies CubeQuery,
  };
}

/** The period KPIs for the comparison period; null with `compare=none`. */
export function kpiComparisonQueries(f: Filters) {
  const range = comparisonOf(f);
  return range ? { salesPrev: salesKpiQuery(f, range), retentionPrev: retentionKpiQuery(f, range), dealsPrev: dealKpiQuery(f, range) } : null;
}

/**
 * The requests behind the KPI cards (issue 17: fewer requests per view). The sales and deal KPIs
 * of this period and of the comparison period go as one request each (Cube's compareDateRange:
 * the same SQL as kpiQueries()/kpiComparisonQueries(), answered per range); the pipeline card is the
 * total of the pipeline-by-stage chart's query (the page asks it once for both); retention's
 * comparison cannot ride along (its base period moves with the period) and stays a request of its own.
 */
export function kpiRequests(f: Filters) {
  const previous = comparisonOf(f);
  const ranges = previous ? [f, previous] : [f];
  return {
    ranges,
    /** Asked as compareQuery(sales, ranges): one request for every range. */
    sales: salesKpiQuery(f),
    deals: dealKpiQuery(f),
    retention: retentionKpiQuery(f),
    retentionPrev: previous ? retentionKpiQuery(f, previous) : null,
    snapshot: kpiQueries(f).snapshot,
    stages: pipelineStageQuery(f),
  } satisfies Record<string, CubeQuery | DateRange[] | null>;
}

/** The answers to kpiRequests(): rows per range for the compared ones, rows for the others. */
export interface KpiAnswers {
  sales: Row[][];
  deals: Row[][];
  retention: Row[];
  retentionPrev: Row[] | null;
  snapshot: Row[];
  stages: Row[];
}

/** The KPI rows per kpiQueries()/kpiComparisonQueries() key, split from the merged answers. */
export function splitKpiAnswers(a: KpiAnswers): { current: Record<keyof typeof KPI_MEASURES, Row[]>; previous: { salesPrev: Row[]; dealsPrev: Row[]; retentionPrev: Row[] } | null } {
  const current = { sales: a.sales[0], retention: a.retention, deals: a.deals[0], snapshot: a.snapshot, pipeline: [totalOf(a.stages, KPI_MEASURES.pipeline)] };
  const hasPrevious = a.sales.length > 1 && a.deals.length > 1 && a.retentionPrev !== null;
  return { current, previous: hasPrevious ? { salesPrev: a.sales[1], dealsPrev: a.deals[1], retentionPrev: a.retentionPrev! } : null };
}

export function revenueTrendQuery(f: Filters, range: DateRange, granularity: Granularity): CubeQuery {
  return {
    measures: ['sales.revenue', 'sales.orders'],
    timeDimensions: timeDimension('sales', range, granularity),
    filters: scopeFilters('sales', f),
    order: [['sales.order_date', 'asc']],
  };
}

/** The revenue trend of the comparison period (the dashed line); null with `compare=none`. */
export function revenueTrendComparisonQuery(f: Filters, granularity: Granularity): CubeQuery | null {
  const range = comparisonOf(f);
  return range ? revenueTrendQuery(f, range, granularity) : null;
}

export const MAX_COHORT_OFFSET = 12;

export function cohortQuery(f: Filters): CubeQuery {
  return {
    measures: ['retention.retention_rate', 'retention.cohort_customers'],
    dimensions: ['retention.months_since_first_purchase'],
    timeDimensions: timeDimension('retention', f, 'month'),
    filters: [...scopeFilters('retention', f), { member: 'retention.months_since_first_purchase', operator: 'lte', values: [String(MAX_COHORT_OFFSET)] }],
    order: [['retention.cohort_month', 'asc'], ['retention.months_since_first_purchase', 'asc']],
  };
}

export function rfmQuery(f: Filters): CubeQuery {
  return {
    measures: ['rfm_segments.customer_count', 'rfm_segments.total_lifetime_value'],
    dimensions: ['rfm_segments.rfm_segment'],
    filters: scopeFilters('rfm', f),
    order: [['rfm_segments.customer_count', 'desc']],
  };
}

export function riskQuery(f: Filters): CubeQuery {
  return {
    measures: ['customer_risk.scored_customers', 'customer_risk.value_at_risk'],
    dimensions: ['customer_risk.risk_band'],
    filters: scopeFilters('risk', f),
  };
}

export function pipelineStageQuery(f: Filters): CubeQuery {
  return {
    measures: ['pipeline.pipeline_value', 'pipeline.open_deals'],
    dimensions: ['pipeline.stage'],
    filters: [...scopeFilters('dealsOpen', f), OPEN],
  };
}

/** The cockpit's loss reasons chart: the largest, the rest said in a note (charts/rest-of-total.ts). */
export const TOP_LOSS_REASONS = 10;

export function lossReasonQuery(f: Filters, range: DateRange = f, limit = TOP_LOSS_REASONS): CubeQuery {
  return {
    measures: ['pipeline.lost_value', 'pipeline.lost_deals'],
    dimensions: ['pipeline.loss_reason'],
    timeDimensions: timeDimension('dealsClosed', range),
    filters: [...scopeFilters('dealsClosed', f), LOST],
    order: [['pipeline.lost_value', 'desc']],
    limit,
  };
}

/** Known pipeline stages in funnel order; others follow alphabetically. */
export const STAGE_ORDER = ['lead', 'prospecting', 'qualification', 'discovery', 'needs_analysis', 'demo', 'proposal', 'quote', 'negotiation', 'contract', 'closing'];

export function stageRank(stage: string): number {
  const i = STAGE_ORDER.indexOf(stage.toLowerCase());
  return i === -1 ? STAGE_ORDER.length : i;
}

export const RISK_ORDER = ['high', 'medium', 'low', 'lapsed'];
