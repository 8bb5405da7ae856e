import { expect, test } from 'vitest';
import { bucketKeys, bucketRange, valuesByBucket } from './buckets.ts';

test('month buckets cover the range', () => {
  expect(bucketKeys({ from: '2025-11-01', to: '2026-02-10' }, 'month')).toEqual([
    '2025-11-01T00:00:00.000',
    '2025-12-01T00:00:00.000',
    '2026-01-01T00:00:00.000',
    '2026-02-01T00:00:00.000',
  ]);
});

test('weeks start on Monday, as in Cube', () => {
  // 2026-10-01 is a Thursday.
  expect(bucketKeys({ from: '2026-10-01', to: '2026-10-12' }, 'week')).toEqual(['2026-09-28T00:00:00.000', '2026-10-05T00:00:00.000', '2026-10-12T00:00:00.000']);
});

test('a bucket range is clipped to the filter range', () => {
  expect(bucketRange('2026-02-01T00:00:00.000', 'month')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
  expect(bucketRange('2026-09-28T00:00:00.000', 'week', { from: '2026-10-01', to: '2026-10-31' })).toEqual({ from: '2026-10-01', to: '2026-10-04' });
  expect(bucketRange('2026-10-05T00:00:00.000', 'day')).toEqual({ from: '2026-10-05', to: '2026-10-05' });
});

test('values line up with buckets; missing buckets are null', () => {
  const keys = bucketKeys({ from: '2026-01-01', to: '2026-03-31' }, 'month');
  const rows = [
    { 'sales.order_date.month': '2026-01-01T00:00:00.000', 'sales.revenue': '100.5' },
    { 'sales.order_date.month': '2026-03-01T00:00:00.000', 'sales.revenue': '7' },
  ];
  expect(valuesByBucket(rows, 'sales.order_date.month', 'sales.revenue', keys)).toEqual([100.5, null, 7]);
});
