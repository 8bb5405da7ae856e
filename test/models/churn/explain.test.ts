import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainRows } from '../../../models/churn/explain.ts';
import { RandomForest } from '../../../models/churn/forest/random-forest.ts';

test('explainRows = predictProba and per-row contributions, for any block, with missing values', async () => {
  let s = 3;
  const rnd = (): number => ((s = (s * 48271) % 2147483647) / 2147483647);
  const n = 700;
  const cols = Array.from({ length: 5 }, (_, j) => Float64Array.from({ length: n }, () => (j === 2 && rnd() < 0.2 ? NaN : rnd() * 10)));
  const y = Uint8Array.from({ length: n }, (_, i) => (cols[0][i] + (Number.isNaN(cols[2][i]) ? 5 : cols[2][i]) * rnd() > 8 ? 1 : 0));
  const forest = await RandomForest.train({ columns: cols }, y, { nEstimators: 15, maxDepth: 6, nJobs: 1, seed: 2 });
  const x = { columns: cols };
  const proba = forest.predictProba(x);
  const all = explainRows(forest, x);
  const part = explainRows(forest, x, 300, 650);
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(all.probability[i] - proba[i]) < 1e-12, `row ${i}`);
    const c = forest.contributions(x, i);
    assert.ok(Math.abs(c.bias - all.bias) < 1e-12);
    let sum = all.bias;
    for (let j = 0; j < 5; j++) {
      assert.ok(Math.abs(all.contributions[i * 5 + j] - c.values[j]) < 1e-12, `row ${i} feature ${j}`);
      sum += all.contributions[i * 5 + j];
      if (i >= 300 && i < 650) assert.equal(part.contributions[(i - 300) * 5 + j], all.contributions[i * 5 + j]);
    }
    assert.ok(Math.abs(sum - proba[i]) < 1e-9, 'bias + contributions = probability');
  }
  assert.throws(() => explainRows(forest, x, 10, n + 1), RangeError);
});
