import assert from 'node:assert/strict';
import { test } from 'node:test';
import { treePathContributions } from '../../../models/churn/forest/contributions.ts';
import { RandomForest, type ForestNodes } from '../../../models/churn/forest/random-forest.ts';

/** A seeded LCG, so the data (and so the forest) is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

test('contributions: bias + Σ contributions = predictProba for every row, with missing values', async () => {
  const rnd = lcg(11);
  const n = 1003; // not a multiple of the 4-row lockstep nor of the 256-row block
  const cols = Array.from({ length: 6 }, (_, j) => Float64Array.from({ length: n }, () => (j === 1 && rnd() < 0.25 ? NaN : rnd() * 10)));
  const y = Uint8Array.from({ length: n }, (_, i) => (cols[0][i] + (Number.isNaN(cols[1][i]) ? 7 : cols[1][i]) * rnd() > 8 ? 1 : 0));
  const forest = await RandomForest.train({ columns: cols }, y, { nEstimators: 20, maxDepth: 7, nJobs: 1, seed: 4 });
  const x = { columns: cols };
  const proba = forest.predictProba(x);
  const all = treePathContributions(forest, x);
  const part = treePathContributions(forest, x, 257, 901);
  for (let i = 0; i < n; i++) {
    assert.equal(all.probability[i], proba[i], `row ${i}: probability equals predictProba`);
    let sum = all.bias;
    for (let j = 0; j < 6; j++) sum += all.contributions[i * 6 + j];
    assert.ok(Math.abs(sum - proba[i]) < 1e-12, `row ${i}: bias + contributions ${sum} vs ${proba[i]}`);
    const one = forest.contributions(x, i);
    for (let j = 0; j < 6; j++) assert.ok(Math.abs(one.values[j] - all.contributions[i * 6 + j]) < 1e-12, `row ${i} feature ${j}`);
    if (i >= 257 && i < 901) for (let j = 0; j < 6; j++) assert.equal(part.contributions[(i - 257) * 6 + j], all.contributions[i * 6 + j]);
  }
  assert.ok(all.contributions.some((c, k) => k % 6 === 1 && c !== 0), 'the feature with missing values is credited somewhere');
});

test('contributions: a hand-built stump credits the split feature with child − root', () => {
  // Root splits feature 1 at 5; missing values go left. Root value 0.5, left 0.2, right 0.9.
  const nodes: ForestNodes = {
    roots: Int32Array.from([0]),
    feature: Int32Array.from([1, -1, -1]),
    threshold: Float64Array.from([5, 0, 0]),
    missingLeft: Uint8Array.from([1, 0, 0]),
    left: Int32Array.from([1, 0, 0]),
    value: Float64Array.from([0.5, 0.2, 0.9]),
  };
  const r = treePathContributions({ nFeatures: 2, nodes }, { columns: [[0, 0, 0], [4, 6, NaN]] });
  assert.equal(r.bias, 0.5);
  assert.deepEqual(Array.from(r.probability), [0.2, 0.9, 0.2]);
  const expected = [0, 0.2 - 0.5, 0, 0.9 - 0.5, 0, 0.2 - 0.5];
  r.contributions.forEach((c, k) => assert.ok(Math.abs(c - expected[k]) < 1e-15, `entry ${k}: ${c} vs ${expected[k]}`));
});

test('contributions: a width or range mismatch is a RangeError naming it', () => {
  const nodes: ForestNodes = {
    roots: Int32Array.from([0]),
    feature: Int32Array.from([-1]),
    threshold: Float64Array.from([0]),
    missingLeft: Uint8Array.from([0]),
    left: Int32Array.from([0]),
    value: Float64Array.from([0.3]),
  };
  assert.throws(() => treePathContributions({ nFeatures: 2, nodes }, { columns: [[1]] }), /model has 2 features, input has 1/);
  assert.throws(() => treePathContributions({ nFeatures: 1, nodes }, { columns: [[1]] }, 0, 2), /rows \[0, 2\) out of range/);
});
