/**
 * The statistics behind the win/loss drivers: a logistic regression of "lost" on binary factors
 * with its coefficient covariance, the adjusted risk ratio of each factor by marginal
 * standardization with a delta-method confidence interval, and Holm's correction over the factors
 * of one slice.
 *
 * Why a risk ratio by standardization and not the odds ratio: "lost 2.3× as often" is what an
 * executive reads, and with loss rates around 60% an odds ratio would overstate it badly. Every
 * other factor stays at each deal's own value, so the ratio is adjusted for them.
 */
import { solveSpd } from '../churn/logistic.ts';

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export interface LogisticFitWithCovariance {
  /** Intercept first, then one coefficient per column. */
  beta: Float64Array;
  /** (p+1) × (p+1), row-major, same order as beta: the inverse of the penalized Fisher information. */
  covariance: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * Newton–Raphson (IRLS) on a design matrix of n rows × p columns (row-major, no intercept column:
 * it is added). A small ridge on the coefficients (not the intercept) keeps a factor that
 * perfectly separates a small slice finite; at the default 1e-3 it moves no estimate visibly.
 */
export function fitLogisticCov(
  x: Float64Array,
  n: number,
  p: number,
  y: ArrayLike<number>,
  ridge = 1e-3,
  maxIterations = 50,
): LogisticFitWithCovariance {
  if (x.length !== n * p) throw new RangeError(`design has ${x.length} cells, expected ${n} × ${p}`);
  if (y.length !== n) throw new RangeError(`${y.length} labels for ${n} rows`);
  const q = p + 1;
  const beta = new Float64Array(q);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean = Math.min(1 - 1e-6, Math.max(1e-6, mean / Math.max(1, n)));
  beta[0] = Math.log(mean / (1 - mean));
  const h = new Float64Array(q * q);
  const g = new Float64Array(q);
  let it = 0;
  let converged = false;
  for (; it < maxIterations; it++) {
    information(x, n, p, beta, ridge, h, { y, gradient: g });
    const step = solveSpd(h, g, q);
    let biggest = 0;
    for (let j = 0; j < q; j++) {
      beta[j] += step[j];
      biggest = Math.max(biggest, Math.abs(step[j]));
    }
    if (biggest < 1e-9) {
      converged = true;
      it++;
      break;
    }
  }
  // The covariance at the estimate: H⁻¹ column by column (q is small, a few dozen).
  information(x, n, p, beta, ridge, h);
  const covariance = new Float64Array(q * q);
  const e = new Float64Array(q);
  for (let c = 0; c < q; c++) {
    e.fill(0);
    e[c] = 1;
    const col = solveSpd(h, e, q);
    for (let r = 0; r < q; r++) covariance[r * q + c] = col[r];
  }
  return { beta, covariance, iterations: it, converged };
}

/**
 * The ridge-penalized Fisher information X'WX at `beta` into `h` ((p+1)², symmetric, intercept
 * first; the ridge on the coefficients only), and with `score` also the penalized score X'(y − μ)
 * into its `gradient`. One function for the Newton steps and the covariance the standard errors
 * come from, so the two cannot drift apart.
 */
export function information(
  x: Float64Array,
  n: number,
  p: number,
  beta: ArrayLike<number>,
  ridge: number,
  h: Float64Array,
  score?: { y: ArrayLike<number>; gradient: Float64Array },
): void {
  const q = p + 1;
  const row = new Float64Array(q);
  h.fill(0);
  score?.gradient.fill(0);
  for (let i = 0; i < n; i++) {
    row[0] = 1;
    for (let j = 0; j < p; j++) row[j + 1] = x[i * p + j];
    let z = 0;
    for (let j = 0; j < q; j++) z += row[j] * beta[j];
    const mu = sigmoid(z);
    const w = Math.max(mu * (1 - mu), 1e-10);
    if (score) {
      const r = score.y[i] - mu;
      for (let a = 0; a < q; a++) score.gradient[a] += row[a] * r;
    }
    for (let a = 0; a < q; a++) {
      const ra = row[a] * w;
      if (ra === 0) continue;
      for (let b = 0; b <= a; b++) h[a * q + b] += ra * row[b];
    }
  }
  for (let a = 1; a < q; a++) {
    h[a * q + a] += ridge;
    if (score) score.gradient[a] -= ridge * beta[a];
  }
  for (let a = 0; a < q; a++) for (let b = 0; b < a; b++) h[b * q + a] = h[a * q + b];
}

/** Linear predictor of one row with an intercept first in beta. */
export function linear(beta: ArrayLike<number>, x: ArrayLike<number>, offset: number, p: number): number {
  let z = beta[0];
  for (let j = 0; j < p; j++) z += beta[j + 1] * x[offset + j];
  return z;
}

export interface RiskRatio {
  /** Mean predicted probability if every row had the factor / if none had it. */
  ratio: number;
  withAll: number;
  withNone: number;
  /** Standard error of log(ratio), delta method. */
  seLog: number;
  ciLow: number;
  ciHigh: number;
  /** Two-sided Wald p-value of log(ratio) = 0. */
  pValue: number;
}

/**
 * The adjusted risk ratio of the factor in column `on` (set to 1 for every row vs 0 for every row),
 * with the other columns at each row's own values. `off` lists columns forced to 0 in both worlds
 * (the other levels of the same categorical: "Acme vs the reference" means no other competitor).
 */
export function standardizedRiskRatio(
  fit: LogisticFitWithCovariance,
  x: Float64Array,
  n: number,
  p: number,
  on: number,
  off: readonly number[] = [],
  z = 1.959964,
): RiskRatio {
  const q = p + 1;
  const row = new Float64Array(p);
  const g1 = new Float64Array(q);
  const g0 = new Float64Array(q);
  let s1 = 0;
  let s0 = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = x[i * p + j];
    for (const k of off) row[k] = 0;
    for (const [value, grad] of [
      [1, g1],
      [0, g0],
    ] as const) {
      row[on] = value;
      const mu = sigmoid(linear(fit.beta, row, 0, p));
      const d = mu * (1 - mu);
      if (value === 1) s1 += mu;
      else s0 += mu;
      grad[0] += d;
      for (let j = 0; j < p; j++) grad[j + 1] += d * row[j];
    }
  }
  const p1 = s1 / n;
  const p0 = s0 / n;
  // d log(p1/p0) / dβ = ∇p1 / p1 − ∇p0 / p0 (both means over the rows).
  const grad = new Float64Array(q);
  for (let j = 0; j < q; j++) grad[j] = g1[j] / n / p1 - g0[j] / n / p0;
  let variance = 0;
  for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) variance += grad[a] * fit.covariance[a * q + b] * grad[b];
  const seLog = Math.sqrt(Math.max(0, variance));
  const logRatio = Math.log(p1 / p0);
  return {
    ratio: p1 / p0,
    withAll: p1,
    withNone: p0,
    seLog,
    ciLow: Math.exp(logRatio - z * seLog),
    ciHigh: Math.exp(logRatio + z * seLog),
    pValue: seLog > 0 ? 2 * normalUpperTail(Math.abs(logRatio) / seLog) : logRatio === 0 ? 1 : 0,
  };
}

/** P(Z > z) for a standard normal, by the complementary error function (Numerical Recipes erfc, |error| < 1.2e-7). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? y : 2 - y;
}

/** Holm's step-down adjusted p-values (same order as given): controls the family-wise error rate. */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
