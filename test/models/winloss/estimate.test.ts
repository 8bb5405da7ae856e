/**
 * The driver statistics (models/winloss/estimate.ts) against answers worked out by hand:
 * - one binary factor: the adjusted risk ratio is the plain ratio of loss rates and its standard
 *   error the textbook sqrt(1/a − 1/n₁ + 1/b − 1/n₀);
 * - a factor confounded with another, on counts the main-effects logistic model fits exactly
 *   (odds ×3 for the factor, ×2 for the confounder): the standardized ratio is the mix of the cell
 *   rates over the whole population, and differs from the crude ratio;
 * - Holm's adjusted p-values and the normal tail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fitLogisticCov,
  holm,
  information,
  normalUpperTail,
  standardizedRiskRatio,
} from '../../../models/winloss/estimate.ts';

/** Rows of a design from cell counts: [columns…, lost, won]. */
function cells(spec: [number[], number, number][]): { x: Float64Array; y: Float64Array; n: number; p: number } {
  const p = spec[0][0].length;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [cols, lost, won] of spec) {
    for (let k = 0; k < lost + won; k++) {
      xs.push(...cols);
      ys.push(k < lost ? 1 : 0);
    }
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys), n: ys.length, p };
}

describe('standardized risk ratio', () => {
  test('one factor: the ratio of loss rates, textbook standard error', () => {
    // With the factor: 90 lost of 120; without: 60 lost of 150.
    const d = cells([
      [[1], 90, 30],
      [[0], 60, 90],
    ]);
    const fit = fitLogisticCov(d.x, d.n, d.p, d.y, 0);
    const rr = standardizedRiskRatio(fit, d.x, d.n, d.p, 0);
    const expected = 90 / 120 / (60 / 150);
    assert.ok(Math.abs(rr.ratio - expected) < 1e-9, `${rr.ratio} vs ${expected}`);
    const se = Math.sqrt(1 / 90 - 1 / 120 + 1 / 60 - 1 / 150);
    assert.ok(Math.abs(rr.seLog - se) < 1e-9, `${rr.seLog} vs ${se}`);
    assert.ok(Math.abs(rr.ciLow - expected * Math.exp(-1.959964 * se)) < 1e-6);
    assert.ok(Math.abs(rr.ciHigh - expected * Math.exp(1.959964 * se)) < 1e-6);
    // z = log(1.875) / se = 5.5610; two-sided p = erfc(z / √2) = 2.6823716e-8 (Python's math.erfc).
    assert.ok(Math.abs(rr.pValue - 2.6823715707e-8) < 1e-14, String(rr.pValue));
  });

  test('a confounded factor: the standardized ratio mixes the cell rates over everyone, not the crude ratio', () => {
    // Odds of loss: 1 at (A=0,C=0), ×3 with A, ×2 with C, ×6 with both — exactly a main-effects model.
    const d = cells([
      [[0, 0], 50, 50], // 0.5
      [[1, 0], 15, 5], // 0.75 (few have A without C)
      [[0, 1], 20, 10], // 2/3
      [[1, 1], 120, 20], // 6/7 (most with A have C)
    ]);
    const fit = fitLogisticCov(d.x, d.n, d.p, d.y, 0);
    assert.ok(
      Math.abs(fit.beta[1] - Math.log(3)) < 1e-8 && Math.abs(fit.beta[2] - Math.log(2)) < 1e-8,
      String(fit.beta),
    );
    const rr = standardizedRiskRatio(fit, d.x, d.n, d.p, 0);
    const nC0 = 100 + 20;
    const nC1 = 30 + 140;
    const p1 = (nC0 * 0.75 + nC1 * (6 / 7)) / (nC0 + nC1);
    const p0 = (nC0 * 0.5 + nC1 * (2 / 3)) / (nC0 + nC1);
    assert.ok(Math.abs(rr.withAll - p1) < 1e-9 && Math.abs(rr.withNone - p0) < 1e-9);
    assert.ok(Math.abs(rr.ratio - p1 / p0) < 1e-9, `${rr.ratio} vs ${p1 / p0}`);
    const crude = 135 / 160 / (70 / 130);
    assert.ok(crude - rr.ratio > 0.2, `crude ${crude} should overstate ${rr.ratio}`);
  });

  test('a categorical level forces its sibling levels off in both worlds', () => {
    // Columns: level B, level C of one field (reference A). Loss rates A 0.2, B 0.6, C 0.4.
    const d = cells([
      [[0, 0], 20, 80],
      [[1, 0], 60, 40],
      [[0, 1], 40, 60],
    ]);
    const fit = fitLogisticCov(d.x, d.n, d.p, d.y, 0);
    const rr = standardizedRiskRatio(fit, d.x, d.n, d.p, 0, [1]);
    assert.ok(Math.abs(rr.ratio - 0.6 / 0.2) < 1e-8, String(rr.ratio));
  });
});

