/**
 * BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").
 * Likelihood (eq. 6) for a customer with x repeat purchases, last at t_x, observed for T weeks:
 *
 *   L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *     + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
 *
 * evaluated in log space as a log-sum-exp of the two terms. The Γ and B ratios depend on x only and
 * x is an integer, so per likelihood evaluation they are built once for x = 0…max(x) by the recurrence
 * ln Γ(s+x) − ln Γ(s) = Σ_{k<x} ln(s+k); the per-customer work is two logarithms and one log1p.
 */
import { ClvModelError } from './errors.ts';
import { type Likelihood, maximizeLikelihood } from './fit-support.ts';
import { distinctXT } from './rfm-groups.ts';
import { lbeta, lgamma, logAddExp, scaledHyp2f1Minus1 } from './special.ts';
import type { BgNbdParams, FitOptions, ModelFit, RfmColumns } from './types.ts';

const PARAM_NAMES = ['r', 'alpha', 'a', 'b'] as const;

/** Validated columns: integer x, 0 ≤ t_x ≤ T, finite; weights positive. */
interface Rfm {
  x: Int32Array;
  tx: Float64Array;
  T: Float64Array;
  w: Float64Array | undefined;
  xMax: number;
  total: number;
}

export function readRfm(data: RfmColumns): Rfm {
  const n = data.frequency.length;
  if (data.recency.length !== n || data.T.length !== n || (data.weight && data.weight.length !== n)) {
    throw new ClvModelError('INVALID_INPUT', 'frequency, recency, T (and weight) must have the same length');
  }
  const x = new Int32Array(n);
  const tx = Float64Array.from(data.recency);
  const T = Float64Array.from(data.T);
  const w = data.weight ? Float64Array.from(data.weight) : undefined;
  let xMax = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = data.frequency[i];
    if (!(Number.isInteger(xi) && xi >= 0 && xi < 2 ** 31)) {
      throw new ClvModelError('INVALID_INPUT', `frequency[${i}] must be a non-negative integer, got ${xi}`);
    }
    if (!(tx[i] >= 0 && tx[i] <= T[i] && Number.isFinite(T[i]))) {
      throw new ClvModelError('INVALID_INPUT', `need 0 ≤ recency ≤ T < ∞ at ${i}, got recency ${tx[i]}, T ${T[i]}`);
    }
    if (w && !(w[i] >= 0 && Number.isFinite(w[i]))) {
      throw new ClvModelError('INVALID_INPUT', `weight[${i}] must be a non-negative number, got ${w[i]}`);
    }
    x[i] = xi;
    if (xi > xMax) xMax = xi;
    total += w ? w[i] : 1;
  }
  return { x, tx, T, w, xMax, total };
}

/** Log-likelihood of one customer, straight from the formula with ln Γ and ln B (for checks and tests). */
export function bgNbdLogLikelihoodOne(p: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const common = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
  const t1 = lbeta(a, b + x) - lbeta(a, b) - (r + x) * Math.log(alpha + T);
  if (x === 0) return common + t1;
  const t2 = lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * Math.log(alpha + tx);
  return common + logAddExp(t1, t2);
}

/**
 * LL(θ) and its gradient for θ = [r, α, a, b], with the data validated and laid out once.
 * Gradient: with w1, w2 the shares of the two likelihood terms (softmax of t1, t2),
 *   ∂/∂r = ψ(r+x) − ψ(r) + ln α − w1 ln(α+T) − w2 ln(α+t_x),
 *   ∂/∂α = r/α − (r+x) (w1/(α+T) + w2/(α+t_x)),
 *   ∂/∂a = ψ(a+b) − ψ(a+b+x) + w2/a,
 *   ∂/∂b = ψ(b+x) − ψ(b) + ψ(a+b) − ψ(a+b+x) − w2 (ψ(b+x) − ψ(b+x−1)),
 * where the ψ differences are the sums Σ_{k<x} 1/(s+k); the x-only parts are summed per x value.
 */
