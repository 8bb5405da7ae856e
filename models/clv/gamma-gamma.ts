/**
 * Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"):
 * a customer's transaction values are Gamma(p, ν) and ν ~ Gamma(q, γ) across customers. For a
 * customer with x repeat purchases of mean value m̄ (z̄ = x·m̄ is their total), the likelihood is
 *
 *   f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m̄^(px−1) x^(px) / (γ + x m̄)^(px+q),
 *
 * fitted on the customers with x > 0 and m̄ > 0 (a mean of zero has no density under a Gamma).
 * The model assumes spend is independent of purchase frequency: fitGammaGamma reports the
 * correlation between x and m̄ so callers can check it.
 */
import { ClvModelError } from './errors.ts';
import { type Likelihood, maximizeLikelihood } from './fit-support.ts';
import { digamma, lgamma } from './special.ts';
import type { FitOptions, GammaGammaParams, ModelFit, SpendColumns } from './types.ts';

const PARAM_NAMES = ['p', 'q', 'gamma'] as const;

interface Spend {
  /** Index into `xs` of each customer's x. */
  slot: Int32Array;
  xs: Float64Array;
  lnX: Float64Array;
  m: Float64Array;
  lnM: Float64Array;
  w: Float64Array | undefined;
  total: number;
}

export interface GammaGammaFit extends ModelFit<GammaGammaParams> {
  /** Pearson correlation of x and m̄ over the fitted customers (the model assumes ≈ 0). */
  frequencyMonetaryCorrelation: number;
}

/** Keeps the customers the model is defined for: x > 0 and m̄ > 0 (others are skipped, not errors). */
function readSpend(data: SpendColumns): Spend {
  const n = data.frequency.length;
  if (data.monetaryValue.length !== n || (data.weight && data.weight.length !== n)) {
    throw new ClvModelError('INVALID_INPUT', 'frequency, monetaryValue (and weight) must have the same length');
  }
  const slotOf = new Map<number, number>();
  const slot: number[] = [];
  const m: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = data.frequency[i];
    const mi = data.monetaryValue[i];
    const wi = data.weight ? data.weight[i] : 1;
    if (!(Number.isInteger(x) && x >= 0)) {
      throw new ClvModelError('INVALID_INPUT', `frequency[${i}] must be a non-negative integer, got ${x}`);
    }
    if (!Number.isFinite(mi)) throw new ClvModelError('INVALID_INPUT', `monetaryValue[${i}] must be finite, got ${mi}`);
    if (x === 0 || mi <= 0 || wi === 0) continue;
    let s = slotOf.get(x);
    if (s === undefined) slotOf.set(x, (s = slotOf.size));
    slot.push(s);
    m.push(mi);
    w.push(wi);
  }
  const xs = new Float64Array(slotOf.size);
  for (const [x, s] of slotOf) xs[s] = x;
  const weights = data.weight ? Float64Array.from(w) : undefined;
  return {
    slot: Int32Array.from(slot),
    xs,
    lnX: xs.map(Math.log),
    m: Float64Array.from(m),
    lnM: Float64Array.from(m, Math.log),
    w: weights,
    total: weights ? weights.reduce((s, v) => s + v, 0) : m.length,
  };
}

/**
 * LL and gradient for θ = [p, q, γ]; with L = ln(γ + x m̄):
 *   ∂/∂p = x (ψ(px+q) − ψ(px) + ln x + ln m̄ − L),  ∂/∂q = ψ(px+q) − ψ(q) + ln γ − L,
 *   ∂/∂γ = q/γ − (px+q)/(γ + x m̄).
 * Γ and ψ terms depend on x only and are computed once per distinct x.
 */
