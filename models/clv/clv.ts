/**
 * Customer lifetime value over a finite horizon, from the BG/NBD (how many purchases) and the
 * Gamma-Gamma model (what each is worth):
 *
 *   CLV = margin · E(M) · Σ_{m=1}^{M} [E(Y(m·Δ)) − E(Y((m−1)·Δ))] / (1 + d)^(m/12)
 *
 * where E(Y(t)) is the BG/NBD conditional expectation of purchases in the next t weeks, Δ is one
 * month in weeks (365.25/12/7 ≈ 4.348), d the annual discount rate, and each month's purchases are
 * discounted from the end of that month. This is the month-by-month sum (as in the `lifetimes`
 * package, but with an annual rate) rather than the DERT closed form, which is for an infinite
 * horizon. Spend is assumed independent of the purchase process (the Gamma-Gamma assumption), so the
 * expectation of the product is the product of the expectations.
 */
import { aliveTimesPerPair, bgNbdProbabilityAliveOne, conditionalExpectation } from './bg-nbd.ts';
import { gammaGammaExpectedValueOne } from './gamma-gamma.ts';
import type { BgNbdParams, GammaGammaParams, RfmColumns } from './types.ts';

export const WEEKS_PER_MONTH = 365.25 / 12 / 7;

export interface ClvHorizonOptions {
  /** Months of future purchases (default 12). */
  months?: number;
  /** Annual discount rate d, e.g. 0.1 for 10 % (default 0.1). */
  annualDiscountRate?: number;
  /** Share of revenue that is profit (default 1: CLV in revenue). */
  profitMargin?: number;
  /** Length of a month in weeks (default 365.25/12/7). */
  weeksPerMonth?: number;
}

export type ResolvedHorizon = Required<ClvHorizonOptions>;

export function resolveHorizon(o: ClvHorizonOptions = {}): ResolvedHorizon {
  const r: ResolvedHorizon = {
    months: o.months ?? 12,
    annualDiscountRate: o.annualDiscountRate ?? 0.1,
    profitMargin: o.profitMargin ?? 1,
    weeksPerMonth: o.weeksPerMonth ?? WEEKS_PER_MONTH,
  };
  if (!(Number.isInteger(r.months) && r.months >= 0)) throw new RangeError(`months must be a non-negative integer, got ${r.months}`);
  if (!(r.annualDiscountRate > -1)) throw new RangeError(`annualDiscountRate must be > −1, got ${r.annualDiscountRate}`);
  if (!(r.weeksPerMonth > 0)) throw new RangeError(`weeksPerMonth must be positive, got ${r.weeksPerMonth}`);
  if (!Number.isFinite(r.profitMargin)) throw new RangeError(`profitMargin must be finite, got ${r.profitMargin}`);
  return r;
}

/** Discount factor of month m: 1 / (1+d)^(m/12). */
function discountFactors(h: ResolvedHorizon): Float64Array {
  const f = new Float64Array(h.months + 1);
  for (let m = 1; m <= h.months; m++) f[m] = Math.pow(1 + h.annualDiscountRate, -m / 12);
  return f;
}

/** Σ_m [E(Y(mΔ)) − E(Y((m−1)Δ))] · discount(m) for one customer: discounted expected purchases. */
export function discountedExpectedPurchasesOne(
  p: BgNbdParams,
  x: number,
  tx: number,
  T: number,
  horizon: ClvHorizonOptions = {},
): number {
  const h = resolveHorizon(horizon);
  return discounted(p, x, tx, T, h, discountFactors(h));
}

function discounted(p: BgNbdParams, x: number, tx: number, T: number, h: ResolvedHorizon, disc: Float64Array): number {
  return bgNbdProbabilityAliveOne(p, x, tx, T) * discountedIfAlive(p, x, T, h, disc);
}

/** The sum above for P(alive) = 1: each E(Y(t)) is proportional to P(alive), so the sum is too. */
function discountedIfAlive(p: BgNbdParams, x: number, T: number, h: ResolvedHorizon, disc: Float64Array): number {
  let prev = 0;
  let sum = 0;
  for (let m = 1; m <= h.months; m++) {
    const cum = conditionalExpectation(p, x, T, m * h.weeksPerMonth, 1);
    sum += (cum - prev) * disc[m];
    prev = cum;
  }
  return sum;
}

/** Discounted expected purchases over the horizon for every customer. */
export function discountedExpectedPurchases(
  p: BgNbdParams,
  data: RfmColumns,
  horizon: ClvHorizonOptions = {},
  out?: Float64Array,
): Float64Array {
  const h = resolveHorizon(horizon);
  const disc = discountFactors(h);
  return aliveTimesPerPair(p, data, (x, T) => discountedIfAlive(p, x, T, h, disc), out);
}

/** CLV for every customer: margin × expected order value × discounted expected purchases. */
export function customerLifetimeValue(
  bgNbd: BgNbdParams,
  gammaGamma: GammaGammaParams,
  data: RfmColumns & { monetaryValue: ArrayLike<number> },
  horizon: ClvHorizonOptions = {},
  out?: Float64Array,
): Float64Array {
  const h = resolveHorizon(horizon);
  const res = discountedExpectedPurchases(bgNbd, data, h, out);
  for (let i = 0; i < res.length; i++) {
    res[i] *= h.profitMargin * gammaGammaExpectedValueOne(gammaGamma, data.frequency[i], data.monetaryValue[i]);
  }
  return res;
}
