/**
 * L2-regularised logistic regression on standardised features, fitted by IRLS (Newton's method on
 * the penalised log-likelihood; d is a few dozen, so the d × d solve is nothing next to the n × d²
 * Hessian build). It is the churn model's linear candidate: a ranking that is hard to beat on real
 * purchase logs, and per-customer contributions that are exact (coefficient × standardised value).
 *
 * Preprocessing, learned on the training rows only and stored with the model:
 * - a non-negative column with a long right tail (counts, days, money) is taken as log(1 + x), so
 *   one big spender does not set the slope for everyone;
 * - every column is centred and scaled to unit variance;
 * - a missing value becomes the column's mean (0 after centring), and a column that has missing
 *   values also gets a 0/1 "missing" indicator, so "unknown" can carry its own weight.
 *
 * - optionally (`knots` > 0, the GAM-like candidate): each column also gets hinge terms
 *   max(0, z − k) at quantiles k of its standardised value z, so the log-odds is a piecewise-linear
 *   function of the column (a linear spline) instead of a straight line: recency's effect flattens
 *   after a year, a BG/NBD log-odds is trusted more at one end than the other. The terms of one column
 *   still add up to that column's contribution, so contributions stay exact per feature.
 *
 * Objective: minimise −Σ log-likelihood + (λ/2)·‖w‖² over the weights w (the intercept is not
 * penalised), the same as scikit-learn's LogisticRegression(C = 1/λ) on the same design matrix.
 */

export interface LogisticOptions {
  /** L2 penalty λ on the weights (default 1). */
  l2?: number;
  maxIterations?: number;
  /** Stop when the largest Newton step on any weight is below this (default 1e-8). */
  tolerance?: number;
  /** Hinge terms per column at this many interior quantiles (default 0: a straight line per column). */
  knots?: number;
  /** Only these columns get hinge terms (default: all, when `knots` > 0). */
  splineColumns?: readonly string[];
}

export interface ColumnTransform {
  name: string;
  log: boolean;
  mean: number;
  scale: number;
  /** Index into `weights` of the missing indicator, or −1 when the column had no missing value. */
  missingWeight: number;
  /** Hinge terms max(0, z − knot) on the standardised value z, each with its index into `weights`. */
  hinges?: { knot: number; weight: number }[];
}

export interface LogisticModelJSON {
  kind: 'logistic';
  columns: ColumnTransform[];
  intercept: number;
  /** One weight per column, then the missing indicators. */
  weights: number[];
  l2: number;
  iterations: number;
  converged: boolean;
}

export class LogisticFitError extends Error {
  readonly code = 'LOGISTIC_FIT';
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Solves A x = b (A symmetric positive definite, row-major n × n) by Cholesky; A and b are not modified. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0))
          throw new LogisticFitError(
            `the Hessian is not positive definite at row ${i} (a constant or duplicated column without penalty?)`,
          );
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/**
 * Learns the per-column transforms from the training columns; with `knots` > 0, hinge terms at that
 * many interior quantiles of each (selected) column's standardised finite values, distinct knots only
 * (a count column with few values gets fewer).
 */