function makeLikelihood(d: Rfm): Likelihood {
  const { x, tx, T, w, xMax } = d;
  const n = x.length;
  const size = xMax + 1;
  const c1 = new Float64Array(size);
  const c2 = new Float64Array(size);
  // Per-x sums of weights: all customers, and of the two term shares.
  const wAll = new Float64Array(size);
  const w1x = new Float64Array(size);
  const w2x = new Float64Array(size);
  for (let i = 0; i < n; i++) wAll[x[i]] += w ? w[i] : 1;

  const prepare = (r: number, alpha: number, a: number, b: number): void => {
    const base = r * Math.log(alpha);
    const lnA = Math.log(a);
    // Running sums: gr = ln Γ(r+x)/Γ(r), gb = ln Γ(b+x)/Γ(b), gab = ln Γ(a+b+x)/Γ(a+b).
    let gr = 0;
    let gb = 0;
    let gab = 0;
    let gbPrev = 0;
    for (let k = 0; k <= xMax; k++) {
      // term 1: ln[B(a, b+x)/B(a, b)] = gb(x) − gab(x); term 2: ln a + gb(x−1) − gab(x).
      c1[k] = base + gr + gb - gab;
      c2[k] = k > 0 ? base + gr + lnA + gbPrev - gab : -Infinity;
      gbPrev = gb;
      gr += Math.log(r + k);
      gb += Math.log(b + k);
      gab += Math.log(a + b + k);
    }
  };

  const value = (theta: ArrayLike<number>): number => {
    const r = theta[0];
    const alpha = theta[1];
    if (!(r > 0 && alpha > 0 && theta[2] > 0 && theta[3] > 0)) return NaN;
    prepare(r, alpha, theta[2], theta[3]);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const rx = r + xi;
      const t1 = c1[xi] - rx * Math.log(alpha + T[i]);
      let ll = t1;
      if (xi > 0) {
        const t2 = c2[xi] - rx * Math.log(alpha + tx[i]);
        ll = t1 > t2 ? t1 + Math.log1p(Math.exp(t2 - t1)) : t2 + Math.log1p(Math.exp(t1 - t2));
      }
      sum += w ? w[i] * ll : ll;
    }
    return sum;
  };

  const valueAndGradient = (theta: ArrayLike<number>, grad: Float64Array): number => {
    const r = theta[0];
    const alpha = theta[1];
    const a = theta[2];
    const b = theta[3];
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) {
      grad.fill(NaN);
      return NaN;
    }
    prepare(r, alpha, a, b);
    w1x.fill(0);
    w2x.fill(0);
    let sum = 0;
    let gr = 0;
    let gAlpha = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const wi = w ? w[i] : 1;
      const rx = r + xi;
      const lT = Math.log(alpha + T[i]);
      const t1 = c1[xi] - rx * lT;
      if (xi === 0) {
        sum += wi * t1;
        gr -= wi * lT;
        gAlpha -= (wi * rx) / (alpha + T[i]);
        w1x[0] += wi;
        continue;
      }
      const lTx = Math.log(alpha + tx[i]);
      const t2 = c2[xi] - rx * lTx;
      let ll: number;
      let s1: number;
      if (t1 > t2) {
        const e = Math.exp(t2 - t1);
        ll = t1 + Math.log1p(e);
        s1 = 1 / (1 + e);
      } else {
        const e = Math.exp(t1 - t2);
        ll = t2 + Math.log1p(e);
        s1 = e / (1 + e);
      }
      const s2 = 1 - s1;
      sum += wi * ll;
      gr -= wi * (s1 * lT + s2 * lTx);
      gAlpha -= wi * rx * (s1 / (alpha + T[i]) + s2 / (alpha + tx[i]));
      w1x[xi] += wi * s1;
      w2x[xi] += wi * s2;
    }
    // x-only parts: running Σ 1/(s+k) for s = r, b, a+b.
    let hr = 0;
    let hb = 0;
    let hab = 0;
    let hbPrev = 0;
    let ga = 0;
    let gb = 0;
    const lnAlpha = Math.log(alpha);
    for (let k = 0; k <= xMax; k++) {
      if (wAll[k] > 0) {
        gr += wAll[k] * (hr + lnAlpha);
        gAlpha += (wAll[k] * r) / alpha;
        ga += -wAll[k] * hab + w2x[k] / a;
        gb += w1x[k] * (hb - hab) + w2x[k] * (hbPrev - hab);
      }
      hbPrev = hb;
      hr += 1 / (r + k);
      hb += 1 / (b + k);
      hab += 1 / (a + b + k);
    }
    grad[0] = gr;
    grad[1] = gAlpha;
    grad[2] = ga;
    grad[3] = gb;
    return sum;
  };

  return { value, valueAndGradient };
}

