/**
 * Scoring on worker threads (models/scoring/row-workers.ts) writes the rows scoring on this thread
 * writes, on a real embedded engine: same customers, probability bits, bands and reasons; and a run
 * stopped or failing while the workers hold blocks ends (no worker keeps the process alive), leaves
 * its rows unpublished, and says why.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { addDays } from '../../../models/churn/definition.ts';
import { loadFeatures } from '../../../models/churn/features.ts';
import { RandomForest } from '../../../models/churn/forest/random-forest.ts';
import { newModelVersion, type LoadedChurnModel } from '../../../models/churn/registry.ts';
import { matrixOf } from '../../../models/churn/train.ts';
import { resolveDefinition } from '../../../models/churn/definition.ts';
import { scoreChurn } from '../../../models/scoring/score-churn.ts';
import { newRunId } from '../../../models/scoring/runs.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';
import { loadFixture } from '../churn/fixture.ts';

const TODAY = '2025-01-01';
let tw: TestWarehouse;
let model: LoadedChurnModel;

const q = async <T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> =>
  (await tw.warehouse.client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();

type Row = { customer_id: string; probability: number; risk_band: string; top_reasons: [string, string, number][] };
const rowsOf = (runId: string): Promise<Row[]> =>
  q<Row>(
    'SELECT customer_id, probability, risk_band, arrayMap(r -> (r.1, r.2, r.3), top_reasons) AS top_reasons FROM churn_scores_runs WHERE run_id = {r:String} ORDER BY customer_id',
    { r: runId },
  );

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadFixture(tw.warehouse, { customers: 1500, today: TODAY });
  const definition = resolveDefinition();
  const cutoff = addDays(TODAY, -definition.horizonDays);
  const train = await loadFeatures(tw.warehouse, { cutoff, definition, withLabels: true });
  const forest = await RandomForest.train(matrixOf(train), train.labels!, {
    nEstimators: 20,
    maxDepth: 8,
    nJobs: 1,
    seed: 3,
    featureNames: train.features,
  });
  // In memory, without the forest's JSON in the file: the workers get it as a file would hold it.
  model = {
    forest,
    file: {
      format: 'ci-churn-model',
      formatVersion: 1,
      modelVersion: newModelVersion('churn', cutoff),
      model: 'churn',
      trainedAt: new Date().toISOString(),
      cutoff,
      features: train.features,
      definition,
      metrics: {},
      params: {},
    },
  };
});

after(async () => {
  await tw?.close();
});

test('rows scored on two worker threads, in three shards of several blocks, equal the rows scored on this thread', async () => {
  const format = { locale: 'en-GB', currency: 'EUR' };
  const scoredAt = new Date('2025-01-01T06:00:00Z');
  const here = newRunId(TODAY);
  const there = newRunId(TODAY);
  const a = await scoreChurn(tw.warehouse, {
    runId: here,
    today: TODAY,
    model,
    shards: 3,
    format,
    scoredAt,
    batchSize: 400,
    workers: 0,
  });
  const b = await scoreChurn(tw.warehouse, {
    runId: there,
    today: TODAY,
    model,
    shards: 3,
    format,
    scoredAt,
    batchSize: 400,
    workers: 2,
  });
  const [one, two] = [await rowsOf(here), await rowsOf(there)];
  assert.ok(one.length > 1000, `the fixture's buyers are scored (${one.length})`);
  assert.equal(two.length, one.length);
  assert.deepEqual(b.bands, a.bands);
  for (let i = 0; i < one.length; i++) {
    assert.equal(two[i].customer_id, one[i].customer_id);
    assert.ok(
      Object.is(two[i].probability, one[i].probability),
      `${one[i].customer_id}: ${two[i].probability} vs ${one[i].probability}`,
    );
    assert.equal(two[i].risk_band, one[i].risk_band);
    assert.deepEqual(two[i].top_reasons, one[i].top_reasons);
  }
  assert.ok(
    one.some((r) => r.top_reasons.some((t) => t[1].includes(' than '))),
    'some reason is worded against the population',
  );
});

test('a run stopped while the workers hold its blocks rejects with the reason and writes nothing', async () => {
  const stop = new AbortController();
  const runId = newRunId(TODAY);
  const run = scoreChurn(tw.warehouse, {
    runId,
    today: TODAY,
    model,
    shards: 3,
    workers: 2,
    signal: stop.signal,
    // The first "customers read" line comes as soon as the first block is handed to the workers (not
    // throttled: on a fast machine the whole run takes less than the 2 s between progress lines).
    onProgress: (line) => {
      if (/customers read/.test(line)) stop.abort(new Error('stopped by the test'));
    },
  });
  await assert.rejects(run, /stopped by the test/);
  const [{ n }] = await q<{ n: string }>('SELECT count() AS n FROM churn_scores_runs WHERE run_id = {r:String}', {
    r: runId,
  });
  assert.equal(Number(n), 0, 'no row of the stopped run was inserted');
});

test('a model the workers cannot build fails the run with their error', async () => {
  const broken = {
    ...model,
    file: { ...model.file, features: [...model.file.features].reverse() },
  } as LoadedChurnModel;
  await assert.rejects(
    scoreChurn(tw.warehouse, { runId: newRunId(TODAY), today: TODAY, model: broken, shards: 2, workers: 1 }),
    /forest features differ from the recorded feature list/,
  );
});
