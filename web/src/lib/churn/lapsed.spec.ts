import { describe, expect, test } from 'vitest';
import { activeCustomersBase, lapsedDefinition, lapsedFacts, lapsedNote, lapsedSince, valueAtRiskBase, withoutLapsedProbability } from './lapsed.ts';
import { formatCurrency } from '../format/format.ts';

describe('lapsed words', () => {
  test('the definition names the window and the scores\' as-of day', () => {
    expect(lapsedDefinition(365, '1998-06-30')).toMatch(/^Lapsed: no order in the 365 days before 30 Jun 1998\. .*not counted as at risk/);
    expect(lapsedDefinition(undefined, undefined)).toMatch(/^Lapsed: no order in the 365 days\. /);
    expect(lapsedDefinition(180, undefined)).toMatch(/in the 180 days\./);
  });
  test('the customer page says since when, not a probability', () => {
    expect(lapsedSince('1997-03-25')).toBe('lapsed — no order since 25 Mar 1997');
    expect(lapsedSince(null)).toBe('lapsed — no order on record');
    expect(lapsedNote(undefined)).toMatch(/^no order in the 365 days before/);
  });
  test('value at risk says what it leaves out', () => {
    expect(valueAtRiskBase('1545')).toBe('active customers; 1,545 lapsed not included');
    expect(valueAtRiskBase('0')).toBe('active customers');
    expect(valueAtRiskBase(null)).toBe('active customers');
  });
  test('a lapsed row loses its probability, others keep it', () => {
    expect(withoutLapsedProbability({ b: 'lapsed', p: '0.93' }, 'b', 'p')).toEqual({ b: 'lapsed', p: null });
    expect(withoutLapsedProbability({ b: 'high', p: '0.93' }, 'b', 'p')).toEqual({ b: 'high', p: '0.93' });
  });
});

describe('what the customer page shows of a lapsed customer instead of churn reasons', () => {
  test('last order, how long before the as-of day, and what they were worth while active', () => {
    // 1997-03-25 + 462 days = 1998-06-30 (6 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 + 31 + 28 + 31 + 30 + 31 + 30 days).
    const f = lapsedFacts({ lastPurchaseAt: '1997-03-25T00:00:00.000', firstPurchaseAt: '1997-01-02', daysSinceLastPurchase: '462', lifetimeValue: '312.4', lifetimeOrders: '5', windowDays: 365 });
    expect(f.lastOrder).toBe('Last order 25 Mar 1997');
    expect(f.since).toBe('462 days before 30 Jun 1998 (as of)');
    expect(f.whileActive).toBe(`While active: 5 paid orders, ${formatCurrency(312.4)} net revenue, 2 Jan 1997 – 25 Mar 1997`);
    expect(f.why).toMatch(/^No order in the churn model's active window \(365 days before the scores' as-of day\)/);
    expect(f.why).toMatch(/no churn reasons/);
  });
  test('one order is said on its day; the window defaults to 365; nothing is invented without orders', () => {
    const one = lapsedFacts({ lastPurchaseAt: '1997-03-25', firstPurchaseAt: '1997-03-25', daysSinceLastPurchase: 462, lifetimeValue: 20, lifetimeOrders: 1, windowDays: undefined });
    expect(one.whileActive).toBe(`While active: 1 paid order, ${formatCurrency(20)} net revenue, on 25 Mar 1997`);
    expect(one.why).toMatch(/\(365 days/);
    const none = lapsedFacts({ lastPurchaseAt: null, firstPurchaseAt: null, daysSinceLastPurchase: null, lifetimeValue: null, lifetimeOrders: '0', windowDays: 180 });
    expect(none.lastOrder).toBe('No order on record');
    expect(none.since).toBeUndefined();
    expect(none.whileActive).toBeUndefined();
    expect(none.why).toMatch(/\(180 days/);
  });
});

// "of 817 active customers" beside the cockpit's "Active customers 812" (CDNOW): the churn page
// names its window, the model's, so the two counts are not read as one measure.
describe('activeCustomersBase', () => {
  test('names the window and the scores’ as-of day', () => {
    expect(activeCustomersBase(817, 365, '1998-06-30')).toBe('of 817 active customers (an order in the 365 days before 30 Jun 1998)');
    expect(activeCustomersBase(16599, 730, undefined)).toBe("of 16,599 active customers (an order in the 730 days before the scores' as-of day)");
    expect(activeCustomersBase(12, undefined, '2026-12-07')).toBe('of 12 active customers (an order in the 365 days before 7 Dec 2026)');
  });
});