/** Total log-likelihood of the customers (weights applied). */
export function bgNbdLogLikelihood(p: BgNbdParams, data: RfmColumns): number {
  return makeLikelihood(readRfm(data)).value([p.r, p.alpha, p.a, p.b]);
}

/** ∂LL/∂θ (analytic), keyed like the parameters: for checks, and for users' own optimisers. */
export function bgNbdLogLikelihoodGradient(p: BgNbdParams, data: RfmColumns): BgNbdParams {
  const g = new Float64Array(4);
  makeLikelihood(readRfm(data)).valueAndGradient([p.r, p.alpha, p.a, p.b], g);
  return { r: g[0], alpha: g[1], a: g[2], b: g[3] };
}

/**
 * Maximum-likelihood BG/NBD fit. Default start r = a = b = 1, α = mean T (α is a time scale:
 * starting it at the data's scale saves iterations); see maximizeLikelihood for the optimiser.
 */
export function fitBgNbd(data: RfmColumns, options: FitOptions<BgNbdParams> = {}): ModelFit<BgNbdParams> {
  const d = readRfm(data);
  if (d.total === 0) throw new ClvModelError('NO_CUSTOMERS', 'BG/NBD: no customers to fit');
  let meanT = 0;
  for (let i = 0; i < d.T.length; i++) meanT += (d.w ? d.w[i] : 1) * d.T[i];
  meanT = meanT / d.total || 1;
  return maximizeLikelihood<BgNbdParams>(PARAM_NAMES, makeLikelihood(d), d.total, { r: 1, alpha: meanT, a: 1, b: 1 }, options);
}

/**
 * log of the odds that the customer has dropped out, for x > 0 (a customer with x = 0 cannot have
 * dropped out yet in the BG/NBD: dropout happens only right after a purchase):
 *   P(alive) = 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 */
function logOddsDropped(p: BgNbdParams, x: number, tx: number, T: number): number {
  return Math.log(p.a / (p.b + x - 1)) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
}

export function bgNbdProbabilityAliveOne(p: BgNbdParams, x: number, tx: number, T: number): number {
  return x === 0 ? 1 : 1 / (1 + Math.exp(logOddsDropped(p, x, tx, T)));
}

/** P(alive at T | x, t_x, T) for every customer. */
export function bgNbdProbabilityAlive(p: BgNbdParams, data: RfmColumns, out?: Float64Array): Float64Array {
  const { x, tx, T } = readRfm(data);
  const res = out ?? new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) res[i] = bgNbdProbabilityAliveOne(p, x[i], tx[i], T[i]);
  return res;
}

/** Below this |a − 1| the (a−1) in numerator and denominator cancel; use the limit a → 1 instead. */
const A_NEAR_ONE = 1e-8;

/**
 * E[Y(t) | x, t_x, T]: expected purchases in the next t weeks (FHL 2005, eq. 10),
 *
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · P(alive),
 *   z = t/(α+T+t).
 *
 * Euler's transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z) turns the bracket into
 *   1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z),
 * whose series has parameters independent of x (no overflow for heavy buyers, faster convergence) and
 * cancels the (α+T)^(r+x) factor exactly. At a = 1 the expression is 0/0; the limit is
 *   −(b+x) · [ln(1−z) + Σ_{n≥1} (b−r)_n / ((b+x)_n n) zⁿ] · P(alive).
 */
export function bgNbdExpectedPurchasesOne(p: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  return conditionalExpectation(p, x, T, t, bgNbdProbabilityAliveOne(p, x, tx, T));
}

/**
 * The series needs about (|a−1|·z + 40)/(1−z) terms; beyond this budget (a in the thousands, which
 * happens when a fit drifts to the homogeneous-dropout limit a, b → ∞) use the integral instead.
 */
const SERIES_TERM_BUDGET = 20_000;

/** Below this lower parameter of the series (see conditionalExpectation) the quadrature is used. */
const MIN_SERIES_C = 0.5;

