/**
 * The churn model on the demo world (ingest/demo, small scale ≈ 2k customers) loaded by loadDemo
 * through the ingest jobs, like any customer's files. The generator plants the signal — churners' purchases thin
 * out from a drift start; "dissatisfied" churners complain and rate support badly, "silent" ones
 * fade (fewer visits and e-mail opens) — and writes the planted answers to truth.csv.
 *
 * Asserted (observed on seed 42, 50 trees: forest ROC-AUC ≈ 0.86, recency ≈ 0.80, BG/NBD ≈ 0.74;
 * forest Brier ≈ 0.13, recency 0.15):
 * - forest ROC-AUC ≥ each baseline + 0.03; Brier ≤ 0.16 and below the recency baseline's;
 * - reasons of planted churners rated above the base rate name the signal (recency, frequency,
 *   spend, complaints, satisfaction, e-mail, web) for ≥ 90% of them, and complaints or low
 *   satisfaction for ≥ 40% of the "dissatisfied" ones but ≤ 25% of the "silent" ones.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateDemo } from '../../../ingest/demo/generate.ts';
import { SCALES } from '../../../ingest/demo/scale.ts';
import { loadDemo } from '../../../ingest/demo/load-demo.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { addDays } from '../../../models/churn/definition.ts';
import { evaluateChurn, type EvaluationResult } from '../../../models/churn/evaluate.ts';
import { explainRows } from '../../../models/churn/explain.ts';
import { REASON_TOPICS } from '../../../models/churn/reasons.ts';
import type { LoadedChurnModel } from '../../../models/churn/registry.ts';
import { scoreFeatureSet } from '../../../models/scoring/score-churn.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const TODAY = '2026-11-01';

let tw: TestWarehouse;
let evaluation: EvaluationResult;
let out: string;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  out = join(tw.dir, 'demo');
  await generateDemo({ out, scale: SCALES.small, seed: 42, today: TODAY });
  await loadDemo(tw.warehouse, { dir: out, rejectsDir: false });
  evaluation = await evaluateChurn(tw.warehouse, { today: TODAY, forest: { nEstimators: 50 } });
});

after(async () => {
  await tw?.close();
});

test('on demo data the forest beats the recency and BG/NBD baselines by ≥ 0.03 ROC-AUC, Brier ≤ 0.16', (t) => {
  const m = Object.fromEntries(evaluation.metrics.map((x) => [x.model, x]));
  const table = evaluation.metrics.map((x) => `${x.model} auc=${x.roc_auc.toFixed(3)} pr=${x.pr_auc.toFixed(3)} brier=${x.brier.toFixed(3)} lift=${x.lift_top_decile.toFixed(2)}`).join('; ');
  t.diagnostic(table);
  assert.ok(evaluation.summary.eval_rows > 1000, table);
  assert.ok(m.random_forest.roc_auc >= m.recency_logistic.roc_auc + 0.03, table);
  assert.ok(m.random_forest.roc_auc >= m.bgnbd_p_alive.roc_auc + 0.03, table);
  assert.ok(m.random_forest.brier <= 0.16 && m.random_forest.brier < m.recency_logistic.brier, table);
});

test('reasons name the planted signal; complaints and low satisfaction for the dissatisfied churners', async (t) => {
  // truth.csv knows people by their shop id; the warehouse by the resolved customer id.
  const refs = await (
    await tw.warehouse.client.query({ query: 'SELECT DISTINCT customer_ref, customer_id FROM transactions_resolved', format: 'JSONEachRow' })
  ).json<{ customer_ref: string; customer_id: string }>();
  const customerOf = new Map(refs.map((r) => [r.customer_ref, r.customer_id]));
  const [header, ...lines] = readFileSync(join(out, 'truth.csv'), 'utf8').trim().split('\n');
  const col = Object.fromEntries(header.split(',').map((h, i) => [h, i]));
  const planted = new Map<string, { churnDate: string; archetype: string }>();
  for (const line of lines) {
    const c = line.split(',');
    const id = customerOf.get(c[col.shop_id]);
    if (c[col.is_churner] === '1' && id) planted.set(id, { churnDate: c[col.churn_date], archetype: c[col.churn_archetype] });
  }

  const set = evaluation.evaluation;
  const model = { forest: evaluation.trained.forest, file: { features: evaluation.trained.train.features } } as LoadedChurnModel;
  const scored = scoreFeatureSet(model, set);
  const bias = explainRows(evaluation.trained.forest, { columns: set.columns }, 0, 1).bias;
  const windowEnd = addDays(evaluation.evalCutoff, 90);
  const signal = new Set(['recency', 'frequency', 'spend', 'complaints', 'satisfaction', 'email', 'web']);
  const stats = { dissatisfied: { n: 0, service: 0 }, silent: { n: 0, service: 0 } } as Record<string, { n: number; service: number }>;
  let churners = 0;
  let withSignal = 0;
  set.customerIds.forEach((id, i) => {
    const p = planted.get(id);
    if (!p || p.churnDate < evaluation.evalCutoff || p.churnDate >= windowEnd || !(scored.probability[i] > bias)) return;
    churners++;
    const topics = scored.reasons[i].map((r) => REASON_TOPICS[r.feature] ?? r.feature);
    if (topics.some((t) => signal.has(t))) withSignal++;
    const s = stats[p.archetype];
    s.n++;
    // A complaint count or a known low score (not "no satisfaction score on record").
    const service = scored.reasons[i].some(
      (r) => (REASON_TOPICS[r.feature] === 'complaints' && !r.text.startsWith('no ')) || (r.feature === 'csat_avg_180d' && r.text.startsWith('average satisfaction')),
    );
    if (service) s.service++;
  });
  const summary = `${withSignal}/${churners} with a signal reason; ${JSON.stringify(stats)}`;
  t.diagnostic(summary);
  assert.ok(churners >= 40, summary);
  assert.ok(withSignal / churners >= 0.9, summary);
  assert.ok(stats.dissatisfied.n >= 20 && stats.dissatisfied.service / stats.dissatisfied.n >= 0.4, summary);
  assert.ok(stats.silent.service <= 0.25 * stats.silent.n, summary);
});
