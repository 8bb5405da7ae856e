/**
 * What a digest says its figures rest on. The scores' day (numbers a user could misread, ninth pass,
 * 2026-12-07): the digest named only the run's day, so on data that ended in the past "no purchase
 * for 54 days" and the churn probability read as counted to the run's day. And the model line: it
 * says how the probabilities were calibrated as the churn page says it
 * (numbers a user could misread, ninth pass, 2026-12-07). A model shipped because validation could
 * not choose (a short or small history: short-history.test.ts trains one) has probabilities fitted
 * on its training cutoff; the churn page said so, the digest still wrote "Probabilities are
 * calibrated on held-out periods" under a headline that said "not validated". Real engine,
 * support.ts's fixture, a stored model card, a real run to the outbox and its .eml read back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AlertsConfig } from '../../alerts/config.ts';
import { defaultRules, type AlertRules } from '../../alerts/rules.ts';
import { runAlerts } from '../../alerts/run.ts';
import { saveModelCard, type ModelCard } from '../../models/churn/model-card.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import { insertFixture, textPart, truncateAlerts } from './support.ts';

let tw: TestWarehouse;
let dataDir: string;
const AS_OF = '2024-03-11';

/** A churn card as training stores it; `validated` and the folds as select.ts decides them. */
function card(version: string, validated: boolean, createdAt: string): ModelCard {
  const fold = { cutoff: '2024-01-01', rows: 40, churned: 12 };
  return {
    modelVersion: version,
    model: 'churn',
    createdAt,
    dataStart: '2023-01-01',
    asOf: AS_OF,
    trainCutoff: '2023-12-12',
    trainCutoffs: ['2023-12-12'],
    horizonDays: 90,
    activeWindowDays: 365,
    definition: 'no completed purchase in the 90 days after the cutoff',
    trainRows: 40,
    churnRate: 0.3,
    chosen: 'recency',
    chosenDescription: 'days since the last purchase',
    reason: validated ? 'recency has the best mean out-of-time ROC-AUC' : 'not validated: no candidate ranked customers better than chance out of time',
    validated,
    rocAuc: validated ? 0.74 : 0.52,
    prAuc: 0.4,
    brier: 0.2,
    bestBaseline: 'recency',
    bestBaselineRocAuc: validated ? 0.74 : 0.52,
    folds: [fold] as unknown as ModelCard['folds'],
    candidates: [],
    calibration: { a: 1, b: 0 } as unknown as ModelCard['calibration'],
    calibrationPoints: [],
    topFeatures: [],
    warnings: [],
    selectionSeconds: 1,
  };
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await insertFixture(tw.warehouse);
  dataDir = mkdtempSync(join(tmpdir(), 'crm-alerts-model-line-'));
});
after(async () => {
  await tw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A real run to a fresh outbox (at AS_OF, or at `at` with the as-of date found from the data); the text part of U-OWN-01's digest. */
async function digestText(outbox: string, at = new Date(`${AS_OF}T07:00:00Z`)): Promise<string> {
  await truncateAlerts(tw.warehouse);
  const rules: AlertRules = { ...defaultRules({}), probabilityThreshold: 0.6, minValueAtRisk: 100, owners: ['U-OWN-01'] };
  const config: AlertsConfig = { dataDir, outboxDir: join(dataDir, outbox), from: 'alerts@crm.example.test', webhookSecret: 's', publicUrl: 'https://crm.example.test' };
  const today = at.toISOString().startsWith(AS_OF) ? AS_OF : undefined;
  const r = await runAlerts({ warehouse: tw.warehouse, dataDir, config, rules, clock: new ManualClock(at), at, today, rescore: false, log: () => {} });
  assert.deepEqual(
    r.deliveries.map((d) => [d.ownerId, d.outcome]),
    [['U-OWN-01', 'sent']],
  );
  const dir = join(dataDir, outbox, 'U-OWN-01');
  const [eml] = readdirSync(dir).filter((f) => f.endsWith('.eml'));
  return textPart(readFileSync(join(dir, eml), 'utf8'));
}

test('an unvalidated model: the digest does not claim held-out calibration', async () => {
  await saveModelCard(tw.warehouse, card('churn-unvalidated', false, '2024-03-11 03:00:00.000'));
  const text = await digestText('outbox-unvalidated');
  assert.match(text, /Churn model recency: ROC-AUC 0\.520 \(1 out-of-time fold, 90-day horizon\); not validated: a rule of thumb/);
  assert.match(text, /Probabilities are calibrated on its training cutoff, not on held-out periods\./);
  assert.doesNotMatch(text, /Probabilities are calibrated on held-out periods/);
});

test('a validated model: the digest says its probabilities are calibrated on held-out periods', async () => {
  // Newer than the unvalidated card: the one latestModelCard reads (no published run in the fixture).
  await saveModelCard(tw.warehouse, card('churn-validated', true, '2024-03-11 04:00:00.000'));
  const text = await digestText('outbox-validated');
  assert.match(text, /Churn model recency: ROC-AUC 0\.740 \(1 out-of-time fold, 90-day horizon\)\. Probabilities are calibrated on held-out periods\./);
  assert.doesNotMatch(text, /not validated/);
});

test('a run months after the data ends: the digest says the day the scores are as of, and what the probability is of', async () => {
  // The fixture's last paid order, read here from the facts: the as-of date the run finds (lib/as-of.ts).
  const [last] = await (
    await tw.warehouse.client.query({
      query: `SELECT toString(max(toDate(order_date))) AS day FROM ${tw.warehouse.database}.transactions WHERE status = 'completed'`,
      format: 'JSONEachRow',
    })
  ).json<{ day: string }>();
  assert.equal(last.day, AS_OF);
  const text = await digestText('outbox-later', new Date('2024-06-01T07:00:00Z'));
  assert.match(text, /run of 2024-06-01 07:00 UTC/);
  // The horizon is the stored card's (90 days).
  assert.ok(
    text.includes(`Scores as of ${last.day}: each churn probability is the chance of no completed purchase in the 90 days after it, and days without a purchase are counted to it.`),
    text,
  );
});
