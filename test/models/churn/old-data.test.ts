/**
 * Old data is not an error: on the CDNOW sample (purchases 1997-01-01 … 1998-06-30), training and
 * scoring as of the data's end run through, with as many validation folds as the history allows,
 * and say what they did (the card's folds and warnings). As of a day with no history for any fold,
 * the recency baseline ships and the card says why. Skips without ../shared/data/cdnow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { loadCdnowIntoWarehouse } from '../../../models/bench/cdnow-load.ts';
import { trainAndRegister } from '../../../models/churn/pipeline.ts';
import { cdnowAvailable, CDNOW_FILE } from '../../../models/clv/cdnow.ts';
import { trainAndScore } from '../../../models/scoring/train-and-score.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const skip = cdnowAvailable() ? false : `CDNOW sample not found at ${CDNOW_FILE}`;
let tw: TestWarehouse;

before(async () => {
  if (skip) return;
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadCdnowIntoWarehouse(tw.warehouse);
});

after(async () => {
  await tw?.close();
});

describe('training on old data (CDNOW)', { skip }, () => {
  test('as of the data’s end: trains with six folds, scores every customer, stores the card', async () => {
    const r = await trainAndScore(tw.warehouse, { today: '1998-07-01', trees: 30, dataDir: tw.dir });
    assert.equal(r.churn.customers, 2357, 'every buyer is scored');
    // Evaluation cutoffs 1998-04-02 back by 45 days; the sixth (1997-08-20) trains at 1997-05-22,
    // the oldest cutoff with a horizon of history behind it (the first order is on 1997-01-01).
    assert.equal(r.churnModel.metrics.folds, 6);
    const rows = await (
      await tw.warehouse.client.query({
        query: 'SELECT count() AS n, min(probability) AS lo, max(probability) AS hi FROM churn_scores_current',
        format: 'JSONEachRow',
      })
    ).json<{ n: string; lo: number; hi: number }>();
    assert.equal(Number(rows[0].n), 2357);
    assert.ok(rows[0].lo > 0 && rows[0].hi < 1, 'calibrated probabilities stay inside (0, 1)');
  });

  test('folds half a horizon apart, each trained only on labels that end by its evaluation cutoff; the BG/NBD no-purchase baseline and the stack are validated', async () => {
    const r = await trainAndRegister(tw.warehouse, {
      today: '1998-07-01',
      forest: { nEstimators: 10 },
      budgetSeconds: 1,
      dataDir: tw.dir,
    });
    const folds = r.selection!.folds;
    const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    assert.equal(folds[0].evalCutoff, '1998-04-02');
    for (let k = 0; k < folds.length; k++) {
      if (k > 0) assert.equal(day(folds[k - 1].evalCutoff) - day(folds[k].evalCutoff), 45);
      for (const c of folds[k].trainCutoff.split(' + '))
        assert.ok(
          day(c) + 90 <= day(folds[k].evalCutoff),
          `fold ${k}: training cutoff ${c} labels run past ${folds[k].evalCutoff}`,
        );
    }
    const byName = new Map(r.selection!.candidates.map((c) => [c.name, c]));
    for (const name of ['bgnbd_no_purchase', 'stack_bgnbd']) {
      assert.equal(byName.get(name)?.status, 'validated', name);
      assert.equal(byName.get(name)!.folds.length, folds.length);
      assert.ok(
        r.card!.candidates.some((c) => c.name === name),
        `${name} on the card`,
      );
    }
    assert.equal(byName.get('bgnbd_no_purchase')!.baseline, true);
    // The fold spread is the sample SD of the folds' ROC-AUCs.
    const f = byName.get('stack_bgnbd')!.folds.map((m) => m.roc_auc);
    const m = f.reduce((a, b) => a + b, 0) / f.length;
    const sd = Math.sqrt(f.reduce((a, x) => a + (x - m) ** 2, 0) / (f.length - 1));
    assert.ok(Math.abs(byName.get('stack_bgnbd')!.roc_auc_sd! - sd) < 1e-12);
  });

  test('a long horizon leaves room for fewer folds, and the card says so', async () => {
    const r = await trainAndRegister(tw.warehouse, {
      today: '1998-07-01',
      definition: { horizonDays: 180 },
      forest: { nEstimators: 30 },
      dataDir: tw.dir,
    });
    assert.equal(r.selection!.folds.length, 1);
    assert.ok(
      r.card!.warnings.some((w) => /one validation fold instead of 6/.test(w)),
      JSON.stringify(r.card!.warnings),
    );
  });

  test('no fold possible: the recency baseline ships, and the card says why', async () => {
    const r = await trainAndRegister(tw.warehouse, {
      today: '1997-07-01',
      definition: { horizonDays: 180 },
      forest: { nEstimators: 30 },
      dataDir: tw.dir,
    });
    assert.equal(r.selection!.folds.length, 0);
    assert.equal(r.model.file.predictor!.candidate, 'recency');
    assert.match(r.card!.reason, /no out-of-time validation was possible/);
    // CDNOW's first order is on 1997-01-01: 181 days before 1997-07-01, against 3 × 180 needed.
    const span = (Date.UTC(1997, 6, 1) - Date.UTC(1997, 0, 1)) / 86_400_000;
    assert.match(r.card!.reason, new RegExp(`three horizons \\(540 days\\).*${span} days before it \\(1997-01-01\\)`));
  });
});