export function learnTransforms(
  names: readonly string[],
  columns: readonly ArrayLike<number>[],
  opts: Pick<LogisticOptions, 'knots' | 'splineColumns'> = {},
): ColumnTransform[] {
  let nextMissing = columns.length;
  const transforms = columns.map((col, j) => {
    let min = Infinity;
    let max = -Infinity;
    let missing = 0;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (!Number.isFinite(v)) missing++;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // log(1 + x) only where it is defined for every value and the range is wide enough to matter.
    const log = min >= 0 && max > 10;
    let sum = 0;
    let sq = 0;
    let count = 0;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (!Number.isFinite(v)) continue;
      const t = log ? Math.log1p(v) : v;
      sum += t;
      sq += t * t;
      count++;
    }
    const mean = count ? sum / count : 0;
    const variance = count ? sq / count - mean * mean : 0;
    // A constant column gets scale 1: it standardises to 0 everywhere and the penalty keeps its weight at 0.
    const scale = variance > 1e-12 ? Math.sqrt(variance) : 1;
    return {
      name: names[j],
      log,
      mean,
      scale,
      missingWeight: missing > 0 && missing < col.length ? nextMissing++ : -1,
    } as ColumnTransform;
  });
  const k = opts.knots ?? 0;
  if (k > 0) {
    transforms.forEach((t, j) => {
      if (opts.splineColumns && !opts.splineColumns.includes(t.name)) return;
      const z: number[] = [];
      const col = columns[j];
      for (let i = 0; i < col.length; i++)
        if (Number.isFinite(col[i])) z.push(((t.log ? Math.log1p(Math.max(0, col[i])) : col[i]) - t.mean) / t.scale);
      if (z.length < 2) return;
      z.sort((a, b) => a - b);
      const knots: number[] = [];
      for (let q = 1; q <= k; q++) {
        const v = z[Math.min(z.length - 1, Math.floor((q / (k + 1)) * z.length))];
        // A knot at the maximum would be a term that is 0 everywhere; equal quantiles are one knot.
        if (v < z[z.length - 1] && v > z[0] && !knots.includes(v)) knots.push(v);
      }
      if (knots.length) t.hinges = knots.map((knot) => ({ knot, weight: nextMissing++ }));
    });
  }
  return transforms;
}

/** The standardised design matrix, row-major n × p (p = columns + missing indicators). */
export function designMatrix(
  transforms: readonly ColumnTransform[],
  columns: readonly ArrayLike<number>[],
): { x: Float64Array; n: number; p: number } {
  if (columns.length !== transforms.length)
    throw new RangeError(`the model has ${transforms.length} columns, the input ${columns.length}`);
  const n = columns.length ? columns[0].length : 0;
  const p = transforms.reduce(
    (m, t) => Math.max(m, t.missingWeight + 1, ...(t.hinges ?? []).map((h) => h.weight + 1)),
    transforms.length,
  );
  const x = new Float64Array(n * p);
  transforms.forEach((t, j) => {
    const col = columns[j];
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (Number.isFinite(v)) {
        const z = ((t.log ? Math.log1p(Math.max(0, v)) : v) - t.mean) / t.scale;
        x[i * p + j] = z;
        // A missing value sits at the mean (z = 0) on the line and leaves the hinges at 0: its
        // indicator carries the rest.
        if (t.hinges) for (const h of t.hinges) x[i * p + h.weight] = z > h.knot ? z - h.knot : 0;
      } else if (t.missingWeight >= 0) x[i * p + t.missingWeight] = 1;
    }
  });
  return { x, n, p };
}

