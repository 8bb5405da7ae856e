import { describe, expect, test } from 'vitest';
import { expectedPurchaseDaysNote, PURCHASE_DAY } from './purchase-days.ts';

// Numbers a user could misread, tenth pass (2026-12-07): the 360 read "2.0 orders expected in 90
// days" for the BG/NBD's expected purchase days (test/models/scoring/clv-purchase-days.test.ts: a
// customer with three orders a day is forecast as many as one with one order on the same days).
describe("the 360's purchase forecast counts purchase days", () => {
  test('says purchase days, never orders', () => {
    expect(expectedPurchaseDaysNote(2)).toBe('2 purchase days expected in the 90 days after the scores\' as-of day');
    expect(expectedPurchaseDaysNote('0.84')).toBe('0.8 purchase days expected in the 90 days after the scores\' as-of day');
    expect(expectedPurchaseDaysNote(1)).toBe('1 purchase day expected in the 90 days after the scores\' as-of day');
    expect(expectedPurchaseDaysNote(1.04)).toBe('1 purchase day expected in the 90 days after the scores\' as-of day');
    expect(expectedPurchaseDaysNote(1.06)).toBe('1.1 purchase days expected in the 90 days after the scores\' as-of day');
    expect(expectedPurchaseDaysNote(2)).not.toMatch(/order/);
  });

  test('the 90 days are counted from the scores\' as-of day, not from today', () => {
    expect(expectedPurchaseDaysNote(0.5)).not.toMatch(/next 90 days/);
  });

  test('without a forecast nothing is claimed', () => {
    for (const v of [null, undefined, '', Number.NaN]) expect(expectedPurchaseDaysNote(v)).toBe('no purchase forecast');
  });

  test('the title says what a purchase day is', () => {
    expect(PURCHASE_DAY).toMatch(/several orders on one day count once/);
  });
});
