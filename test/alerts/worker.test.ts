/**
 * The worker: digests and model refreshes fire on the rules' cron schedule in the rules' time zone,
 * driven by an injected clock (no waiting), against the embedded engine, delivering to the outbox.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import type { AlertsConfig } from '../../alerts/config.ts';
import { listInbox } from '../../alerts/inbox.ts';
import { readRuns } from '../../alerts/ledger.ts';
import { defaultRules, readRules, writeRules } from '../../alerts/rules.ts';
import { startWorker } from '../../alerts/worker.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import { SCORES, insertFixture, setScores } from './support.ts';

let tw: TestWarehouse;
let wh: Warehouse;
let dataDir: string;

before(async () => {
  tw = await startTestWarehouse();
  wh = tw.warehouse;
  await applyMigrations(wh.client, { database: wh.database });
  await insertFixture(wh, '2024-03-09T00:00:00.000Z');
  dataDir = mkdtempSync(join(tmpdir(), 'crm-alerts-worker-'));
});

after(async () => {
  await tw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('digests go out at 07:00 New York time and the models are re-scored at 05:00, across the DST change', async () => {
  const config: AlertsConfig = {
    dataDir,
    outboxDir: join(dataDir, 'outbox'),
    from: 'alerts@crm.example.test',
    webhookSecret: 'x',
    publicUrl: 'https://crm.example.test',
  };
  assert.equal(existsSync(join(dataDir, 'alert-rules.json')), false);
  const clock = new ManualClock('2024-03-09T00:00:00Z');
  const lines: string[] = [];
  const rescored: string[] = [];
  const score = async (): Promise<void> => {
    const now = clock.now().toISOString();
    rescored.push(now);
    await setScores(wh, SCORES, now);
  };
  // Created with the defaults on first start; the admin then sets New York time.
  const worker0 = startWorker({ warehouse: wh, dataDir, config, clock, log: (l) => lines.push(l), score });
  assert.deepEqual(readRules(dataDir, {}), defaultRules({}));
  await worker0.close();
  writeRules(dataDir, { ...defaultRules({}), schedule: { cron: '0 7 * * *', timezone: 'America/New_York' }, owners: ['U-OWN-01', 'U-OWN-02'], minValueAtRisk: 100 }, {});

  const worker = startWorker({ warehouse: wh, dataDir, config, clock, log: (l) => lines.push(l), score });
  try {
    assert.deepEqual(
      Object.fromEntries(Object.entries(worker.nextRuns()).map(([k, v]) => [k, v?.toISOString()])),
      { alerts: '2024-03-09T12:00:00.000Z', rescore: '2024-03-09T10:00:00.000Z' },
    );

    clock.advanceTo('2024-03-09T09:59:59Z');
    await worker.idle();
    assert.deepEqual(rescored, []);
    clock.advanceTo('2024-03-09T10:00:00Z'); // 05:00 EST
    await worker.idle();
    assert.deepEqual(rescored, ['2024-03-09T10:00:00.000Z']);

    clock.advanceTo('2024-03-09T11:59:59Z');
    await worker.idle();
    assert.equal((await readRuns(wh)).length, 0);
    clock.advanceTo('2024-03-09T12:00:00Z'); // 07:00 EST
    await worker.idle();
    let runs = await readRuns(wh);
    assert.deepEqual(runs.map((r) => [r.run_window, r.trigger, r.new_episodes, r.deliveries_sent, r.rescored]), [['2024-03-09T12:00:00.000Z', 'schedule', 4, 2, false]]);
    const inbox = await listInbox(dataDir, 'U-OWN-01');
    assert.deepEqual(inbox.map((m) => [m.run_window, m.customers.map((c) => c.customer_id)]), [['2024-03-09T12:00:00.000Z', ['C-01', 'C-02']]]);
    assert.ok(readdirSync(join(dataDir, 'outbox', 'U-OWN-01'))[0].startsWith('20240309T120000Z-'));

    // Sunday 10 March: clocks go forward in New York; 05:00 and 07:00 EDT are 09:00 and 11:00 UTC.
    clock.advanceTo('2024-03-10T08:59:59Z');
    await worker.idle();
    assert.equal(rescored.length, 1);
    clock.advanceTo('2024-03-10T09:00:00Z');
    await worker.idle();
    assert.deepEqual(rescored, ['2024-03-09T10:00:00.000Z', '2024-03-10T09:00:00.000Z']);
    clock.advanceTo('2024-03-10T10:59:59Z');
    await worker.idle();
    assert.equal((await readRuns(wh)).length, 1);
    clock.advanceTo('2024-03-10T11:00:00Z');
    await worker.idle();
    runs = await readRuns(wh);
    assert.deepEqual(runs.map((r) => [r.run_window, r.new_episodes, r.deliveries_sent]), [['2024-03-10T11:00:00.000Z', 0, 0], ['2024-03-09T12:00:00.000Z', 4, 2]]);
    assert.equal(worker.nextRuns().alerts?.toISOString(), '2024-03-11T11:00:00.000Z');

    // The admin moves the digest to 06:30 Berlin time: picked up within a minute.
    writeRules(dataDir, { ...readRules(dataDir, {}), schedule: { cron: '30 6 * * *', timezone: 'Europe/Berlin' } }, {});
    clock.advance(60_000);
    assert.equal(worker.nextRuns().alerts?.toISOString(), '2024-03-11T05:30:00.000Z');

    // runNow: the last scheduled window (06:30 Berlin on 10 March); nothing new to say.
    const now = await worker.runNow();
    assert.equal(now.window, '2024-03-10T05:30:00.000Z');
    assert.equal(now.deliveries.length, 0);
    assert.equal((await readRuns(wh))[0].trigger, 'manual');
    assert.ok(lines.some((l) => l.includes('alerts: daily at 07:00 America/New_York')));
  } finally {
    await worker.close();
  }
  assert.equal(clock.pending(), 0, 'no timer left after close');
  await assert.rejects(worker.runNow(), /closed/);
});

test('a broken rules file does not stop the worker from starting; digests wait until it is fixed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-alerts-broken-'));
  try {
    writeFileSync(join(dir, 'alert-rules.json'), '{ "probabilityThreshold": 7 }');
    const clock = new ManualClock('2024-03-09T00:00:00Z');
    const lines: string[] = [];
    const config: AlertsConfig = { dataDir: dir, outboxDir: join(dir, 'outbox'), from: 'a@x', webhookSecret: 'x', publicUrl: 'http://x' };
    const worker = startWorker({ warehouse: wh, dataDir: dir, config, clock, log: (l) => lines.push(l), score: async () => {} });
    assert.deepEqual(worker.nextRuns(), { alerts: null, rescore: null });
    assert.ok(lines.some((l) => /probabilityThreshold/.test(l)));
    writeRules(dir, defaultRules({}), {});
    clock.advance(60_000);
    assert.equal(worker.nextRuns().alerts?.toISOString(), '2024-03-09T07:00:00.000Z');
    await worker.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
