/**
 * Lapsed customers (stored by scoring as risk_band 'lapsed': no purchase in the churn model's active
 * window before the scores' as-of date, models/scoring/churn-rows.ts) are not alert candidates: the
 * run leaves them out and counts every lapsed customer of the owners it covers, and the digest says
 * how many — the stored state the churn page and the semantic layer read too. Real engine,
 * support.ts's fixture (every scored customer active) plus four customers written here:
 *   C-09 U-OWN-01 0.88 lapsed (last order 2022-05-01)          → counted for U-OWN-01
 *   C-10 U-OWN-02 0.30 lapsed (no order)                       → counted for U-OWN-02 (below the threshold too)
 *   C-11 U-OWN-02 0.70 lapsed (only order on the as-of day)    → counted for U-OWN-02
 *   C-12 U-OWN-02 0.75 active (order on the window's first day) → alerted
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadCandidates, loadLapsedCounts } from '../../alerts/candidates.ts';
import type { AlertsConfig } from '../../alerts/config.ts';
import { digestData, renderText, type Digest } from '../../alerts/digest.ts';
import { defaultRules, type AlertRules } from '../../alerts/rules.ts';
import { runAlerts } from '../../alerts/run.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import { insertFixture, setScores, truncateAlerts } from './support.ts';

let tw: TestWarehouse;
let dataDir: string;
const AS_OF = '2024-03-11';
const EXTRA = [
  { id: 'C-09', owner: 'U-OWN-01', name: 'Gone GmbH', p: 0.88, clv: 7000, reasons: [], orders: ['2022-05-01 10:00:00'], lapsed: true },
  { id: 'C-10', owner: 'U-OWN-02', name: 'Never Ltd', p: 0.3, clv: 100, reasons: [], orders: [], lapsed: true },
  { id: 'C-11', owner: 'U-OWN-02', name: 'Today AG', p: 0.7, clv: 3000, reasons: [], orders: ['2024-03-11 08:00:00'], lapsed: true },
  { id: 'C-12', owner: 'U-OWN-02', name: 'Edge Oy', p: 0.75, clv: 3000, reasons: [], orders: ['2023-03-12 00:00:00'], lapsed: false },
];

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await insertFixture(tw.warehouse);
  const db = tw.warehouse.database;
  const version = Date.now();
  await tw.warehouse.client.insert({
    table: `${db}.customers`,
    values: EXTRA.map((s) => ({ customer_id: s.id, customer_type: 'business', name: s.name, company: s.name, owner_id: s.owner, version })),
    format: 'JSONEachRow',
  });
  await setScores(tw.warehouse, EXTRA.map((s) => ({ ...s, reasons: [] })), '2024-03-11T07:00:00.000Z');
  await tw.warehouse.client.insert({
    table: `${db}.transactions`,
    values: EXTRA.flatMap((s) =>
      s.orders.map((date, i) => ({
        source: 'shop', transaction_id: `T-${s.id}-${i}`, order_id: `T-${s.id}-${i}`, customer_id: s.id, customer_ref: s.id, order_date: date,
        status: 'completed', amount: 50, original_amount: 50, original_currency: 'EUR', quantity: 1, batch_id: 'b', row_hash: 1, version,
      })),
    ),
    format: 'JSONEachRow',
  });
  dataDir = mkdtempSync(join(tmpdir(), 'crm-alerts-lapsed-'));
});
after(async () => {
  await tw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('lapsed customers, as stored, are not candidates; the counts per owner are the stored state', async () => {
  const c = await loadCandidates(tw.warehouse, { threshold: 0, owners: null, day: AS_OF });
  const ids = c.map((x) => x.customer_id);
  for (const gone of ['C-09', 'C-10', 'C-11']) assert.ok(!ids.includes(gone), ids.join(','));
  assert.ok(ids.includes('C-12'));
  assert.ok(c.every((x) => !x.lapsed));
  assert.deepEqual(Object.fromEntries(await loadLapsedCounts(tw.warehouse, null)), { 'U-OWN-01': 1, 'U-OWN-02': 2 });
  assert.deepEqual(Object.fromEntries(await loadLapsedCounts(tw.warehouse, ['U-OWN-02'])), { 'U-OWN-02': 2 });
});

test('a run leaves lapsed customers out of the alerts and counts them', async () => {
  const rules: AlertRules = { ...defaultRules({}), probabilityThreshold: 0.6, minValueAtRisk: 100, owners: ['U-OWN-01', 'U-OWN-02'] };
  const config: AlertsConfig = { dataDir, outboxDir: join(dataDir, 'outbox'), from: 'alerts@crm.example.test', webhookSecret: 's', publicUrl: 'https://crm.example.test' };
  const at = new Date('2024-03-11T07:00:00Z');
  const log: string[] = [];
  const r = await runAlerts({ warehouse: tw.warehouse, dataDir, config, rules, clock: new ManualClock(at), at, today: AS_OF, dryRun: true, rescore: false, log: (l) => log.push(l) });
  const alerted = r.deliveries.flatMap((d) => d.customers.map((x) => x.customerId));
  assert.ok(!alerted.includes('C-09') && !alerted.includes('C-11'), alerted.join(','));
  assert.ok(alerted.includes('C-12') && alerted.includes('C-01'), alerted.join(','));
  // Every lapsed customer of the included owners: C-09, C-10 and C-11 (whatever their probability).
  assert.equal(r.lapsed, 3);
  assert.deepEqual(r.lapsedRule, { activeWindowDays: 365, asOf: AS_OF });
  assert.ok(log.some((l) => l.includes('3 lapsed, not alerted (no purchase in the 365 days before 2024-03-11)')), log.join('\n'));
});

test('the digest says how many lapsed customers were left out', () => {
  const d: Digest = {
    deliveryId: 'd-1', messageId: 'm', ownerId: 'U-OWN-02', recipient: '', window: 'w', windowAt: new Date('2024-03-11T07:00:00Z'),
    plannedAt: new Date('2024-03-11T07:00:00Z'), items: [], more: 0, lapsed: { count: 3, activeWindowDays: 365, asOf: AS_OF },
  };
  assert.match(renderText(d), /3 customers with no purchase in the 365 days before 2024-03-11 are lapsed, not at risk/);
  assert.deepEqual(digestData(d).lapsed_left_out, { count: 3, active_window_days: 365, as_of: AS_OF });
  assert.equal(digestData({ ...d, lapsed: undefined }).lapsed_left_out, undefined);
});

test('an episode opened while the customer was active closes when they lapse, with that reason, once', async () => {
  // Before: the episode closed only when the probability fell below the threshold, and the model's
  // probability for a lapsed customer is an extrapolation that can stay high for good.
  await truncateAlerts(tw.warehouse);
  const db = tw.warehouse.database;
  const rules: AlertRules = { ...defaultRules({}), probabilityThreshold: 0.6, minValueAtRisk: 100, owners: ['U-OWN-02'] };
  const config: AlertsConfig = { dataDir, outboxDir: join(dataDir, 'outbox-episodes'), from: 'alerts@crm.example.test', webhookSecret: 's', publicUrl: 'https://crm.example.test' };
  const day = (n: number): Date => new Date(Date.parse('2024-03-11T07:00:00Z') + n * 86_400_000);
  const go = (at: Date) => runAlerts({ warehouse: tw.warehouse, dataDir, config, rules, clock: new ManualClock(at), at, today: AS_OF, rescore: false, log: () => {} });
  const closures = async () =>
    (await (await tw.warehouse.client.query({ query: `SELECT episode_id, reason, probability FROM ${db}.alert_episode_closures FINAL WHERE customer_id = 'C-12'`, format: 'JSONEachRow' })).json<{ episode_id: string; reason: string; probability: number }>());
  const edge = EXTRA.find((s) => s.id === 'C-12')!;

  const first = await go(day(0));
  assert.ok(first.deliveries.some((d) => d.customers.some((c) => c.customerId === 'C-12')), 'C-12 is alerted while active');
  const ledger = await (await tw.warehouse.client.query({ query: `SELECT DISTINCT episode_id FROM ${db}.alert_ledger FINAL WHERE customer_id = 'C-12'`, format: 'JSONEachRow' })).json<{ episode_id: string }>();
  assert.equal(ledger.length, 1);

  // Scoring now stores C-12 lapsed, its probability still above the threshold (0.95 ≥ 0.6).
  await setScores(tw.warehouse, [{ ...edge, p: 0.95, lapsed: true }], day(1).toISOString());
  const second = await go(day(1));
  assert.deepEqual(await closures(), [{ episode_id: ledger[0]!.episode_id, reason: 'lapsed', probability: 0.95 }]);
  assert.ok(!second.deliveries.some((d) => d.customers.some((c) => c.customerId === 'C-12')), 'a lapsed customer is not alerted again');

  // Idempotent: the next run finds the episode closed and writes nothing more.
  const third = await go(day(2));
  assert.equal(third.closedEpisodes, 0);
  assert.equal((await closures()).length, 1);

  // An active customer's episode still closes on the probability, with that reason.
  await setScores(tw.warehouse, [{ ...edge, p: 0.75, lapsed: false }], day(3).toISOString());
  const back = await go(day(3));
  assert.ok(back.deliveries.some((d) => d.customers.some((c) => c.customerId === 'C-12' && c.trigger === 'reopened')), 'active again: a new episode');
  await setScores(tw.warehouse, [{ ...edge, p: 0.4, lapsed: false }], day(4).toISOString());
  await go(day(4));
  assert.deepEqual((await closures()).map((c) => [c.reason, c.probability]).sort(), [['below_threshold', 0.4], ['lapsed', 0.95]]);
  await setScores(tw.warehouse, [edge], day(5).toISOString());
});
