import { describe, expect, test } from 'vitest';
import { daysSinceLastOrder, daysToAsOf } from './recency.ts';

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

// Numbers a user could misread, tenth pass (2026-12-07): "Customer since 1 Jan 1997 (545 days)" on
// CDNOW, whose as-of day is 30 Jun 1998: the tenure counts to the as-of day, and now says so.
describe('daysToAsOf', () => {
  test.each([
    ['1997-01-01', 545, '545 days to 30 Jun 1998 (as of)'], // 365 (1997) + 180 (1 Jan to 30 Jun 1998)
    ['1997-01-01T12:00:00', '545', '545 days to 30 Jun 1998 (as of)'],
    ['2024-02-28', 1, '1 day to 29 Feb 2024 (as of)'],
    ['2024-03-11', 0, '0 days to 11 Mar 2024 (as of)'],
  ])('%s + %s', (from, days, text) => {
    expect(daysToAsOf(from, days)).toBe(text);
  });
  test('no sign-up or no figure: nothing to say', () => {
    expect(daysToAsOf(null, 5)).toBeUndefined();
    expect(daysToAsOf('2024-03-10', undefined)).toBeUndefined();
  });
});