function makeLikelihood(d: Spend): Likelihood {
  const { slot, xs, lnX, m, lnM, w } = d;
  const gx = new Float64Array(xs.length);
  const weightPerX = new Float64Array(xs.length);
  for (let i = 0; i < m.length; i++) weightPerX[slot[i]] += w ? w[i] : 1;

  const prepare = (p: number, q: number, gamma: number): void => {
    const base = q * Math.log(gamma) - lgamma(q);
    for (let s = 0; s < xs.length; s++) {
      const px = p * xs[s];
      gx[s] = base + lgamma(px + q) - lgamma(px) + px * lnX[s];
    }
  };

  const value = (theta: ArrayLike<number>): number => {
    const p = theta[0];
    const q = theta[1];
    const gamma = theta[2];
    if (!(p > 0 && q > 0 && gamma > 0)) return NaN;
    prepare(p, q, gamma);
    let sum = 0;
    for (let i = 0; i < m.length; i++) {
      const s = slot[i];
      const px = p * xs[s];
      const ll = gx[s] + (px - 1) * lnM[i] - (px + q) * Math.log(gamma + xs[s] * m[i]);
      sum += w ? w[i] * ll : ll;
    }
    return sum;
  };

  const valueAndGradient = (theta: ArrayLike<number>, grad: Float64Array): number => {
    const p = theta[0];
    const q = theta[1];
    const gamma = theta[2];
    if (!(p > 0 && q > 0 && gamma > 0)) {
      grad.fill(NaN);
      return NaN;
    }
    prepare(p, q, gamma);
    let sum = 0;
    let gp = 0;
    let gq = 0;
    let gg = 0;
    for (let i = 0; i < m.length; i++) {
      const s = slot[i];
      const wi = w ? w[i] : 1;
      const x = xs[s];
      const px = p * x;
      const total = gamma + x * m[i];
      const L = Math.log(total);
      sum += wi * (gx[s] + (px - 1) * lnM[i] - (px + q) * L);
      gp += wi * x * (lnM[i] - L);
      gq -= wi * L;
      gg -= (wi * (px + q)) / total;
    }
    let all = 0;
    for (let s = 0; s < xs.length; s++) {
      const px = p * xs[s];
      const dPxq = digamma(px + q);
      gp += weightPerX[s] * xs[s] * (dPxq - digamma(px) + lnX[s]);
      gq += weightPerX[s] * dPxq;
      all += weightPerX[s];
    }
    gq += all * (Math.log(gamma) - digamma(q));
    gg += (all * q) / gamma;
    grad[0] = gp;
    grad[1] = gq;
    grad[2] = gg;
    return sum;
  };

  return { value, valueAndGradient };
}

/** Log-likelihood of one customer (x > 0, m̄ > 0), directly from the formula. */
export function gammaGammaLogLikelihoodOne(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  return (
    lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * Math.log(gamma) + (p * x - 1) * Math.log(m) +
    p * x * Math.log(x) - (p * x + q) * Math.log(gamma + x * m)
  );
}

/** Total log-likelihood over the customers with x > 0 and m̄ > 0. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, data: SpendColumns): number {
  return makeLikelihood(readSpend(data)).value([params.p, params.q, params.gamma]);
}

/** ∂LL/∂θ (analytic), keyed like the parameters. */
export function gammaGammaLogLikelihoodGradient(params: GammaGammaParams, data: SpendColumns): GammaGammaParams {
  const g = new Float64Array(3);
  makeLikelihood(readSpend(data)).valueAndGradient([params.p, params.q, params.gamma], g);
  return { p: g[0], q: g[1], gamma: g[2] };
}

/** Maximum-likelihood fit; default start p = q = γ = 1 (see maximizeLikelihood for the optimiser). */
export function fitGammaGamma(data: SpendColumns, options: FitOptions<GammaGammaParams> = {}): GammaGammaFit {
  const d = readSpend(data);
  if (d.total === 0) {
    throw new ClvModelError('NO_REPEAT_CUSTOMERS', 'Gamma-Gamma: no customer with a repeat purchase of positive value');
  }
  const fit = maximizeLikelihood<GammaGammaParams>(PARAM_NAMES, makeLikelihood(d), d.total, { p: 1, q: 1, gamma: 1 }, options);
  return { ...fit, frequencyMonetaryCorrelation: correlation(d) };
}

function correlation(d: Spend): number {
  let sw = 0, sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0;
  for (let i = 0; i < d.m.length; i++) {
    const w = d.w ? d.w[i] : 1;
    const x = d.xs[d.slot[i]];
    const m = d.m[i];
    sw += w; sx += w * x; sm += w * m; sxx += w * x * x; smm += w * m * m; sxm += w * x * m;
  }
  const cov = sxm / sw - (sx / sw) * (sm / sw);
  const vx = sxx / sw - (sx / sw) ** 2;
  const vm = smm / sw - (sm / sw) ** 2;
  return vx > 0 && vm > 0 ? cov / Math.sqrt(vx * vm) : NaN;
}

/**
 * E(M | p, q, γ, m̄, x) = (γ + x m̄) p / (p x + q − 1): a weighted average of the population mean
 * p γ / (q − 1) and the customer's own mean m̄ (Fader & Hardie 2013, eq. 5). Customers without a
 * usable history (x = 0 or m̄ ≤ 0) get the population mean, which is finite only when q > 1 (NaN
 * otherwise: the spend distribution has no mean).
 */
export function gammaGammaExpectedValueOne(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  if (x === 0 || !(m > 0)) return q > 1 ? (p * gamma) / (q - 1) : NaN;
  const den = p * x + q - 1;
  return den > 0 ? ((gamma + x * m) * p) / den : NaN;
}

/** Expected value of a future transaction for every customer. */
export function gammaGammaExpectedValue(params: GammaGammaParams, data: SpendColumns, out?: Float64Array): Float64Array {
  const n = data.frequency.length;
  const res = out ?? new Float64Array(n);
  for (let i = 0; i < n; i++) res[i] = gammaGammaExpectedValueOne(params, data.frequency[i], data.monetaryValue[i]);
  return res;
}
