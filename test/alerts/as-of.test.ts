/**
 * An alert run's data day is the product's as-of date (lib/as-of.ts): when the data ended more
 * than a week before the run, the 12-month revenue that values a customer without a CLV score is
 * counted back from the data's end, not from the calendar; CRM_AS_OF overrides both. Dry runs on
 * the embedded engine against support.ts's fixture (C-05, owner U-OWN-02, no CLV: its value at
 * risk is its completed revenue in the 365 days before the data day).
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

// C-05's order lines as support.ts writes them: [day, status, amount].
const C05: [string, string, number][] = [
  ['2023-06-01', 'completed', 1000],
  ['2024-03-10', 'completed', 234.5],
  ['2024-01-15', 'refunded', 500],
  ['2023-03-10', 'completed', 9999],
  ['2024-03-11', 'completed', 7777],
];
/** Completed revenue in [day − 365 d, day), computed here from the list above. */
function revenue12m(day: string): number {
  const end = Date.parse(`${day}T00:00:00Z`);
  const start = end - 365 * 86_400_000;
  return C05.filter(
    ([d, s]) => s === 'completed' && Date.parse(`${d}T00:00:00Z`) >= start && Date.parse(`${d}T00:00:00Z`) < end,
  ).reduce((a, [, , v]) => a + v, 0);
}

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

async function c05ValueAt(now: string, configuredAsOf?: string): Promise<{ value: number | undefined; log: string[] }> {
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
  const value = r.deliveries.flatMap((d) => d.customers).find((c) => c.customerId === 'C-05')?.valueAtRisk;
  return { value, log };
}

test('data that ended in the past: revenue counted back from the last paid order’s day (2024-03-11)', async () => {
  const { value, log } = await c05ValueAt('2024-06-01T07:00:00Z');
  assert.equal(value, revenue12m('2024-03-11'));
  assert.equal(value, 1234.5);
  assert.notEqual(value, revenue12m('2024-06-01'), 'the calendar day would count other orders');
  assert.ok(
    log.some((l) => l.startsWith('data as of 2024-03-11: the data ends there')),
    log.join('\n'),
  );
});

test('current data (ended yesterday): the run’s own day', async () => {
  const { value, log } = await c05ValueAt('2024-03-12T07:00:00Z');
  assert.equal(value, revenue12m('2024-03-12'));
  assert.equal(value, 9011.5);
  assert.ok(!log.some((l) => l.startsWith('data as of')), 'nothing to say when the data is current');
});

test('CRM_AS_OF wins over both', async () => {
  const { value, log } = await c05ValueAt('2024-06-01T07:00:00Z', '2024-02-01');
  assert.equal(value, revenue12m('2024-02-01'));
  assert.equal(value, 10999);
  assert.ok(
    log.some((l) => l === 'data as of 2024-02-01 (CRM_AS_OF)'),
    log.join('\n'),
  );
});
