import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bgNbdExpectedPurchasesOne, bgNbdProbabilityAliveOne } from '../../../models/clv/bg-nbd.ts';
import {
  WEEKS_PER_MONTH,
  customerLifetimeValue,
  discountedExpectedPurchases,
  discountedExpectedPurchasesOne,
} from '../../../models/clv/clv.ts';
import { assertClose, assertRel } from './helpers.ts';

const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('CLV discounting', () => {
  test('hand example: with dropout switched off purchases accrue linearly, so CLV is a discounted annuity', () => {
    // a → 0 makes p ≈ 0 (nobody drops out): E[Y(t)] = (r+x) t / (α+T), here 6/40 = 0.15 a week.
    const bg = { r: 2, alpha: 10, a: 1e-12, b: 3 };
    const [x, tx, T] = [4, 20, 30];
    assertClose(bgNbdProbabilityAliveOne(bg, x, tx, T), 1, 1e-12);
    assertRel(bgNbdExpectedPurchasesOne(bg, x, tx, T, 10), 1.5, 1e-9);

    const perMonth = 0.15 * (365.25 / 12 / 7);
    let annuity = 0;
    for (let m = 1; m <= 12; m++) annuity += perMonth / 1.1 ** (m / 12);
    assertRel(discountedExpectedPurchasesOne(bg, x, tx, T, { annualDiscountRate: 0.1 }), annuity, 1e-9);

    // Gamma-Gamma by hand: (γ + x m̄) p / (p x + q − 1) = (4 + 20)·2 / (8 + 3 − 1) = 4.8; margin 25 %.
    const gg = { p: 2, q: 3, gamma: 4 };
    const clv = customerLifetimeValue(bg, gg, { frequency: [x], recency: [tx], T: [T], monetaryValue: [5] }, { annualDiscountRate: 0.1, profitMargin: 0.25 });
    assertRel(clv[0], 0.25 * 4.8 * annuity, 1e-9);
  });

  test('month by month: Σ [E(mΔ) − E((m−1)Δ)] / (1+d)^(m/12)', () => {
    const [x, tx, T] = [2, 30.43, 38.86];
    const e1 = bgNbdExpectedPurchasesOne(PUBLISHED, x, tx, T, WEEKS_PER_MONTH);
    const e2 = bgNbdExpectedPurchasesOne(PUBLISHED, x, tx, T, 2 * WEEKS_PER_MONTH);
    const want = e1 / 1.08 ** (1 / 12) + (e2 - e1) / 1.08 ** (2 / 12);
    assertRel(discountedExpectedPurchasesOne(PUBLISHED, x, tx, T, { months: 2, annualDiscountRate: 0.08 }), want, 1e-14);
  });

  test('no discount: the sum telescopes to E(12 months)', () => {
    const got = discountedExpectedPurchasesOne(PUBLISHED, 3, 20, 30, { annualDiscountRate: 0 });
    assertRel(got, bgNbdExpectedPurchasesOne(PUBLISHED, 3, 20, 30, 12 * WEEKS_PER_MONTH), 1e-13);
  });

  test('discounting lowers value; more months raise it; zero months is zero', () => {
    const at = (o: object) => discountedExpectedPurchasesOne(PUBLISHED, 3, 20, 30, o);
    assert.ok(at({ annualDiscountRate: 0.2 }) < at({ annualDiscountRate: 0.05 }));
    assert.ok(at({ months: 24 }) > at({ months: 12 }));
    assert.equal(at({ months: 0 }), 0);
  });

  test('array function equals the per-customer function', () => {
    const data = { frequency: [0, 1, 5, 1], recency: [0, 3, 20, 3], T: [10, 12, 30, 12] };
    const want = data.frequency.map((x, i) => discountedExpectedPurchasesOne(PUBLISHED, x, data.recency[i], data.T[i]));
    assert.deepEqual([...discountedExpectedPurchases(PUBLISHED, data)], want);
  });

  test('rejects nonsense horizons', () => {
    assert.throws(() => discountedExpectedPurchasesOne(PUBLISHED, 1, 1, 2, { months: 1.5 }), RangeError);
    assert.throws(() => discountedExpectedPurchasesOne(PUBLISHED, 1, 1, 2, { annualDiscountRate: -1 }), RangeError);
  });
});
