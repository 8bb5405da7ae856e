import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURE_NAMES } from '../../../models/churn/features.ts';
import { RandomForest } from '../../../models/churn/forest/random-forest.ts';
import { populationOf } from '../../../models/churn/population.ts';
import type { LoadedChurnModel } from '../../../models/churn/registry.ts';
import { pendingRows, pendingRowsTsv, type PendingRows, type RowContext } from '../../../models/scoring/churn-rows.ts';
import { RowWorkerPool } from '../../../models/scoring/row-workers.ts';

/** A seeded LCG, so the data (and so the forest) is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

async function fixture(n: number): Promise<{
  model: LoadedChurnModel;
  set: { cutoff: string; features: string[]; columns: Float64Array[]; customerIds: string[] };
}> {
  const rnd = lcg(23);
  const features = [...FEATURE_NAMES];
  const columns = features.map((f, j) =>
    Float64Array.from({ length: n }, () =>
      j % 5 === 2 && rnd() < 0.1
        ? NaN
        : Math.floor(rnd() * (f.includes('days') ? 500 : f.includes('revenue') ? 40_000 : 9)),
    ),
  );
  const r = features.indexOf('recency_days');
  const y = Uint8Array.from({ length: n }, (_, i) => (columns[r][i] + 150 * rnd() > 300 ? 1 : 0));
  const forest = await RandomForest.train({ columns }, y, {
    nEstimators: 12,
    maxDepth: 7,
    nJobs: 1,
    seed: 9,
    featureNames: features,
  });
  // No forest JSON in the file: the pool sends the in-memory forest as a file would hold it.
  const model = {
    forest,
    file: { features, modelVersion: 'churn-test', definition: { horizonDays: 90 } },
  } as unknown as LoadedChurnModel;
  // Ids with a tab, a quote and multi-byte text: the bytes must survive the trip unchanged.
  const customerIds = Array.from({ length: n }, (_, i) => `C${i}${i % 7 === 0 ? "\t'é€" : ''}`);
  return { model, set: { cutoff: '2025-01-01', features, columns, customerIds } };
}

/** Every field of two pending blocks, arrays element by element (probabilities by their bits). */
function assertSameRows(got: PendingRows, want: PendingRows, label: string): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${label}: fields`);
  for (const key of Object.keys(want) as (keyof PendingRows)[]) {
    const a = got[key];
    const b = want[key];
    if (ArrayBuffer.isView(b)) {
      assert.ok(ArrayBuffer.isView(a), `${label}: ${key} is an array`);
      const x = a as unknown as ArrayLike<number>;
      const y = b as unknown as ArrayLike<number>;
      assert.equal(x.length, y.length, `${label}: ${key} length`);
      for (let i = 0; i < y.length; i++)
        if (!Object.is(x[i], y[i])) assert.fail(`${label}: ${key}[${i}] is ${x[i]}, the thread's path gave ${y[i]}`);
    } else assert.deepEqual(a, b, `${label}: ${key}`);
  }
  assert.ok(Buffer.isBuffer(got.bytes), `${label}: bytes is a Buffer`);
}

test('blocks scored on worker threads equal the same blocks scored on this thread, field by field and as finished text', async () => {
  const n = 3000;
  const { model, set } = await fixture(n);
  const format = { locale: 'en-GB', currency: 'USD' };
  const ctx: RowContext = { limit: 3, population: populationOf(set), format, head: 'run\t', tail: '\tv\n' };
  const cuts = [0, 1, 900, 2999, n];
  const blockOf = (k: number) => ({
    ...set,
    customerIds: set.customerIds.slice(cuts[k], cuts[k + 1]),
    columns: set.columns.map((c) => c.slice(cuts[k], cuts[k + 1])),
  });
  const pool = new RowWorkerPool(model, 2, 3, format);
  try {
    const fromWorkers = await Promise.all(cuts.slice(1).map((_, k) => pool.score(blockOf(k))));
    let got = '';
    let want = '';
    for (let k = 0; k < fromWorkers.length; k++) {
      const here = pendingRows(model, blockOf(k), 0, cuts[k + 1] - cuts[k], 3, format);
      assertSameRows(fromWorkers[k], here, `block ${k}`);
      got += pendingRowsTsv(model, fromWorkers[k], 0, here.customerIds.length, ctx);
      want += pendingRowsTsv(model, here, 0, here.customerIds.length, ctx);
    }
    assert.equal(got, want);
    assert.equal(got.split('\n').length - 1, n, 'one line per customer');
    assert.ok(got.includes("\\t\\'é€"), 'an id with a tab, a quote and multi-byte text, escaped');
    assert.ok(/ than \d+% of customers/.test(got), 'some reason is worded against the population');
  } finally {
    await pool.close();
  }
});

test('a block a worker cannot score fails with the worker’s error, and so does every later one', async () => {
  const { model, set } = await fixture(200);
  const pool = new RowWorkerPool(model, 1, 3, { locale: 'en-GB', currency: 'EUR' });
  try {
    // The set lacks a feature the model reads.
    const j = set.features.indexOf('recency_days');
    const without = {
      ...set,
      features: set.features.filter((_, k) => k !== j),
      columns: set.columns.filter((_, k) => k !== j),
    };
    await assert.rejects(pool.score(without), (e: Error) => e.message.includes('recency_days'));
    assert.ok(pool.error, 'the pool remembers the failure');
    await assert.rejects(pool.score(set), (e: Error) => e.message.includes('recency_days'));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.score(set), /closed/);
});

test('a pool of no workers is refused', async () => {
  const { model } = await fixture(50);
  assert.throws(() => new RowWorkerPool(model, 0, 3, { locale: 'en-GB', currency: 'EUR' }), /integer >= 1, got 0/);
});
