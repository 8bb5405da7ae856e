import { describe, expect, test } from 'vitest';
import { dealRiskFilters, openDealsQuery, openDealsSummaryQuery, PAGE_SIZE, REASONS_KEY, unsupportedDealFilters, withReasons, allOpenDealsQuery, coverageNotes } from './queries.ts';

const f = { region: 'DACH', channel: '', owner: 'U-OWN-01', segment: 'Champions' };

test('filters map onto deal_risk; the segment has no member there and is named', () => {
  expect(dealRiskFilters(f)).toEqual([
    { member: 'deal_risk.region', operator: 'equals', values: ['DACH'] },
    { member: 'deal_risk.deal_owner_id', operator: 'equals', values: ['U-OWN-01'] },
  ]);
  expect(unsupportedDealFilters(f)).toEqual(['segment']);
});

test('open deals only, largest value at risk first, paged', () => {
  const q = openDealsQuery(f, 3);
  expect(q.filters).toContainEqual({ member: 'deal_risk.deal_status', operator: 'equals', values: ['open'] });
  expect(q.order?.[0]).toEqual(['deal_risk.deal_value_at_risk', 'desc']);
  expect(q.dimensions).toContain('deal_risk.deal_value_at_risk');
  expect([q.limit, q.offset, q.total]).toEqual([PAGE_SIZE, 2 * PAGE_SIZE, true]);
  expect(openDealsQuery(f, 0).offset).toBe(0);
  expect(openDealsSummaryQuery(f).measures).toContain('deal_risk.value_at_risk');
});

test('the reasons cell carries each risk with the points it adds', () => {
  expect(withReasons({ 'deal_risk.causes': 'a; b', 'deal_risk.cause_effects': '0.17;0.08' })[REASONS_KEY]).toBe('a (+17 pts)\nb (+8.0 pts)');
});

// The demo's pipeline: 1,040 open deals (€47.7m, the cockpit's "Open pipeline"), 987 scored (€44.7m):
// the page's "Open value" read as a second, smaller answer to the cockpit's question.
describe('what part of the open pipeline the scored cards cover', () => {
  test('fewer scored than open: both counts and the whole value are said', () => {
    expect(coverageNotes('987', '1040', '47697298')).toEqual({
      deals: 'of 1,040 open deals: 53 not scored by the latest run',
      value: "sum of the scored deals' amounts; all open deals: €47.7m",
    });
  });
  test('every open deal scored, or an answer missing: the plain notes', () => {
    expect(coverageNotes('5', '5', '100')).toEqual({ deals: 'latest win/loss run', value: 'sum of amounts' });
    expect(coverageNotes('5', undefined, undefined)).toEqual({ deals: 'latest win/loss run', value: 'sum of amounts' });
  });
  test('every open deal of the pipeline view, with the page’s filters', () => {
    const q = allOpenDealsQuery({ from: '2026-01-01', to: '2026-12-31', region: 'DACH', channel: '', owner: '', segment: '' });
    expect(q.measures).toEqual(['pipeline.open_deals', 'pipeline.pipeline_value']);
    expect(q.filters).toContainEqual({ member: 'pipeline.deal_status', operator: 'equals', values: ['open'] });
    expect(JSON.stringify(q.filters)).toContain('DACH');
  });
});
