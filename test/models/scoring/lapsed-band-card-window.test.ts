/**
 * Migration 022: rows of a model whose card names its active window are banded at that window, not
 * at migration 020's default 365 days. Real engine; orders, cards and old rows written here, the
 * expected bands worked out by hand (cutoff 2024-03-11):
 *   A order 2024-01-02 (69 days before), B order 2022-05-01 (680 days), C no order,
 *   D order 2023-03-12 (365 days: the 365-day window's first day).
 *   model w730 (card window 730), run R730: B 0.8 high → 020 lapsed → high again (in 730 days);
 *     C 0.2 low → lapsed; A 0.9 high → high.
 *   model w180 (card window 180), run R180: A 0.9 → high; D 0.7 high → lapsed (365 > 180 days).
 *   model nocard (no card), run RNC: B 0.8 → lapsed (365 days, as 020 left it).
 *   model w365 (card window 365), run R365: B 0.8 → lapsed (020's rule is its rule).
 *   pre-run churn_scores of w730: B 0.45 medium → 020 lapsed → medium again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrations } from '../../../lib/warehouse/migrations/index.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { lapsedBandCardWindowStatements, REBAND_THRESHOLDS } from '../../../lib/warehouse/migrations/022-lapsed-band-card-window.ts';
import { RISK_THRESHOLDS } from '../../../models/scoring/churn-rows.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

let tw: TestWarehouse;
const CUTOFF = '2024-03-11';
const ORDERS: [string, string][] = [
  ['A', '2024-01-02 12:00:00'],
  ['B', '2022-05-01 10:00:00'],
  ['D', '2023-03-12 00:00:00'],
];

before(async () => {
  tw = await startTestWarehouse();
  const db = tw.warehouse.database;
  await applyMigrations(tw.warehouse.client, { database: db }, migrations.filter((m) => m.version < 20));
  await tw.warehouse.client.insert({
    table: `${db}.transactions`,
    values: ORDERS.map(([id, date], i) => ({
      source: 'shop', transaction_id: `T${i}`, order_id: `T${i}`, customer_id: id, customer_ref: id, order_date: date, status: 'completed', amount: 50,
      original_amount: 50, original_currency: 'EUR', quantity: 1, batch_id: 'b', row_hash: 1, version: 1,
    })),
    format: 'JSONEachRow',
  });
  await tw.warehouse.client.insert({
    table: `${db}.model_cards`,
    values: [
      ['w730', { activeWindowDays: 730, horizonDays: 90 }],
      ['w180', { activeWindowDays: 180, horizonDays: 90 }],
      ['w365', { activeWindowDays: 365, horizonDays: 90 }],
      ['nowindow', { horizonDays: 90 }],
    ].map(([v, card]) => ({ model_version: v, model: 'churn', created_at: '2024-03-11 06:00:00.000', as_of: CUTOFF, card: JSON.stringify(card) })),
    format: 'JSONEachRow',
  });
  const row = (run: string, model: string, id: string, p: number, band: string) => ({
    run_id: run, customer_id: id, probability: p, risk_band: band, top_reasons: [], model_version: model, cutoff: CUTOFF, scored_at: `${CUTOFF} 07:00:00.000`,
  });
  await tw.warehouse.client.insert({
    table: `${db}.churn_scores_runs`,
    values: [
      row('R730', 'w730', 'A', 0.9, 'high'), row('R730', 'w730', 'B', 0.8, 'high'), row('R730', 'w730', 'C', 0.2, 'low'),
      row('R180', 'w180', 'A', 0.9, 'high'), row('R180', 'w180', 'D', 0.7, 'high'),
      row('RNC', 'nocard', 'B', 0.8, 'high'), row('RNW', 'nowindow', 'B', 0.8, 'high'), row('R365', 'w365', 'B', 0.8, 'high'),
    ],
    format: 'JSONEachRow',
  });
  const { run_id: _, ...pre } = row('', 'w730', 'B', 0.45, 'medium');
  await tw.warehouse.client.insert({ table: `${db}.churn_scores`, values: [pre], format: 'JSONEachRow' });
});
after(() => tw?.close());

async function bands(): Promise<Record<string, string>> {
  const db = tw.warehouse.database;
  const rs = await tw.warehouse.client.query({
    query: `SELECT concat(run_id, ':', customer_id) AS k, risk_band FROM ${db}.churn_scores_runs
            UNION ALL SELECT concat('pre:', customer_id) AS k, risk_band FROM ${db}.churn_scores FINAL ORDER BY k`,
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await rs.json<{ k: string; risk_band: string }>()).map((r) => [r.k, r.risk_band]));
}

test("rows are banded at their model card's window; without a window at 365; idempotent", async () => {
  const want = {
    'R730:A': 'high', 'R730:B': 'high', 'R730:C': 'lapsed',
    'R180:A': 'high', 'R180:D': 'lapsed',
    'RNC:B': 'lapsed', 'RNW:B': 'lapsed', 'R365:B': 'lapsed',
    'pre:B': 'medium',
  };
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  assert.deepEqual(await bands(), want);
  for (const statement of lapsedBandCardWindowStatements({ database: tw.warehouse.database })) await tw.warehouse.client.command({ query: statement });
  assert.deepEqual(await bands(), want);
});

test("the bands given back are scoring's thresholds; on a cluster the shards' local tables are rewritten", () => {
  assert.deepEqual({ ...REBAND_THRESHOLDS }, { ...RISK_THRESHOLDS });
  const [runs, pre] = lapsedBandCardWindowStatements({ database: 'crm', cluster: 'c1' });
  assert.match(runs!, /^ALTER TABLE crm\.churn_scores_runs_local ON CLUSTER c1 UPDATE/);
  assert.match(pre!, /^ALTER TABLE crm\.churn_scores_local ON CLUSTER c1 UPDATE/);
  assert.match(runs!, /allow_nondeterministic_mutations = 1/);
});
