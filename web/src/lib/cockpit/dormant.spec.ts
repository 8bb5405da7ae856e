/**
 * The cockpit's 180-day figure is "dormant", never "lapsed": lapsed is the churn model's stored state
 * (its own window, 365 days by default). A user reading both saw two "Lapsed customers" counts.
 */
import { describe, expect, test } from 'vitest';
import { COCKPIT_KPIS } from './kpis.ts';
import { KPI_MEASURES } from './queries.ts';
import { DORMANT_DAYS, DORMANT_DRILL_DESCRIPTION, DORMANT_DRILL_TITLE, dormantBase, dormantFilter } from './dormant.ts';
import { RFM_SEGMENT_HINT } from '../segments/rules.ts';

describe('the dormancy rate card', () => {
  test('shows the dormancy members, not the deprecated churn_rate / churned_customers names', () => {
    const card = COCKPIT_KPIS.find((k) => k.testid === 'kpi-churn-rate')!;
    expect(card.measure).toBe('customer_base.dormancy_rate');
    const snapshot: readonly string[] = KPI_MEASURES.snapshot;
    expect(snapshot).toContain('customer_base.dormant_customers');
    expect(snapshot).not.toContain('customer_base.churned_customers');
    expect(snapshot).not.toContain('customer_base.churn_rate');
  });

  test('its drill is titled dormant with the window, and says it is not the model’s lapsed', () => {
    expect(DORMANT_DAYS).toBe(180);
    expect(DORMANT_DRILL_TITLE).toBe('Dormant customers (no order in 180 days)');
    expect(DORMANT_DRILL_TITLE).not.toMatch(/laps/i);
    expect(DORMANT_DRILL_DESCRIPTION).toMatch(/180 days before the as-of day/);
    expect(DORMANT_DRILL_DESCRIPTION).toMatch(/Not the churn model's "lapsed"/);
    expect(dormantFilter()).toEqual([{ member: 'customer_base.days_since_last_purchase', operator: 'gt', values: ['180'] }]);
  });

  test('the RFM hint calls the same 180-day buyers dormant', () => {
    expect(RFM_SEGMENT_HINT).toMatch(/did not \(dormant\)\.$/);
    expect(RFM_SEGMENT_HINT).not.toMatch(/laps/i);
  });
});

describe('the dormancy rate names its base', () => {
  test.each([
    ['1843', '2357', '1,843 of 2,357 buyers'],
    [2, 3, '2 of 3 buyers (too few to compare)'],
    [0, 0, 'no customer has bought'],
    [5, undefined, undefined],
  ] as const)('%j dormant of %j buyers → %j', (d, b, want) => {
    expect(dormantBase(d, b)).toBe(want);
  });
});
