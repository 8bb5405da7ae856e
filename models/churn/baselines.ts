/**
 * Baselines the forest has to beat:
 * - recency only: a logistic regression on log(1 + days since the last order), fitted on the
 *   training cutoff (its ranking is the recency ranking; the fit only makes it a probability);
 * - BG/NBD: 1 − P(alive) from the CLV module fitted on the same pre-cutoff purchases.
 */

export interface LogisticFit {
  intercept: number;
  slope: number;
  iterations: number;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * One-feature logistic regression by Newton–Raphson (a tiny ridge keeps it finite when the classes
 * separate perfectly). Rows with a non-finite x are skipped.
 */
export function fitLogistic1d(x: ArrayLike<number>, y: ArrayLike<number>, maxIterations = 50): LogisticFit {
  let b0 = 0;
  let b1 = 0;
  const ridge = 1e-6;
  let it = 0;
  for (; it < maxIterations; it++) {
    let g0 = 0;
    let g1 = 0;
    let h00 = ridge;
    let h01 = 0;
    let h11 = ridge;
    for (let i = 0; i < x.length; i++) {
      const xi = x[i];
      if (!Number.isFinite(xi)) continue;
      const p = sigmoid(b0 + b1 * xi);
      const r = y[i] - p;
      const w = p * (1 - p);
      g0 += r;
      g1 += r * xi;
      h00 += w;
      h01 += w * xi;
      h11 += w * xi * xi;
    }
    g0 -= ridge * b0;
    g1 -= ridge * b1;
    const det = h00 * h11 - h01 * h01;
    if (!(Math.abs(det) > 0)) break;
    const d0 = (h11 * g0 - h01 * g1) / det;
    const d1 = (h00 * g1 - h01 * g0) / det;
    b0 += d0;
    b1 += d1;
    if (Math.abs(d0) + Math.abs(d1) < 1e-10) break;
  }
  return { intercept: b0, slope: b1, iterations: it };
}

export function predictLogistic1d(fit: LogisticFit, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = sigmoid(fit.intercept + fit.slope * x[i]);
  return out;
}

/** The recency baseline's input: log(1 + days since the last order). */
export function recencyFeature(recencyDays: ArrayLike<number>): Float64Array {
  return Float64Array.from(recencyDays as ArrayLike<number>, (d) => Math.log1p(Math.max(0, d)));
}
