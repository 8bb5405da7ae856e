/**
 * The L2 logistic regression (models/churn/logistic.ts) against known solutions:
 * - scikit-learn 1.2.1's LogisticRegression(C = 1/λ, tol 1e-12) on a fixed 60 × 3 design, whose
 *   coefficients are written below (computed once with /usr/bin/python3; the objective is the same:
 *   Σ log-loss + λ/2 ‖w‖², intercept unpenalised);
 * - the closed form of one binary feature without penalty: intercept = logit(rate when x = 0),
 *   slope = logit(rate when x = 1) − intercept;
 * - the transforms, contributions and importance of the fitted model.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  designMatrix,
  fitLogisticDesign,
  learnTransforms,
  LogisticModel,
  solveSpd,
} from '../../../models/churn/logistic.ts';

const n = 60;
const X = Array.from({ length: n }, (_, i) =>
  Array.from({ length: 3 }, (_, j) => ((i * 7 + j * 13 + i * j) % 17) / 4 - 2),
);
const y: number[] = X.map((x, i) => (x[0] + 0.5 * x[1] - x[2] + ((i * 31) % 11) / 5 - 1 > 0 ? 1 : 0));
const design = Float64Array.from(X.flat());

const SKLEARN: [lambda: number, intercept: number, weights: number[]][] = [
  [1, -0.2270763631117437, [1.922735886183335, 0.6460045965338771, -1.4630868923059908]],
  [5, -0.11644656494420988, [1.1398700088480016, 0.26918679260070466, -0.7851280282180293]],
];
/**
 * The exact optimum: Newton's method in numpy (float64, 100 steps, max |gradient| < 2e-15).
 * scikit-learn's lbfgs stops about 5e-6 short of it, hence the looser tolerance against sklearn.
 */
const EXACT: [lambda: number, intercept: number, weights: number[]][] = [
  [1, -0.22708091251333, [1.9227305082986879, 0.6460010619758417, -1.4630858049961721]],
  [5, -0.11644659221379079, [1.139872775696786, 0.26918664257530023, -0.7851302444581835]],
];

describe('fitLogisticDesign', () => {
  test('the data has both classes (29 of 60 positive, as scikit-learn saw it)', () => {
    assert.equal(
      y.reduce((a, b) => a + b, 0),
      29,
    );
  });

  for (const [lambda, intercept, weights] of SKLEARN) {
    test(`λ = ${lambda}: the coefficients scikit-learn finds, to 1e-4`, () => {
      const fit = fitLogisticDesign(design, n, 3, y, { l2: lambda });
      assert.ok(fit.converged);
      assert.ok(Math.abs(fit.intercept - intercept) < 1e-4, `intercept ${fit.intercept} vs ${intercept}`);
      weights.forEach((w, j) => assert.ok(Math.abs(fit.weights[j] - w) < 1e-4, `w${j} ${fit.weights[j]} vs ${w}`));
    });
  }
  for (const [lambda, intercept, weights] of EXACT) {
    test(`λ = ${lambda}: the exact optimum, to 1e-9, and a zero penalised gradient`, () => {
      const fit = fitLogisticDesign(design, n, 3, y, { l2: lambda });
      assert.ok(Math.abs(fit.intercept - intercept) < 1e-9, `intercept ${fit.intercept} vs ${intercept}`);
      weights.forEach((w, j) => assert.ok(Math.abs(fit.weights[j] - w) < 1e-9, `w${j} ${fit.weights[j]} vs ${w}`));
      const g = [0, 0, 0, 0];
      X.forEach((x, i) => {
        const p =
          1 / (1 + Math.exp(-(fit.intercept + x[0] * fit.weights[0] + x[1] * fit.weights[1] + x[2] * fit.weights[2])));
        x.forEach((v, j) => (g[j] += (y[i] - p) * v));
        g[3] += y[i] - p;
      });
      for (let j = 0; j < 3; j++) g[j] -= lambda * fit.weights[j];
      assert.ok(Math.max(...g.map(Math.abs)) < 1e-9, JSON.stringify(g));
    });
  }

  test('one binary feature, no penalty: the two groups’ log-odds', () => {
    // x = 0: 3 of 10 churn; x = 1: 8 of 10 churn.
    const x = Float64Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1));
    const labels = Array.from({ length: 20 }, (_, i) => (i < 10 ? (i < 3 ? 1 : 0) : i < 18 ? 1 : 0));
    const fit = fitLogisticDesign(x, 20, 1, labels, { l2: 0 });
    const logit = (p: number): number => Math.log(p / (1 - p));
    assert.ok(Math.abs(fit.intercept - logit(0.3)) < 1e-8, String(fit.intercept));
    assert.ok(Math.abs(fit.weights[0] - (logit(0.8) - logit(0.3))) < 1e-8, String(fit.weights[0]));
  });
});

describe('solveSpd', () => {
  test('solves a 3 × 3 system', () => {
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    const x = solveSpd(a, Float64Array.from([2, 1, 4]), 3);
    // A·x = b checked by multiplication.
    const b = [0, 1, 2].map((i) => a[i * 3] * x[0] + a[i * 3 + 1] * x[1] + a[i * 3 + 2] * x[2]);
    [2, 1, 4].forEach((v, i) => assert.ok(Math.abs(b[i] - v) < 1e-12));
  });
});

