/**
 * What the drill lists say their figures are. The customers drill's recency column counts days to
 * the figures' as-of day (value_as_of), not to today: like the customers list, it names that day
 * (in a line above the rows, read from the answer) and calls the column by what it is.
 */
import { describe, expect, test } from 'vitest';
import { customersDrill } from './drills.ts';
import { parseFilters } from './filters/url-filters.ts';

const f = parseFilters(new URLSearchParams(), '1998-06-30');

describe('customersDrill', () => {
  const drill = customersDrill(
    f,
    [],
    'Dormant customers (no order in 180 days)',
    'No paid order in the 180 days before the as-of day',
  );

  test('the recency column is "Days since last order", and the query reads the day it counts to', () => {
    expect(drill.columns.find((c) => c.key === 'customer_base.days_since_last_purchase')?.label).toBe(
      'Days since last order',
    );
    expect(drill.query.dimensions).toContain('customer_base.value_as_of');
  });

  test("the line above the rows names the as-of day of the answer (not the dashboard's today)", () => {
    // 1998-06-30 written out by hand: 30 June 1998.
    expect(
      drill.rowsNote?.([
        { 'customer_base.days_since_last_purchase': '212', 'customer_base.value_as_of': '1998-06-30T00:00:00.000' },
      ]),
    ).toBe("Days since last order are counted to 30 Jun 1998, the figures' as-of day.");
    // No rows, or no day in the answer: nothing is claimed.
    expect(drill.rowsNote?.([])).toBeUndefined();
    expect(drill.rowsNote?.([{ 'customer_base.value_as_of': null }])).toBeUndefined();
  });
});
