import { expect, test } from 'vitest';
import type { Filters } from '../filters/url-filters.ts';
import { cohortQuery, dealKpiQuery, kpiComparisonQueries, kpiQueries, lossReasonQuery, pipelineStageQuery, retentionKpiQuery, revenueTrendComparisonQuery, revenueTrendQuery, salesKpiQuery, stageRank } from './queries.ts';

const f: Filters = { from: '2025-11-01', to: '2026-10-31', region: 'DACH', channel: '', owner: '', segment: 'Champions' };

test('revenue KPI: this period and the previous one, same filters', () => {
  const q = { ...kpiQueries(f), ...kpiComparisonQueries(f)! };
  expect(q.sales).toEqual({
    measures: ['sales.revenue', 'sales.active_customers', 'sales.new_customers', 'sales.average_order_value', 'sales.median_order_value', 'sales.repeat_purchase_rate', 'sales.returning_customers'],
    timeDimensions: [{ dimension: 'sales.order_date', dateRange: ['2025-11-01', '2026-10-31'] }],
    filters: [
      { member: 'sales.customer_region', operator: 'equals', values: ['DACH'] },
      { member: 'sales.rfm_segment', operator: 'equals', values: ['Champions'] },
    ],
  });
  expect(q.salesPrev.timeDimensions).toEqual([{ dimension: 'sales.order_date', dateRange: ['2024-11-01', '2025-10-31'] }]);
  expect(q.salesPrev.filters).toEqual(q.sales.filters);
  expect(salesKpiQuery(f)).toEqual(q.sales);
});

test.each([
  // Year to date (named) compares with the same days a year earlier, also as "previous".
  [{ from: '2026-01-01', to: '2026-10-15', period: 'year_to_date', compare: 'previous' }, ['2025-01-01', '2025-10-15']],
  [{ from: '2025-11-01', to: '2026-10-31', period: 'last_12_full_months', compare: 'last_year' }, ['2024-11-01', '2025-10-31']],
  [{ from: '2026-10-02', to: '2026-10-31', period: 'last_30_days', compare: 'last_year' }, ['2025-10-02', '2025-10-31']],
  [{ from: '2026-10-02', to: '2026-10-31', period: 'last_30_days', compare: 'previous' }, ['2026-09-02', '2026-10-01']],
] as const)('the comparison the URL chooses: %o → %o', (period, expected) => {
  const q = kpiComparisonQueries({ ...f, ...period });
  expect(q?.salesPrev.timeDimensions?.[0].dateRange).toEqual(expected);
  expect(q?.dealsPrev.timeDimensions?.[0].dateRange).toEqual(expected);
  expect(revenueTrendComparisonQuery({ ...f, ...period }, 'month')?.timeDimensions?.[0].dateRange).toEqual(expected);
});

test('no comparison: no comparison queries', () => {
  expect(kpiComparisonQueries({ ...f, compare: 'none' })).toBeNull();
  expect(revenueTrendComparisonQuery({ ...f, compare: 'none' }, 'month')).toBeNull();
});

test('win rate: deals closed in the period, by close date; no segment member on deals', () => {
  expect(dealKpiQuery(f)).toEqual({
    measures: ['pipeline.win_rate', 'pipeline.lost_value', 'pipeline.won_deals', 'pipeline.lost_deals'],
    timeDimensions: [{ dimension: 'pipeline.closed_at', dateRange: ['2025-11-01', '2026-10-31'] }],
    filters: [{ member: 'pipeline.region', operator: 'equals', values: ['DACH'] }],
  });
});

test('snapshot KPIs carry the customer filters and no date range', () => {
  const q = kpiQueries(f);
  expect(q.snapshot).not.toHaveProperty('timeDimensions');
  expect(q.snapshot.filters).toContainEqual({ member: 'customer_base.rfm_segment', operator: 'equals', values: ['Champions'] });
  expect(q.pipeline.filters).toContainEqual({ member: 'pipeline.deal_status', operator: 'equals', values: ['open'] });
});

