/**
 * Migration 020 re-bands score rows written before the lapsed band: a customer with no completed or
 * refunded order in the 365 days before the row's cutoff reads `lapsed`, whatever the probability.
 * Real engine; orders and old rows written here, the expected bands worked out by hand:
 *   run R1, cutoff 2024-03-11 (window [2023-03-12, 2024-03-11)):
 *     A 0.9 high,   order 2024-01-02            → high (active)
 *     B 0.8 high,   order 2022-05-01            → lapsed
 *     C 0.2 low,    no order                    → lapsed
 *     D 0.7 high,   order 2023-03-12 (first day) → high
 *     E 0.5 medium, order 2024-03-11 (the cutoff, not before it) → lapsed
 *     F 0.9 high,   refunded order 2024-02-01   → high (a refunded order was placed)
 *   run R2, cutoff 2022-06-01: B (order 2022-05-01) is active there → stays high
 *   pre-run churn_scores, cutoff 2024-03-11: B → lapsed, A → high
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrations } from '../../../lib/warehouse/migrations/index.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { lapsedBandStatements } from '../../../lib/warehouse/migrations/020-lapsed-band.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

let tw: TestWarehouse;
const ORDERS: [string, string, string][] = [
  ['A', '2024-01-02 12:00:00', 'completed'],
  ['B', '2022-05-01 10:00:00', 'completed'],
  ['D', '2023-03-12 00:00:00', 'completed'],
  ['E', '2024-03-11 08:00:00', 'completed'],
  ['F', '2024-02-01 09:00:00', 'refunded'],
];
const R1: [string, number, string][] = [
  ['A', 0.9, 'high'],
  ['B', 0.8, 'high'],
  ['C', 0.2, 'low'],
  ['D', 0.7, 'high'],
  ['E', 0.5, 'medium'],
  ['F', 0.9, 'high'],
];

before(async () => {
  tw = await startTestWarehouse();
  const ctx = { database: tw.warehouse.database };
  await applyMigrations(tw.warehouse.client, ctx, migrations.filter((m) => m.version < 20));
  const db = tw.warehouse.database;
  const version = 1;
  await tw.warehouse.client.insert({
    table: `${db}.transactions`,
    values: ORDERS.map(([id, date, status], i) => ({
      source: 'shop', transaction_id: `T${i}`, order_id: `T${i}`, customer_id: id, customer_ref: id, order_date: date, status, amount: 50,
      original_amount: 50, original_currency: 'EUR', quantity: 1, batch_id: 'b', row_hash: 1, version,
    })),
    format: 'JSONEachRow',
  });
  const row = (id: string, p: number, band: string, cutoff: string) => ({
    customer_id: id, probability: p, risk_band: band, top_reasons: [], model_version: 'old', cutoff, scored_at: `${cutoff} 07:00:00.000`,
  });
  await tw.warehouse.client.insert({
    table: `${db}.churn_scores_runs`,
    values: [...R1.map(([id, p, b]) => ({ run_id: 'R1', ...row(id, p, b, '2024-03-11') })), { run_id: 'R2', ...row('B', 0.8, 'high', '2022-06-01') }],
    format: 'JSONEachRow',
  });
  await tw.warehouse.client.insert({
    table: `${db}.churn_scores`,
    values: [row('A', 0.9, 'high', '2024-03-11'), row('B', 0.8, 'high', '2024-03-11')],
    format: 'JSONEachRow',
  });
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

test('old rows of customers with no placed order in the 365 days before their cutoff read lapsed; the rest keep their band; idempotent', async () => {
  const want = {
    'R1:A': 'high', 'R1:B': 'lapsed', 'R1:C': 'lapsed', 'R1:D': 'high', 'R1:E': 'lapsed', 'R1:F': 'high',
    'R2:B': 'high', 'pre:A': 'high', 'pre:B': 'lapsed',
  };
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  assert.deepEqual(await bands(), want);
  // Run again (a second migrate records it once; the statements themselves are safe to repeat).
  for (const statement of lapsedBandStatements({ database: tw.warehouse.database })) await tw.warehouse.client.command({ query: statement });
  assert.deepEqual(await bands(), want);
});

test('on a cluster the shards\' local tables are rewritten', () => {
  const [runs, pre] = lapsedBandStatements({ database: 'crm', cluster: 'c1' });
  assert.match(runs, /^ALTER TABLE crm\.churn_scores_runs_local ON CLUSTER c1 UPDATE/);
  assert.match(pre, /^ALTER TABLE crm\.churn_scores_local ON CLUSTER c1 UPDATE/);
});
