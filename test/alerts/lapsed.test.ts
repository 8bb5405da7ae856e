/**
 * Lapsed customers (no purchase in the churn model's active window before the scores' as-of date)
 * are not alert candidates: the run leaves them out and counts them, and the digest says how many.
 * Real engine, support.ts's fixture (every scored customer bought on 2024-01-02, C-05 also on
 * 2024-03-10 and 2024-03-11) plus three customers written here with their orders' dates:
 *   C-09 U-OWN-01 0.88, last order 2022-05-01            → lapsed at or above 0.6: counted
 *   C-10 U-OWN-02 0.30, no order                          → lapsed, below the threshold: not counted
 *   C-11 U-OWN-02 0.70, only order on 2024-03-11 (as-of) → lapsed: the window ends the day before
 *   C-12 U-OWN-02 0.75, order on 2023-03-12 = 2024-03-11 − 365 d → active (first day of the window)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadCandidates } from '../../alerts/candidates.ts';
import type { AlertsConfig } from '../../alerts/config.ts';
import { digestData, renderText, type Digest } from '../../alerts/digest.ts';
import { defaultRules, type AlertRules } from '../../alerts/rules.ts';
import { runAlerts } from '../../alerts/run.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import { insertFixture, setScores } from './support.ts';

let tw: TestWarehouse;
let dataDir: string;
const AS_OF = '2024-03-11';
const EXTRA = [
  { id: 'C-09', owner: 'U-OWN-01', name: 'Gone GmbH', p: 0.88, clv: 7000, reasons: [], orders: ['2022-05-01 10:00:00'] },
  { id: 'C-10', owner: 'U-OWN-02', name: 'Never Ltd', p: 0.3, clv: 100, reasons: [], orders: [] },
  { id: 'C-11', owner: 'U-OWN-02', name: 'Today AG', p: 0.7, clv: 3000, reasons: [], orders: ['2024-03-11 08:00:00'] },
  { id: 'C-12', owner: 'U-OWN-02', name: 'Edge Oy', p: 0.75, clv: 3000, reasons: [], orders: ['2023-03-12 00:00:00'] },
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

test('lapsed flag: no purchase in [as-of − 365 d, as-of)', async () => {
  const c = await loadCandidates(tw.warehouse, { threshold: 0, owners: null, day: AS_OF, asOf: AS_OF, activeWindowDays: 365 });
  const lapsed = c.filter((x) => x.lapsed).map((x) => x.customer_id).sort();
  assert.deepEqual(lapsed, ['C-09', 'C-10', 'C-11']);
  // A shorter window: C-12's order (364 days before) falls out, the fixture's 2024-01-02 orders stay in.
  const short = await loadCandidates(tw.warehouse, { threshold: 0, owners: null, day: AS_OF, asOf: AS_OF, activeWindowDays: 100 });
  assert.deepEqual(short.filter((x) => x.lapsed).map((x) => x.customer_id).sort(), ['C-09', 'C-10', 'C-11', 'C-12']);
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
  // At or above 0.6, owner included, lapsed: C-09 and C-11 (C-10 is below the threshold).
  assert.equal(r.lapsed, 2);
  assert.deepEqual(r.lapsedRule, { activeWindowDays: 365, asOf: AS_OF });
  assert.ok(log.some((l) => l.includes('2 lapsed left out (no purchase in the 365 days before 2024-03-11)')), log.join('\n'));
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