test('trend, cohort, pipeline and loss-reason queries', () => {
  expect(revenueTrendQuery(f, f, 'month').timeDimensions).toEqual([{ dimension: 'sales.order_date', dateRange: ['2025-11-01', '2026-10-31'], granularity: 'month' }]);
  expect(revenueTrendComparisonQuery(f, 'month')?.timeDimensions?.[0].dateRange).toEqual(['2024-11-01', '2025-10-31']);
  const c = cohortQuery(f);
  expect(c.timeDimensions).toEqual([{ dimension: 'retention.cohort_month', dateRange: ['2025-11-01', '2026-10-31'], granularity: 'month' }]);
  expect(c.filters).toContainEqual({ member: 'retention.months_since_first_purchase', operator: 'lte', values: ['12'] });
  expect(pipelineStageQuery(f).dimensions).toEqual(['pipeline.stage']);
  const l = lossReasonQuery(f);
  expect(l.filters).toContainEqual({ member: 'pipeline.deal_status', operator: 'equals', values: ['lost'] });
  expect(l.order).toEqual([['pipeline.lost_value', 'desc']]);
});

test('stages sort in funnel order, unknown ones last', () => {
  expect(['negotiation', 'custom', 'prospecting', 'proposal'].sort((a, b) => stageRank(a) - stageRank(b))).toEqual(['prospecting', 'proposal', 'negotiation', 'custom']);
});

test('retention: the period and, as its base, the previous period of lib/periods (not the comparison choice)', () => {
  const q = kpiQueries({ ...f, compare: 'last_year' });
  expect(q.retention).toEqual({
    measures: ['customer_retention.retention_rate', 'customer_retention.base_customers', 'customer_retention.retained_customers'],
    timeDimensions: [
      { dimension: 'customer_retention.period', dateRange: ['2025-11-01', '2026-10-31'] },
      { dimension: 'customer_retention.base_period', dateRange: ['2024-11-01', '2025-10-31'] },
    ],
    filters: [
      { member: 'customer_retention.customer_region', operator: 'equals', values: ['DACH'] },
      { member: 'customer_retention.rfm_segment', operator: 'equals', values: ['Champions'] },
    ],
  });
  // A quarter's base is the quarter before (92 days), not the 90 days before.
  expect(retentionKpiQuery(f, { from: '2026-01-01', to: '2026-03-31' }).timeDimensions).toEqual([
    { dimension: 'customer_retention.period', dateRange: ['2026-01-01', '2026-03-31'] },
    { dimension: 'customer_retention.base_period', dateRange: ['2025-10-01', '2025-12-31'] },
  ]);
  // Year to date on 30 June (CDNOW, session 13): the base is the half year a year earlier, the range
  // the card says it compares with, not July – December; its comparison's base is the year before.
  const ytd: Filters = { ...f, from: '1998-01-01', to: '1998-06-30', period: 'year_to_date' };
  expect(retentionKpiQuery(ytd).timeDimensions).toEqual([
    { dimension: 'customer_retention.period', dateRange: ['1998-01-01', '1998-06-30'] },
    { dimension: 'customer_retention.base_period', dateRange: ['1997-01-01', '1997-06-30'] },
  ]);
  expect(kpiComparisonQueries(ytd)!.retentionPrev.timeDimensions).toEqual([
    { dimension: 'customer_retention.period', dateRange: ['1997-01-01', '1997-06-30'] },
    { dimension: 'customer_retention.base_period', dateRange: ['1996-01-01', '1996-06-30'] },
  ]);
  // Compared with last year: last year's retention, from its own previous period.
  expect(kpiComparisonQueries({ ...f, compare: 'last_year' })!.retentionPrev.timeDimensions).toEqual([
    { dimension: 'customer_retention.period', dateRange: ['2024-11-01', '2025-10-31'] },
    { dimension: 'customer_retention.base_period', dateRange: ['2023-11-01', '2024-10-31'] },
  ]);
});
