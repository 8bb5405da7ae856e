/**
 * Special functions for the CLV models, in plain floating point (no dependencies).
 *
 * lgamma: Lanczos approximation (g = 7, 9 coefficients), relative error ≈ 1e-15 for x > 0.
 * hyp2f1: Gauss hypergeometric series for 0 ≤ z < 1, summed until the terms stop mattering.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (reflection below 0.5 keeps the approximation in its accurate range). */
export function lgamma(x: number): number {
  if (x < 0.5) {
    // Γ(x)Γ(1−x) = π / sin(πx); only used for 0 < x < 0.5 here, where sin(πx) > 0.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  const y = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function lbeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/** ln(e^u + e^v) without overflow or underflow. */
export function logAddExp(u: number, v: number): number {
  if (u === -Infinity) return v;
  if (v === -Infinity) return u;
  return u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
}

const HYP2F1_MAX_TERMS = 1_000_000;

/**
 * Gauss hypergeometric ₂F₁(a, b; c; z) by its power series, for 0 ≤ z < 1 and c > 0.
 * Converges for every z < 1, geometrically once n ≫ |a|, |b|; near z = 1 it needs ≈ 37/(1 − z) terms.
 * Callers with large a, b should transform first (see bg-nbd.ts, which uses Euler's transformation
 * so that the series' numerator parameters do not grow with the customer's frequency).
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  return 1 + hyp2f1Minus1(a, b, c, z);
}

/** ₂F₁(a, b; c; z) − 1, summed without the leading 1 so that small values keep their precision. */
export function hyp2f1Minus1(a: number, b: number, c: number, z: number): number {
  return scaledHyp2f1Minus1(a, b, c, z, 0);
}

const RESCALE = 1e250;
const LOG_RESCALE = Math.log(RESCALE);

/**
 * e^logFactor · (₂F₁(a, b; c; z) − 1), for when ₂F₁ itself overflows (it grows like (1−z)^(c−a−b))
 * but the product with a small factor does not: the running sum is rescaled as it grows.
 */
export function scaledHyp2f1Minus1(a: number, b: number, c: number, z: number, logFactor: number): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1: z must be in [0, 1), got ${z}`);
  if (!(c > 0)) throw new RangeError(`hyp2f1: c must be > 0, got ${c}`);
  let term = 1;
  let sum = 0;
  let logScale = logFactor;
  const done = () => sum * Math.exp(logScale);
  for (let n = 0; n < HYP2F1_MAX_TERMS; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    if (term === 0) return done();
    sum += term;
    if (Math.abs(sum) > RESCALE) {
      sum /= RESCALE;
      term /= RESCALE;
      logScale += LOG_RESCALE;
    }
    // Stop only once the terms are shrinking (ratio < 1), so an early small term cannot end the sum.
    if (
      Math.abs(term) <= 1e-17 * Math.abs(sum) &&
      Math.abs((a + n + 1) * (b + n + 1) * z) < Math.abs((c + n + 1) * (n + 2))
    ) {
      return done();
    }
  }
  throw new RangeError(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge in ${HYP2F1_MAX_TERMS} terms`);
}

/** Digamma ψ(x) for x > 0: recurrence up to x ≥ 10, then the asymptotic series (error < 1e-14). */
export function digamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const inv2 = 1 / (x * x);
  // ln x − 1/(2x) − Σ B_2k / (2k x^2k), k = 1…6
  const series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760))))));
  return acc + Math.log(x) - 0.5 / x - series;
}
