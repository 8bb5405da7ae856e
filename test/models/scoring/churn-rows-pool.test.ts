import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURE_NAMES } from '../../../models/churn/features.ts';
import { RandomForest } from '../../../models/churn/forest/random-forest.ts';
import { populationOf } from '../../../models/churn/population.ts';
import type { LoadedChurnModel } from '../../../models/churn/registry.ts';
import { churnRowsTsv, riskBand, type RowContext } from '../../../models/scoring/churn-rows.ts';
import { ChurnRowsPool } from '../../../models/scoring/churn-rows-pool.ts';

/** A seeded LCG, so the data (and so the forest) is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

test('scoring rows on worker threads writes byte for byte the lines scoring in this thread writes', async () => {
  const rnd = lcg(7);
  const n = 3001;
  const features = [...FEATURE_NAMES];
  // Whole days and counts with some missing values, so reasons with populations and "only" show up.
  const columns = features.map((f, j) =>
    Float64Array.from({ length: n }, () => (j % 5 === 3 && rnd() < 0.2 ? NaN : Math.floor(rnd() * (f.includes('days') ? 400 : 12)))),
  );
  const r = features.indexOf('recency_days');
  const y = Uint8Array.from({ length: n }, (_, i) => (columns[r][i] + 100 * rnd() > 250 ? 1 : 0));
  const forest = await RandomForest.train({ columns }, y, { nEstimators: 12, maxDepth: 8, nJobs: 1, seed: 3, featureNames: features });
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: {} } } as unknown as LoadedChurnModel;
  const set = { features, columns, customerIds: Array.from({ length: n }, (_, i) => `C${i}\t'${i % 7 === 0 ? '\\' : ''}`) };
  const ctx: RowContext = { limit: 3, population: populationOf(set), format: { locale: 'en-GB', currency: 'EUR' }, head: 'run\t', tail: '\tv\n' };

  const here = churnRowsTsv(model, set, 0, n, ctx);
  const pool = new ChurnRowsPool(model, features, ctx, 2);
  try {
    // Uneven slices on both workers, in order.
    const cuts = [0, 1000, 1001, 2500, n];
    const parts = await Promise.all(cuts.slice(1).map((end, k) => pool.score(k, set, cuts[k], end)));
    const text = Buffer.concat(parts.map((p) => Buffer.from(p.body))).toString('utf8');
    assert.equal(text, here.text);
    const probability = parts.flatMap((p) => [...p.probability]);
    assert.deepEqual(probability, [...here.probability]);
    // The lines carry what they claim: one per customer, the band of its probability, escaped ids.
    const lines = text.split('\n').slice(0, -1);
    assert.equal(lines.length, n);
    const fields = lines[7].split('\t');
    assert.equal(fields[0], 'run');
    assert.equal(fields[1], "C7\\t\\'\\\\");
    assert.equal(Number(fields[2]), here.probability[7]);
    assert.equal(fields[3], riskBand(here.probability[7]));
    assert.ok(lines.some((l) => l.includes('— longer than')), 'some reason is worded against the population');
  } finally {
    await pool.close();
  }
});
