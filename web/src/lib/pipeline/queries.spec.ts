import { expect, test } from 'vitest';
import { dealRiskFilters, openDealsQuery, openDealsSummaryQuery, PAGE_SIZE, REASONS_KEY, unsupportedDealFilters, withReasons } from './queries.ts';

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
  expect(withReasons({ 'deal_risk.causes': 'a; b', 'deal_risk.cause_effects': '0.17;0.08' })[REASONS_KEY]).toBe('a (+17 pts)\nb (+8 pts)');
});
