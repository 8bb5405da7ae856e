import { expect, test } from 'vitest';
import type { Row } from '../cube/types.ts';
import type { Filters } from '../filters/url-filters.ts';
import { compareQuery, splitCompared, totalOf, type RangeResult } from './merge.ts';
import { dealKpiQuery, kpiComparisonQueries, kpiQueries, kpiRequests, pipelineStageQuery, revenueTrendComparisonQuery, revenueTrendQuery, salesKpiQuery, splitKpiAnswers } from './queries.ts';
import { COCKPIT_KPIS } from './kpis.ts';

const f: Filters = { from: '2025-11-01', to: '2026-10-31', region: 'DACH', channel: '', owner: '', segment: '' };
const prev = { from: '2024-11-01', to: '2025-10-31' };

test('a KPI and its comparison: one query whose ranges are the two separate queries’ date ranges, all else equal', () => {
  const merged = compareQuery(salesKpiQuery(f), [f, prev]);
  const separate = [kpiQueries(f).sales, kpiComparisonQueries(f)!.salesPrev];
  // What Cube's compareDateRange turns the merged query into: one query per range.
  const expanded = (merged.timeDimensions![0] as { compareDateRange: [string, string][] }).compareDateRange.map((dateRange) => {
    const { compareDateRange: _c, ...td } = merged.timeDimensions![0] as { compareDateRange: unknown; dimension: string };
    void _c;
    return { ...merged, timeDimensions: [{ ...td, dateRange }] };
  });
  expect(expanded).toEqual(separate);
  // The trend with granularity and order, likewise.
  const trend = compareQuery(revenueTrendQuery(f, f, 'month'), [f, prev]);
  expect(trend.timeDimensions).toEqual([{ dimension: 'sales.order_date', granularity: 'month', compareDateRange: [['2025-11-01', '2026-10-31'], ['2024-11-01', '2025-10-31']] }]);
  expect({ ...trend, timeDimensions: undefined }).toEqual({ ...revenueTrendComparisonQuery(f, 'month'), timeDimensions: undefined });
});

test('one range: the plain query itself (it shares the plain request); a range that is not the query’s own is refused', () => {
  expect(compareQuery(dealKpiQuery(f), [f])).toEqual(dealKpiQuery(f));
  expect(() => compareQuery(dealKpiQuery(f), [prev, f])).toThrow(/not the query's own date range/);
  expect(() => compareQuery(pipelineStageQuery(f), [f])).toThrow(/no date range/);
});

test('the merged answer splits back by the range Cube names, whatever the order of its results', () => {
  const results: RangeResult[] = [
    { query: { timeDimensions: [{ dateRange: ['2024-11-01T00:00:00.000', '2025-10-31T23:59:59.999'] }] }, data: [{ 'sales.revenue': '900.5' }] },
    { query: { timeDimensions: [{ dateRange: ['2025-11-01T00:00:00.000', '2026-10-31T23:59:59.999'] }] }, data: [{ 'sales.revenue': '1200.25' }] },
  ];
  expect(splitCompared(results, [f, prev])).toEqual([[{ 'sales.revenue': '1200.25' }], [{ 'sales.revenue': '900.5' }]]);
  expect(() => splitCompared(results.slice(0, 1), [f, prev])).toThrow(/no result for 2025-11-01 – 2026-10-31/);
});

test('the pipeline card from the stage chart’s rows: the sums a query without the stage answers', () => {
  const stages: Row[] = [
    { 'pipeline.stage': 'proposal', 'pipeline.pipeline_value': '1.10', 'pipeline.open_deals': '3' },
    { 'pipeline.stage': 'negotiation', 'pipeline.pipeline_value': '2.20', 'pipeline.open_deals': '1' },
    { 'pipeline.stage': null, 'pipeline.pipeline_value': 0, 'pipeline.open_deals': 2 },
  ];
  // 1.1 + 2.2 is 3.3 in decimal; binary floating point alone gives 3.3000000000000003.
  expect(1.1 + 2.2).not.toBe(3.3);
  expect(totalOf(stages, ['pipeline.pipeline_value', 'pipeline.open_deals'])).toEqual({ 'pipeline.pipeline_value': 3.3, 'pipeline.open_deals': 6 });
  expect(totalOf([], ['pipeline.open_deals'])).toEqual({ 'pipeline.open_deals': 0 });
  expect(totalOf([{ 'pipeline.pipeline_value': null }], ['pipeline.pipeline_value'])).toEqual({ 'pipeline.pipeline_value': null });
  expect(() => totalOf([{ 'pipeline.open_deals': 'n/a' }], ['pipeline.open_deals'])).toThrow(/pipeline.open_deals is not a number/);
});

test('every card gets exactly the value its own query would have answered', () => {
  const r = kpiRequests(f);
  expect(r.ranges).toEqual([f, prev]);
  expect(r.stages).toEqual(pipelineStageQuery(f));
  // Answers as Cube would give them to the separate queries (kpiQueries / kpiComparisonQueries).
  const own = {
    sales: [{ 'sales.revenue': '1200.25', 'sales.active_customers': '40', 'sales.new_customers': '7', 'sales.average_order_value': '30.0', 'sales.repeat_purchase_rate': '0.4' }],
    salesPrev: [{ 'sales.revenue': '900.5', 'sales.active_customers': '35', 'sales.new_customers': '5', 'sales.average_order_value': '25.7', 'sales.repeat_purchase_rate': '0.3' }],
    retention: [{ 'customer_retention.retention_rate': '0.55' }],
    retentionPrev: [{ 'customer_retention.retention_rate': '0.5' }],
    deals: [{ 'pipeline.win_rate': '0.25', 'pipeline.lost_value': '5000' }],
    dealsPrev: [{ 'pipeline.win_rate': '0.2', 'pipeline.lost_value': '7000' }],
    snapshot: [{ 'customer_base.churn_rate': '0.1', 'customer_base.avg_lifetime_value': '310', 'customer_base.avg_predicted_clv': '120', 'customer_base.value_at_risk': '4400', 'customer_base.customers': '900' }],
    pipeline: [{ 'pipeline.pipeline_value': '12000.5', 'pipeline.open_deals': '9' }],
  };
  const stages: Row[] = [
    { 'pipeline.stage': 'proposal', 'pipeline.pipeline_value': '10000.25', 'pipeline.open_deals': '5' },
    { 'pipeline.stage': 'closing', 'pipeline.pipeline_value': '2000.25', 'pipeline.open_deals': '4' },
  ];
  const split = splitKpiAnswers({ sales: [own.sales, own.salesPrev], deals: [own.deals, own.dealsPrev], retention: own.retention, retentionPrev: own.retentionPrev, snapshot: own.snapshot, stages });
  for (const k of COCKPIT_KPIS) {
    expect(Number(split.current[k.source][0][k.measure]), k.testid).toBe(Number(own[k.source][0][k.measure as keyof (typeof own)[typeof k.source][0]]));
    if (k.previousSource) expect(split.previous?.[k.previousSource][0][k.measure], `${k.testid} previous`).toBe(own[k.previousSource][0][k.measure as never]);
  }
  expect(split.current.pipeline[0]['pipeline.open_deals']).toBe(9);
  // No comparison: one range, no previous rows.
  const none = kpiRequests({ ...f, compare: 'none' });
  expect(none.ranges).toEqual([{ ...f, compare: 'none' }]);
  expect(none.retentionPrev).toBeNull();
  expect(splitKpiAnswers({ sales: [own.sales], deals: [own.deals], retention: own.retention, retentionPrev: null, snapshot: own.snapshot, stages }).previous).toBeNull();
});