/** The expectation above, given P(alive) (so multi-horizon callers compute it once). */
export function conditionalExpectation(p: BgNbdParams, x: number, T: number, t: number, pAlive: number): number {
  if (!(t > 0)) return 0;
  const { r, alpha, a, b } = p;
  const lnOneMinusZ = Math.log(alpha + T) - Math.log(alpha + T + t);
  const z = t / (alpha + T + t);
  if ((Math.abs(a - 1) * z + 40) / (1 - z) > SERIES_TERM_BUDGET) return expectationByQuadrature(p, x, T, t, pAlive);
  // The series' lower parameter a+b+x−1 is ≤ 0 for a customer without repeat purchases when the fit
  // has a + b ≤ 1 (sparse logs of one-time buyers reach it); ₂F₁ is still defined there but our
  // series refuses c ≤ 0 and is ill-conditioned near it, while the integral holds for every a, b.
  if (a + b + x - 1 < MIN_SERIES_C) return expectationByQuadrature(p, x, T, t, pAlive);
  if (Math.abs(a - 1) < A_NEAR_ONE) {
    let u = 1;
    let s = 0;
    for (let n = 1; n < 1_000_000; n++) {
      u *= ((b - r + n - 1) / (b + x + n - 1)) * z;
      const term = u / n;
      s += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(s) || term === 0) break;
    }
    return -(b + x) * (lnOneMinusZ + s) * pAlive;
  }
  const e = (a - 1) * lnOneMinusZ;
  // 1 − e^e (1 + F1) with F1 = ₂F₁ − 1, written so that small horizons keep their precision; for
  // a > 1 and z near 1, F1 is huge and e^e tiny, so their product is formed inside the sum.
  const bracket = -Math.expm1(e) - scaledHyp2f1Minus1(a + b - 1 - r, a - 1, a + b + x - 1, z, e);
  return ((a + b + x - 1) / (a - 1)) * bracket * pAlive;
}

/**
 * The same expectation as a one-dimensional integral, independent of ₂F₁: given that the customer
 * is alive at T, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x) independently, and an active customer
 * makes (1 − e^(−λpt))/p purchases in t on average (FHL 2005, eq. 7). Integrating λ out,
 *
 *   E[Y(t) | x, t_x, T] = P(alive) · E_p[(1 − (1 + p·t/(α+T))^(−(r+x))) / p].
 *
 * The Beta expectation is taken over y = logit p, whose density e^(a·y)/(1+e^y)^(a+b+x) is smooth
 * and log-concave for every a, b (no endpoint singularities), with the trapezoidal rule after
 * y = mode + s·sinh(u), which is spectrally accurate for such integrands. Used when a is so large that
 * the series would be slow; exported for cross-checks.
 */
export function expectationByQuadrature(p: BgNbdParams, x: number, T: number, t: number, pAlive: number): number {
  if (!(t > 0)) return 0;
  const { r, alpha, a, b } = p;
  const beta = b + x;
  const s = r + x;
  const k = t / (alpha + T);
  const mode = Math.log(a / beta);
  const scale = Math.sqrt(1 / a + 1 / beta);
  // Far enough that the density has fallen below e^−40 of its peak: its tails are e^(a·y), e^(−β·y).
  const uLo = -Math.asinh((40 / a) / scale + 12);
  const uHi = Math.asinh((40 / beta) / scale + 12);
  const steps = Math.ceil((uHi - uLo) / 0.04);
  const du = (uHi - uLo) / steps;
  const logDensity = (y: number): number => a * y - (a + beta) * softplus(y);
  const peak = logDensity(mode);
  let num = 0;
  let den = 0;
  for (let j = 0; j <= steps; j++) {
    const u = uLo + j * du;
    const y = mode + scale * Math.sinh(u);
    const w = Math.exp(logDensity(y) - peak) * Math.cosh(u) * (j === 0 || j === steps ? 0.5 : 1);
    if (w === 0) continue;
    const q = y >= 0 ? 1 / (1 + Math.exp(-y)) : Math.exp(y) / (1 + Math.exp(y));
    // (1 − (1 + q k)^−s)/q, → s·k as q → 0.
    const h = q > 1e-300 ? -Math.expm1(-s * Math.log1p(q * k)) / q : s * k;
    num += w * h;
    den += w;
  }
  return (pAlive * num) / den;
}

function softplus(y: number): number {
  return y > 0 ? y + Math.log1p(Math.exp(-y)) : Math.log1p(Math.exp(y));
}

/** E[Y(t) | x, t_x, T] for every customer, t in weeks. */
export function bgNbdExpectedPurchases(p: BgNbdParams, data: RfmColumns, t: number, out?: Float64Array): Float64Array {
  return aliveTimesPerPair(p, data, (x, T) => conditionalExpectation(p, x, T, t, 1), out);
}

