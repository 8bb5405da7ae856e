import { expect, test } from 'vitest';
import { isSnapshot, scopeFilters, SCOPES, timeDimension, unsupportedFilters } from './scopes.ts';
import type { Filters } from '../filters/url-filters.ts';

const f: Filters = { from: '2026-01-01', to: '2026-06-30', region: 'DACH', channel: 'web', owner: 'U-OWN-01', segment: 'Champions' };

test('every filter becomes an equals filter on the view’s own member', () => {
  expect(scopeFilters('sales', f)).toEqual([
    { member: 'sales.customer_region', operator: 'equals', values: ['DACH'] },
    { member: 'sales.customer_acquisition_channel', operator: 'equals', values: ['web'] },
    { member: 'sales.customer_owner_id', operator: 'equals', values: ['U-OWN-01'] },
    { member: 'sales.rfm_segment', operator: 'equals', values: ['Champions'] },
  ]);
  expect(scopeFilters('sales', { ...f, region: '', channel: '', owner: '', segment: '' })).toEqual([]);
});

test('a filter a view cannot apply is reported, not silently dropped', () => {
  expect(unsupportedFilters('sales', f)).toEqual([]);
  expect(unsupportedFilters('dealsClosed', f)).toEqual(['segment']);
  expect(scopeFilters('dealsClosed', f).map((x) => ('member' in x ? x.member : ''))).not.toContain('pipeline.rfm_segment');
});

test('the date range goes on the scope’s time dimension; snapshots have none', () => {
  expect(timeDimension('sales', f, 'month')).toEqual([{ dimension: 'sales.order_date', dateRange: ['2026-01-01', '2026-06-30'], granularity: 'month' }]);
  expect(timeDimension('dealsClosed', f)).toEqual([{ dimension: 'pipeline.closed_at', dateRange: ['2026-01-01', '2026-06-30'] }]);
  expect(timeDimension('rfm', f)).toEqual([]);
  expect(isSnapshot('rfm')).toBe(true);
  expect(isSnapshot('sales')).toBe(false);
});

test('members name views only (the public surface), never cubes', () => {
  const views = ['sales', 'retention', 'customer_retention', 'rfm_segments', 'customer_base', 'customer_risk', 'pipeline'];
  for (const scope of Object.values(SCOPES)) for (const m of Object.values(scope)) expect(views).toContain(String(m).split('.')[0]);
});