describe('logistic fit: information and covariance', () => {
  test('one factor: the coefficient covariance is the textbook Woolf variance; the score is zero at the estimate', () => {
    // The same cells as above: lost/won 90/30 with the factor, 60/90 without.
    const d = cells([
      [[1], 90, 30],
      [[0], 60, 90],
    ]);
    const fit = fitLogisticCov(d.x, d.n, d.p, d.y, 0);
    // Intercept = log odds without the factor, slope = log odds ratio; Var = 1/b + 1/d and 1/a + 1/b + 1/c + 1/d.
    assert.ok(Math.abs(fit.beta[0] - Math.log(60 / 90)) < 1e-9);
    assert.ok(Math.abs(fit.beta[1] - Math.log(90 / 30 / (60 / 90))) < 1e-9);
    assert.ok(Math.abs(fit.covariance[0] - (1 / 60 + 1 / 90)) < 1e-9, String(fit.covariance[0]));
    assert.ok(Math.abs(fit.covariance[3] - (1 / 90 + 1 / 30 + 1 / 60 + 1 / 90)) < 1e-9, String(fit.covariance[3]));
    assert.ok(Math.abs(fit.covariance[1] + (1 / 60 + 1 / 90)) < 1e-9, 'cov(intercept, slope) = −Var(intercept)');
    assert.equal(fit.covariance[1], fit.covariance[2]);
    // At the estimate: the information is Σw over the rows (w = μ(1 − μ) per cell) and the score vanishes.
    const h = new Float64Array(4);
    const gradient = new Float64Array(2);
    information(d.x, d.n, d.p, fit.beta, 0.5, h, { y: d.y, gradient });
    const w1 = 120 * 0.75 * 0.25;
    const w0 = 150 * 0.4 * 0.6;
    assert.ok(Math.abs(h[0] - (w1 + w0)) < 1e-6 && Math.abs(h[1] - w1) < 1e-6 && h[1] === h[2], String(h));
    assert.ok(Math.abs(h[3] - (w1 + 0.5)) < 1e-6, 'the ridge is on the coefficient, not the intercept');
    assert.ok(Math.abs(gradient[0]) < 1e-9 && Math.abs(gradient[1] + 0.5 * fit.beta[1]) < 1e-9, String(gradient));
  });
});

describe('holm and the normal tail', () => {
  test('Holm step-down adjusted p-values, in the given order', () => {
    // Sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 → kept monotone at 0.06.
    assert.deepEqual(
      holm([0.01, 0.04, 0.03, 0.005]).map((p) => Math.round(p * 1e9) / 1e9),
      [0.03, 0.06, 0.06, 0.02],
    );
    // 0.5×2 = 1 (capped), then 0.9 is raised to the running maximum 1.
    assert.deepEqual(holm([0.5, 0.9]), [1, 1]);
  });

  test('normal upper tail', () => {
    assert.ok(Math.abs(normalUpperTail(1.959964) - 0.025) < 1e-6);
    assert.ok(Math.abs(normalUpperTail(0) - 0.5) < 1e-7);
    assert.ok(Math.abs(normalUpperTail(-1) - 0.8413447) < 1e-6);
  });
});