/**
 * P(alive)_i · g(x_i, T_i) for every customer, with g (anything proportional to P(alive), such as the
 * conditional expectation) evaluated once per distinct (x, T) pair.
 */
export function aliveTimesPerPair(
  p: BgNbdParams,
  data: RfmColumns,
  g: (x: number, T: number) => number,
  out?: Float64Array,
): Float64Array {
  const { x, tx, T } = readRfm(data);
  const pairs = distinctXT(x, T);
  const perPair = new Float64Array(pairs.x.length);
  for (let k = 0; k < perPair.length; k++) perPair[k] = g(pairs.x[k], pairs.T[k]);
  const res = out ?? new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) res[i] = bgNbdProbabilityAliveOne(p, x[i], tx[i], T[i]) * perPair[pairs.pairOf[i]];
  return res;
}

/** E[X(t)]: expected purchases of a newly acquired customer in their first t weeks (FHL 2005, eq. 9). */
export function bgNbdExpectedPurchasesNewCustomer(p: BgNbdParams, t: number): number {
  // Eq. 9 is eq. 10 at x = t_x = T = 0, where P(alive) = 1.
  return conditionalExpectation(p, 0, 0, t, 1);
}

/**
 * P(Y(t) = 0 | x, t_x, T): the probability of no purchase in the next t weeks — the churn label
 * "no purchase in the horizon" itself, where E[Y(t)] only ranks by the expected count.
 *
 * In the BG/NBD a customer drops out only right after a purchase, so a customer alive at T who
 * buys nothing in (T, T+t] stays alive throughout, and that happens with probability e^(−λt). Given
 * alive at T, λ ~ Gamma(r+x, α+T) (the alive branch of the likelihood is λ^x e^(−λT)), whose
 * Laplace transform at t is ((α+T)/(α+T+t))^(r+x). Hence
 *
 *   P(Y(t) = 0) = 1 − P(alive) · (1 − ((α+T)/(α+T+t))^(r+x)),
 *
 * which at x = t_x = T = 0 is FHL 2005's P(X(t) = 0) = (α/(α+t))^r for a new customer. No ₂F₁
 * is needed for zero purchases; the series appears only for P(Y(t) = k), k > 0.
 */
export function bgNbdProbabilityNoPurchaseOne(p: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  if (!(t > 0)) return 1;
  const buys = -Math.expm1((p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + T + t)));
  return 1 - bgNbdProbabilityAliveOne(p, x, tx, T) * buys;
}

/**
 * log-odds of P(Y(t) = 0 | x, t_x, T), computed without forming 1 − P (which loses every digit when
 * a customer almost surely buys): logit = ln(1 − A·B) − ln(A·B), A = P(alive), B = 1 − e^(−λt) term.
 */
export function bgNbdLogOddsNoPurchaseOne(p: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  if (!(t > 0)) return Infinity;
  // ln(1 − e^s), s = ln q: log1p(−q) keeps a tiny q (a heavy buyer: q ≈ 1e-19), log(−expm1(s)) a q near 1.
  const s = (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + T + t));
  const logB = s < -Math.LN2 ? Math.log1p(-Math.exp(s)) : Math.log(-Math.expm1(s));
  // ln P(alive) = −ln(1 + e^(log odds dropped)), and 0 for x = 0.
  const logA = x === 0 ? 0 : -softplus(logOddsDropped(p, x, tx, T));
  const logAB = logA + logB;
  return Math.log(-Math.expm1(logAB)) - logAB;
}

/** P(Y(t) = 0 | x, t_x, T) for every customer, t in weeks. */
export function bgNbdProbabilityNoPurchase(p: BgNbdParams, data: RfmColumns, t: number, out?: Float64Array): Float64Array {
  const { x, tx, T } = readRfm(data);
  const res = out ?? new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) res[i] = bgNbdProbabilityNoPurchaseOne(p, x[i], tx[i], T[i], t);
  return res;
}

/** log-odds of P(Y(t) = 0 | x, t_x, T) for every customer, t in weeks. */
export function bgNbdLogOddsNoPurchase(p: BgNbdParams, data: RfmColumns, t: number, out?: Float64Array): Float64Array {
  const { x, tx, T } = readRfm(data);
  const res = out ?? new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) res[i] = bgNbdLogOddsNoPurchaseOne(p, x[i], tx[i], T[i], t);
  return res;
}
