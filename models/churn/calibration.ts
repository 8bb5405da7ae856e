/**
 * Probability calibration and its picture. Platt scaling (a logistic regression of the label on the
 * candidate's raw score) is used rather than isotonic regression: two parameters fit reliably on a
 * few thousand held-out rows, and a strictly increasing map keeps every candidate's ranking — its
 * ROC-AUC — exactly as validated, where isotonic steps would tie customers.
 */
import { fitLogistic1d } from './baselines.ts';

export interface PlattCalibration {
  /** p = σ(slope · raw + intercept). */
  slope: number;
  intercept: number;
  /** Rows the map was fitted on. */
  rows: number;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** A probability on the log-odds scale, clipped so 0 and 1 stay finite. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

export function fitPlatt(raw: ArrayLike<number>, labels: ArrayLike<number>): PlattCalibration {
  const fit = fitLogistic1d(raw, labels);
  // A negative slope would turn the ranking upside down: that is a broken candidate, not a calibration.
  if (!(fit.slope > 0)) {
    let pos = 0;
    for (let i = 0; i < labels.length; i++) pos += labels[i];
    const rate = Math.min(1 - 1e-6, Math.max(1e-6, pos / Math.max(1, labels.length)));
    return { slope: 1e-9, intercept: Math.log(rate / (1 - rate)), rows: labels.length };
  }
  return { slope: fit.slope, intercept: fit.intercept, rows: labels.length };
}

export function applyPlatt(c: PlattCalibration, raw: ArrayLike<number>): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = sigmoid(c.slope * raw[i] + c.intercept);
  return out;
}

export interface CalibrationPoint {
  /** Bin [lower, upper) of predicted probability (the last bin includes 1). */
  lower: number;
  upper: number;
  rows: number;
  meanPredicted: number;
  observedRate: number;
}

/** Reliability curve: ten equal-width bins of predicted probability; empty bins are left out. */
export function calibrationPoints(
  probability: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): CalibrationPoint[] {
  const n = new Float64Array(bins);
  const sp = new Float64Array(bins);
  const sy = new Float64Array(bins);
  for (let i = 0; i < probability.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(probability[i] * bins)));
    n[b]++;
    sp[b] += probability[i];
    sy[b] += labels[i];
  }
  const out: CalibrationPoint[] = [];
  for (let b = 0; b < bins; b++) {
    if (n[b] === 0) continue;
    out.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      rows: n[b],
      meanPredicted: sp[b] / n[b],
      observedRate: sy[b] / n[b],
    });
  }
  return out;
}

/** Expected calibration error: Σ over bins of |Σp − Σy| / n. */
export function expectedCalibrationError(points: readonly CalibrationPoint[]): number {
  const total = points.reduce((a, p) => a + p.rows, 0);
  return total ? points.reduce((a, p) => a + Math.abs(p.meanPredicted - p.observedRate) * p.rows, 0) / total : NaN;
}
