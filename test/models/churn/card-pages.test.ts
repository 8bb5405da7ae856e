/**
 * The model card end to end: a training with model selection stores its card in model_cards, and
 * what the dashboard reads (the web server's warehouse read path, web/src/lib/models/card.server.ts)
 * and prints (the Models page's headline and candidates table, the churn page's summary) and what
 * the digests print equal the stored row — nothing recomputed on the way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { modelLine, type Digest } from '../../../alerts/digest.ts';
import { renderText } from '../../../alerts/digest.ts';
import { latestModelCard, modelCardHeadline } from '../../../models/index.ts';
import { trainAndRegister, type RegisteredModel } from '../../../models/churn/pipeline.ts';
import { loadFixture } from '../../../models/churn/synthetic-history.ts';
import { setWebContext, type WebContext } from '../../../web/src/lib/server/context.ts';
import { latestChurnCard } from '../../../web/src/lib/models/card.server.ts';
import { candidateRows, cardHeadline, cardSummary, fmt3 } from '../../../web/src/lib/models/card.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const TODAY = '2025-01-01';
let tw: TestWarehouse;
let reg: RegisteredModel;

interface StoredRow {
  model_version: string;
  chosen: string;
  roc_auc: number;
  pr_auc: number;
  brier: number;
  best_baseline: string;
  best_baseline_roc_auc: number;
  horizon_days: number;
  folds: number;
  churn_rate: number;
  card: string;
}

let stored: StoredRow;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadFixture(tw.warehouse, { customers: 900, today: TODAY });
  reg = await trainAndRegister(tw.warehouse, {
    today: TODAY,
    forest: { nEstimators: 20 },
    folds: 2,
    budgetSeconds: 30,
    dataDir: tw.dir,
  });
  const rs = await tw.warehouse.client.query({
    query:
      'SELECT model_version, chosen, roc_auc, pr_auc, brier, best_baseline, best_baseline_roc_auc, horizon_days, folds, churn_rate, card FROM model_cards FINAL',
    format: 'JSONEachRow',
  });
  const rows = await rs.json<StoredRow>();
  assert.equal(rows.length, 1);
  stored = rows[0];
  setWebContext({ warehouse: { client: tw.warehouse.client, database: tw.warehouse.database } } as WebContext);
});

after(async () => {
  setWebContext(undefined);
  await tw?.close();
});

describe('model card: stored, read by the dashboard, printed by the pages and the digests', () => {
  test('the stored row is the registered model’s card', () => {
    assert.equal(stored.model_version, reg.model.file.modelVersion);
    assert.equal(stored.chosen, reg.model.file.predictor!.candidate);
    const chosen = reg.selection!.candidates.find((c) => c.name === stored.chosen)!;
    assert.equal(Number(stored.roc_auc), chosen.roc_auc);
    assert.equal(Number(stored.brier), chosen.brier);
    assert.equal(Number(stored.folds), reg.selection!.folds.length);
    // The churn rate is the training rows' own, counted here from the labels.
    const y = reg.selection!.trainSet.labels;
    assert.equal(Number(stored.churn_rate), y.reduce((a, b) => a + b, 0) / y.length);
  });

  test('Models page and churn page: the figures they print are the stored ones', async () => {
    const card = await latestChurnCard();
    assert.ok(card);
    assert.equal(card.modelVersion, stored.model_version);
    const summary = cardSummary(card);
    assert.equal(summary.rocAuc, Number(stored.roc_auc));
    assert.equal(summary.bestBaselineRocAuc, Number(stored.best_baseline_roc_auc));
    assert.equal(summary.brier, Number(stored.brier));
    assert.equal(summary.folds, Number(stored.folds));
    assert.equal(summary.horizonDays, Number(stored.horizon_days));
    assert.ok(cardHeadline(card).includes(`ROC-AUC ${Number(stored.roc_auc).toFixed(3)}`), cardHeadline(card));
    // Candidates table: every candidate of the stored JSON with its own figures.
    const json = JSON.parse(stored.card) as {
      candidates: { name: string; roc_auc: number | null; pr_auc: number | null; brier: number | null }[];
    };
    const rows = candidateRows(card);
    assert.equal(rows.length, json.candidates.length);
    for (const c of json.candidates) {
      const r = rows.find((x) => x.name === c.name)!;
      assert.equal(fmt3(r.roc_auc), fmt3(c.roc_auc));
      assert.equal(fmt3(r.pr_auc), fmt3(c.pr_auc));
      assert.equal(fmt3(r.brier), fmt3(c.brier));
    }
    assert.deepEqual(
      rows.filter((r) => r.chosen).map((r) => r.name),
      [stored.chosen],
    );
  });

  test('digests print the same headline as the pages', async () => {
    const card = await latestModelCard(tw.warehouse);
    const web = await latestChurnCard();
    assert.ok(card && web);
    assert.equal(modelCardHeadline(card), cardHeadline(web));
    const digest = {
      deliveryId: 'd1',
      messageId: 'm1',
      ownerId: 'U-1',
      recipient: '',
      window: 'w',
      windowAt: new Date('2025-01-01T08:00:00Z'),
      plannedAt: new Date('2025-01-01T08:00:00Z'),
      items: [],
      more: 0,
      model: { headline: modelCardHeadline(card), modelVersion: card.modelVersion },
    } satisfies Digest;
    assert.ok(renderText(digest).includes(modelLine(digest)));
    assert.ok(modelLine(digest).includes(`ROC-AUC ${Number(stored.roc_auc).toFixed(3)}`));
  });
});