describe('LogisticModel', () => {
  const counts = Float64Array.from([0, 1, 2, 50, 100, 3, NaN, 7]);
  const small = Float64Array.from([0.1, -0.2, 0.3, 0.5, -0.1, 0.2, 0.0, 0.4]);
  const labels = [0, 0, 1, 1, 1, 0, 1, 0];

  test('transforms: log(1 + x) for wide non-negative columns, mean/sd from the finite values, a missing indicator', () => {
    const [t0, t1] = learnTransforms(['counts', 'small'], [counts, small]);
    assert.equal(t0.log, true);
    assert.equal(t1.log, false);
    const logs = [0, 1, 2, 50, 100, 3, 7].map(Math.log1p);
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    assert.ok(Math.abs(t0.mean - mean) < 1e-12);
    assert.equal(t0.missingWeight, 2);
    assert.equal(t1.missingWeight, -1);
    const { x, p } = designMatrix([t0, t1], [counts, small]);
    assert.equal(p, 3);
    assert.equal(x[6 * p + 0], 0); // missing → the mean (0 after centring)
    assert.equal(x[6 * p + 2], 1); // … and its indicator
  });

  test('contributions add up to the log-odds; importance ranks |weights|', () => {
    const model = LogisticModel.fit(['counts', 'small'], [counts, small], labels, { l2: 0.5 });
    const e = model.explain([counts, small]);
    for (let i = 0; i < labels.length; i++) {
      const z = e.bias + e.contributions[2 * i] + e.contributions[2 * i + 1];
      assert.ok(Math.abs(1 / (1 + Math.exp(-z)) - e.probability[i]) < 1e-12);
    }
    const w = model.json.weights;
    const imp = model.importance();
    assert.ok(
      Math.abs(imp.find((r) => r.feature === 'counts')!.importance - (Math.abs(w[0]) + Math.abs(w[2]))) < 1e-12,
    );
    assert.ok(imp[0].importance >= imp[1].importance);
  });
});

describe('LogisticModel with hinge terms (the GAM-like candidate)', () => {
  // A U-shaped risk: churn when x is far from 0 on either side. A straight line in x ranks it at
  // chance; a linear spline can bend at the middle knot.
  const m = 400;
  const x = Float64Array.from({ length: m }, (_, i) => (i / (m - 1)) * 4 - 2);
  const yy = Uint8Array.from(x, (v, i) => (Math.abs(v) + (((i * 37) % 13) - 6) / 12 > 1 ? 1 : 0));
  const auc = (p: Float64Array): number => {
    let pairs = 0;
    let wins = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++)
        if (yy[i] === 1 && yy[j] === 0) {
          pairs++;
          wins += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
        }
    return wins / pairs;
  };

  test('knots sit at the quantiles of the standardised values, each with its own weight index', () => {
    const [t] = learnTransforms(['x'], [x], { knots: 3 });
    const sd = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / m); // x is centred: mean 0
    const z = [...x].map((v) => v / sd).sort((a, b) => a - b);
    assert.deepEqual(
      t.hinges!.map((h) => h.weight),
      [1, 2, 3],
    );
    [0.25, 0.5, 0.75].forEach((q, k) => assert.ok(Math.abs(t.hinges![k].knot - z[Math.floor(q * m)]) < 1e-12));
    const { x: d, p } = designMatrix([t], [x]);
    assert.equal(p, 4);
    const i = m - 1; // the largest value: every hinge is active
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(d[i * p + 1 + k] - (z[m - 1] - t.hinges![k].knot)) < 1e-12);
    assert.equal(d[0 * p + 1], 0); // the smallest: none is
  });

  test('a U-shaped risk: the straight line ranks near chance, the spline ranks it well; contributions still add up', () => {
    const line = LogisticModel.fit(['x'], [x], yy, { l2: 1 });
    const spline = LogisticModel.fit(['x'], [x], yy, { l2: 1, knots: 3 });
    assert.ok(Math.abs(auc(line.predictProba([x])) - 0.5) < 0.1, `line AUC ${auc(line.predictProba([x]))}`);
    assert.ok(auc(spline.predictProba([x])) > 0.85, `spline AUC ${auc(spline.predictProba([x]))}`);
    const e = spline.explain([x]);
    for (let i = 0; i < m; i += 37) {
      const z = e.bias + e.contributions[i];
      assert.ok(Math.abs(1 / (1 + Math.exp(-z)) - e.probability[i]) < 1e-12);
    }
    const w = spline.json.weights;
    assert.ok(Math.abs(spline.importance()[0].importance - w.reduce((a, b) => a + Math.abs(b), 0)) < 1e-12);
  });

  test('splineColumns limits the hinges to the named columns; a missing value leaves them at 0', () => {
    const withGap = Float64Array.from(x, (v, i) => (i === 5 ? NaN : v));
    const [a, b] = learnTransforms(['a', 'b'], [withGap, x], { knots: 2, splineColumns: ['a'] });
    assert.equal(b.hinges, undefined);
    assert.equal(a.missingWeight, 2);
    assert.deepEqual(
      a.hinges!.map((h) => h.weight),
      [3, 4],
    );
    const { x: d, p } = designMatrix([a, b], [withGap, x]);
    assert.equal(d[5 * p + 2], 1);
    assert.equal(d[5 * p + 3], 0);
    assert.equal(d[5 * p + 4], 0);
  });
});
