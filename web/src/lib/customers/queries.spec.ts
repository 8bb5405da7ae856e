import { expect, test } from 'vitest';
import type { Filters } from '../filters/url-filters.ts';
import type { Row } from '../cube/types.ts';
import { cellText } from '../drill.ts';
import { withoutLapsedProbability } from '../churn/lapsed.ts';
import { formatValue } from '../format/format.ts';
import { customerListQuery, LIST_COLUMNS, recencyNote, parseListParams, searchFilter, sortKeyOf, PAGE_SIZE } from './queries.ts';

const f: Filters = { from: '2025-11-01', to: '2026-10-31', region: '', channel: '', owner: 'U-OWN-03', segment: '' };

test('list params: defaults, whitelist and bounds', () => {
  expect(parseListParams(new URLSearchParams())).toEqual({ q: '', sort: 'ltv', dir: 'desc', page: 1 });
  expect(parseListParams(new URLSearchParams('sort=name'))).toMatchObject({ sort: 'name', dir: 'asc' });
  expect(parseListParams(new URLSearchParams('sort=customer_base.password&dir=up&page=-3'))).toEqual({ q: '', sort: 'ltv', dir: 'desc', page: 1 });
  expect(parseListParams(new URLSearchParams('q=%20Anna%20&page=3'))).toMatchObject({ q: 'Anna', page: 3 });
});

test('the list query pages, sorts stably and filters by owner and search', () => {
  const q = customerListQuery(f, { q: 'anna', sort: 'churn', dir: 'desc', page: 3 });
  expect(q.limit).toBe(PAGE_SIZE);
  expect(q.offset).toBe(2 * PAGE_SIZE);
  expect(q.total).toBe(true);
  expect(q.order).toEqual([['customer_base.churn_probability', 'desc'], ['customer_base.customer_id', 'asc']]);
  expect(q.filters?.[0]).toEqual({ member: 'customer_base.owner_id', operator: 'equals', values: ['U-OWN-03'] });
  expect(q.filters?.[1]).toEqual(searchFilter('anna')[0]);
  expect(searchFilter('')).toEqual([]);
  // A source system's id (issue 13): typing "00004" matches the customer whose source_ids hold shop:00004.
  expect(searchFilter('00004')).toEqual([{
    or: [
      { member: 'customer_base.customer_name', operator: 'contains', values: ['00004'] },
      { member: 'customer_base.email', operator: 'contains', values: ['00004'] },
      { member: 'customer_base.company', operator: 'contains', values: ['00004'] },
      { member: 'customer_base.source_ids', operator: 'contains', values: ['00004'] },
      { member: 'customer_base.customer_id', operator: 'equals', values: ['00004'] },
    ],
  }]);
  expect(sortKeyOf('customer_base.lifetime_value')).toBe('ltv');
  expect(sortKeyOf('customer_base.email')).toBeUndefined();
});

test('the recency column says it counts days to the figures\' as-of day, read from the answer', () => {
  expect(customerListQuery(f, parseListParams(new URLSearchParams())).dimensions).toContain('customer_base.value_as_of');
  expect(recencyNote([{ 'customer_base.days_since_last_purchase': 180, 'customer_base.value_as_of': '1998-06-30T00:00:00.000' }])).toBe(
    "Days since last order are counted to 30 Jun 1998, the figures' as-of day.",
  );
  // Without the day (no rows, or an answer without it) nothing is claimed; the column's name still says what the number is.
  expect(recencyNote([])).toBeUndefined();
  expect(recencyNote([{ 'customer_base.value_as_of': null }])).toBeUndefined();
  expect(LIST_COLUMNS.find((c) => c.key === 'customer_base.days_since_last_purchase')?.label).toBe('Days since last order');
});

// Session 13 (CDNOW sweep): 1,540 of 2,357 customers are lapsed; the list showed "—" as their churn
// risk, the same as a customer never scored. The page's rows go through withoutLapsedProbability.
test('the churn-risk cell of a lapsed customer says lapsed; a never-scored one stays empty; a scored one its percent', () => {
  const col = LIST_COLUMNS.find((c) => c.key === 'customer_base.churn_probability')!;
  const cell = (row: Row) => cellText(withoutLapsedProbability(row, 'customer_base.churn_risk_band', 'customer_base.churn_probability'), col, formatValue);
  expect(cell({ 'customer_base.churn_probability': 0.91, 'customer_base.churn_risk_band': 'lapsed' })).toBe('lapsed');
  expect(cell({ 'customer_base.churn_probability': null, 'customer_base.churn_risk_band': null })).toBe(formatValue(null, 'percent'));
  expect(cell({ 'customer_base.churn_probability': 0.496, 'customer_base.churn_risk_band': 'medium' })).toBe('49.6%');
});
