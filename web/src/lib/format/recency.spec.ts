import { describe, expect, test } from 'vitest';
import { daysSinceLastOrder } from './recency.ts';

// The figure counts to value_as_of, not to today (semantic customer_value.days_since_last_purchase):
// the text names that day, worked out here by hand from the last order's day.
describe('daysSinceLastOrder', () => {
  test.each([
    ['1998-01-01', 180, '180 days before 30 Jun 1998 (as of)'], // Jan 31 + Feb 28 + Mar 31 + Apr 30 + May 31 + 29 = 180
    ['1998-01-01T23:30:00', '180', '180 days before 30 Jun 1998 (as of)'], // the order's time of day does not move the day
    ['2024-02-28', 2, '2 days before 1 Mar 2024 (as of)'], // leap year
    ['2024-03-10', 1, '1 day before 11 Mar 2024 (as of)'],
    ['2024-03-10', 1234, '1,234 days before 27 Jul 2027 (as of)'],
    ['2024-03-11', 0, 'on the as-of day, 11 Mar 2024'],
  ])('%s + %s', (last, days, text) => {
    expect(daysSinceLastOrder(last, days)).toBe(text);
    expect(daysSinceLastOrder(last, days)).not.toMatch(/ago/);
  });
  test('no order or no figure: nothing to say', () => {
    expect(daysSinceLastOrder(null, 5)).toBeUndefined();
    expect(daysSinceLastOrder('2024-03-10', null)).toBeUndefined();
  });
});
