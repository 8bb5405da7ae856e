/** Platt calibration and the reliability points of the model card (models/churn/calibration.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyPlatt,
  calibrationPoints,
  expectedCalibrationError,
  fitPlatt,
} from '../../../models/churn/calibration.ts';

/** A deterministic uniform generator (LCG), so the test needs no seed library. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('fitPlatt', () => {
  test('recovers the map that generated the labels: p = σ(2·raw − 1)', () => {
    const u = lcg(7);
    const n = 40_000;
    const raw = Float64Array.from({ length: n }, () => 4 * u() - 2);
    const labels = Uint8Array.from(raw, (z) => (u() < 1 / (1 + Math.exp(-(2 * z - 1))) ? 1 : 0));
    const c = fitPlatt(raw, labels);
    assert.ok(Math.abs(c.slope - 2) < 0.1, `slope ${c.slope}`);
    assert.ok(Math.abs(c.intercept + 1) < 0.1, `intercept ${c.intercept}`);
    assert.equal(c.rows, n);
    // Monotone: the ranking (and so the ROC-AUC) survives calibration.
    const p = applyPlatt(c, Float64Array.from([-1, 0, 1]));
    assert.ok(p[0] < p[1] && p[1] < p[2]);
  });

  test('a score that ranks backwards is not flipped: constant at the base rate', () => {
    const c = fitPlatt([1, 2, 3, 4], [1, 1, 0, 0]);
    const p = applyPlatt(c, Float64Array.from([1, 4]));
    assert.ok(Math.abs(p[0] - 0.5) < 1e-6 && Math.abs(p[1] - 0.5) < 1e-6, `${p[0]} ${p[1]}`);
  });
});

describe('calibrationPoints', () => {
  test('ten equal-width bins, empty ones left out, means and rates per bin; ECE weighs by rows', () => {
    const p = [0.05, 0.08, 0.55, 0.95, 1];
    const y = [0, 1, 1, 1, 0];
    const pts = calibrationPoints(p, y);
    assert.deepEqual(
      pts.map((q) => [q.lower, q.rows]),
      [
        [0, 2],
        [0.5, 1],
        [0.9, 2],
      ],
    );
    assert.ok(Math.abs(pts[0].meanPredicted - 0.065) < 1e-12 && pts[0].observedRate === 0.5);
    assert.ok(Math.abs(pts[2].meanPredicted - 0.975) < 1e-12 && pts[2].observedRate === 0.5);
    const ece = (2 * Math.abs(0.065 - 0.5) + Math.abs(0.55 - 1) + 2 * Math.abs(0.975 - 0.5)) / 5;
    assert.ok(Math.abs(expectedCalibrationError(pts) - ece) < 1e-12);
  });
});
