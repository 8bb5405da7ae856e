/**
 * An alert run's data day is the product's as-of date (lib/as-of.ts): when the data ended more
 * than a week before the run, the run scores and reads as of the data's end, not the calendar;
 * CRM_AS_OF overrides both. Dry runs on the embedded engine against support.ts's fixture, whose
 * last paid order (C-05) is on 2024-03-11. Until issue 15 the test read the day through C-05's
 * 12-month revenue, which valued customers without a CLV; value at risk is now probability × CLV
 * everywhere, so the run reports its data day instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AlertsConfig } from '../../alerts/config.ts';
import { defaultRules, type AlertRules } from '../../alerts/rules.ts';
import { runAlerts } from '../../alerts/run.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import { insertFixture } from './support.ts';

let tw: TestWarehouse;
let dataDir: string;

const rules: AlertRules = {
  ...defaultRules({}),
  probabilityThreshold: 0.6,
  minValueAtRisk: 100,
  owners: ['U-OWN-01', 'U-OWN-02'],
};

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await insertFixture(tw.warehouse);
  dataDir = mkdtempSync(join(tmpdir(), 'crm-alerts-as-of-'));
});
after(async () => {
  await tw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function runAt(
  now: string,
  configuredAsOf?: string,
): Promise<{ day: string; c05: { valueAtRisk: number } | undefined; log: string[] }> {
  const config: AlertsConfig = {
    dataDir,
    outboxDir: join(dataDir, 'outbox'),
    from: 'alerts@crm.example.test',
    webhookSecret: 's',
    publicUrl: 'https://crm.example.test',
  };
  const log: string[] = [];
  const at = new Date(now);
  const r = await runAlerts({
    warehouse: tw.warehouse,
    dataDir,
    config,
    rules,
    clock: new ManualClock(at),
    at,
    dryRun: true,
    rescore: false,
    configuredAsOf,
    log: (l) => log.push(l),
  });
  const c05 = r.deliveries.flatMap((d) => d.customers).find((c) => c.customerId === 'C-05');
  return { day: r.dataDay, c05, log };
}

test('data that ended in the past: the last paid order’s day (2024-03-11)', async () => {
  const { day, c05, log } = await runAt('2024-06-01T07:00:00Z');
  assert.equal(day, '2024-03-11');
  // Value at risk is the same wherever it is read: probability × 12-month CLV (support.ts: 0.66 × 2,000).
  assert.equal(Math.round(c05?.valueAtRisk ?? NaN), 1320);
  assert.ok(
    log.some((l) => l.startsWith('data as of 2024-03-11: the data ends there')),
    log.join('\n'),
  );
  // The count is of customers who can be alerted (with an owner), and says so: on data without
  // owners "0 customers at or above 0.6" read as nobody at risk.
  assert.ok(
    log.some((l) => new RegExp(`^\\d+ customers with an owner at or above ${rules.probabilityThreshold};`).test(l)),
    log.join('\n'),
  );
});

test('current data (ended yesterday): the run’s own day', async () => {
  const { day, log } = await runAt('2024-03-12T07:00:00Z');
  assert.equal(day, '2024-03-12');
  assert.ok(!log.some((l) => l.startsWith('data as of')), 'nothing to say when the data is current');
});

test('CRM_AS_OF wins over both', async () => {
  const { day, log } = await runAt('2024-06-01T07:00:00Z', '2024-02-01');
  assert.equal(day, '2024-02-01');
  assert.ok(
    log.some((l) => l === 'data as of 2024-02-01 (CRM_AS_OF)'),
    log.join('\n'),
  );
});