/** IRLS on a ready design matrix (row-major n × p) with an unpenalised intercept. */
export function fitLogisticDesign(
  x: Float64Array,
  n: number,
  p: number,
  y: ArrayLike<number>,
  opts: LogisticOptions = {},
): { intercept: number; weights: Float64Array; iterations: number; converged: boolean } {
  const l2 = opts.l2 ?? 1;
  const maxIt = opts.maxIterations ?? 50;
  const tol = opts.tolerance ?? 1e-8;
  if (y.length !== n) throw new RangeError(`${y.length} labels for ${n} rows`);
  const q = p + 1; // the intercept is the last unknown
  const beta = new Float64Array(q);
  let it = 0;
  let converged = false;
  for (; it < maxIt; it++) {
    const h = new Float64Array(q * q);
    const g = new Float64Array(q);
    for (let i = 0; i < n; i++) {
      const row = i * p;
      let z = beta[p];
      for (let j = 0; j < p; j++) z += beta[j] * x[row + j];
      const mu = sigmoid(z);
      const r = y[i] - mu;
      const w = Math.max(mu * (1 - mu), 1e-12);
      for (let j = 0; j < p; j++) {
        const xj = x[row + j];
        if (xj === 0) continue;
        g[j] += r * xj;
        const wxj = w * xj;
        for (let k = 0; k <= j; k++) h[j * q + k] += wxj * x[row + k];
        h[p * q + j] += wxj;
      }
      g[p] += r;
      h[p * q + p] += w;
    }
    for (let j = 0; j < p; j++) {
      g[j] -= l2 * beta[j];
      h[j * q + j] += l2;
    }
    // Mirror the lower triangle (the intercept row was filled as row p, columns j).
    for (let j = 0; j < q; j++) for (let k = 0; k < j; k++) h[k * q + j] = h[j * q + k];
    const step = solveSpd(h, g, q);
    let largest = 0;
    for (let j = 0; j < q; j++) {
      beta[j] += step[j];
      largest = Math.max(largest, Math.abs(step[j]));
    }
    if (!Number.isFinite(largest)) throw new LogisticFitError('IRLS diverged (non-finite step)');
    if (largest < tol) {
      converged = true;
      it++;
      break;
    }
  }
  return { intercept: beta[p], weights: beta.slice(0, p), iterations: it, converged };
}

export class LogisticModel {
  constructor(readonly json: LogisticModelJSON) {}

  static fit(
    names: readonly string[],
    columns: readonly ArrayLike<number>[],
    y: ArrayLike<number>,
    opts: LogisticOptions = {},
  ): LogisticModel {
    const transforms = learnTransforms(names, columns, opts);
    const { x, n, p } = designMatrix(transforms, columns);
    const fit = fitLogisticDesign(x, n, p, y, opts);
    return new LogisticModel({
      kind: 'logistic',
      columns: transforms,
      intercept: fit.intercept,
      weights: [...fit.weights],
      l2: opts.l2 ?? 1,
      iterations: fit.iterations,
      converged: fit.converged,
    });
  }

  get featureNames(): string[] {
    return this.json.columns.map((c) => c.name);
  }

  /** P(y = 1) per row. */
  predictProba(columns: readonly ArrayLike<number>[]): Float64Array {
    return this.explain(columns).probability;
  }

  /**
   * Probabilities and per-feature contributions on the log-odds scale: weight × standardised value
   * (plus the missing indicator's weight when the value is missing). Σ contributions + intercept =
   * the row's log-odds, so the contributions are exact, not an approximation.
   */
  explain(columns: readonly ArrayLike<number>[]): {
    probability: Float64Array;
    contributions: Float64Array;
    bias: number;
  } {
    const { x, n, p } = designMatrix(this.json.columns, columns);
    const d = this.json.columns.length;
    const w = this.json.weights;
    const probability = new Float64Array(n);
    const contributions = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let z = this.json.intercept;
      for (let j = 0; j < d; j++) {
        const t = this.json.columns[j];
        let c = w[j] * x[i * p + j];
        if (t.missingWeight >= 0) c += w[t.missingWeight] * x[i * p + t.missingWeight];
        if (t.hinges) for (const h of t.hinges) c += w[h.weight] * x[i * p + h.weight];
        contributions[i * d + j] = c;
        z += c;
      }
      probability[i] = sigmoid(z);
    }
    return { probability, contributions, bias: this.json.intercept };
  }

  /** |weight| per column (missing indicators and hinge terms added in), for the model card's top features. */
  importance(): { feature: string; importance: number }[] {
    return this.json.columns
      .map((c, j) => ({
        feature: c.name,
        importance:
          Math.abs(this.json.weights[j]) +
          (c.missingWeight >= 0 ? Math.abs(this.json.weights[c.missingWeight]) : 0) +
          (c.hinges ?? []).reduce((a, h) => a + Math.abs(this.json.weights[h.weight]), 0),
      }))
      .sort((a, b) => b.importance - a.importance);
  }
}
