/**
 * Short and small histories (a new user's first months, a B2B log of a hundred accounts): training
 * must not crash, must not ship a model the validation could not tell from chance as if validated,
 * and must say what it did and why. Real engine, real ingest; the expected figures (days of history,
 * the chance level from the folds' class counts) are computed here from the generated orders.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { ingestRecords } from '../../../ingest/index.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { modelCardHeadline } from '../../../models/churn/model-card.ts';
import { trainAndRegister } from '../../../models/churn/pipeline.ts';
import { cardHeadline, cardSummary, type ModelCardView } from '../../../web/src/lib/models/card.ts';
import { ChurnTrainingError } from '../../../models/churn/train.ts';
import { latestChurnModel } from '../../../models/churn/registry.ts';
import { resolveChurnHorizon } from '../../../models/churn/horizon.ts';
import { trainAndScore } from '../../../models/scoring/train-and-score.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Orders of `customers` buyers from `start` to `end`: each buys as a Poisson process with a mean gap
 * of `gapDays`; a share `leavers` stops for good on a uniform day. With leavers = 0 the past says
 * nothing about the next weeks (memoryless, one rate for all): no model can beat chance.
 */
function orders(seed: number, o: { customers: number; start: string; end: string; gapDays: number; leavers: number }) {
  const r = rng(seed);
  const s = Date.parse(`${o.start}T00:00:00Z`);
  const e = Date.parse(`${o.end}T00:00:00Z`);
  const rows: Record<string, string>[] = [];
  for (let c = 0; c < o.customers; c++) {
    const stop = r() < o.leavers ? s + r() * (e - s) : e;
    // The first order on the start day for everyone, so the history's first day is known exactly.
    let t = s + (c === 0 ? 0 : Math.floor(r() * 10) * DAY);
    while (t <= stop) {
      rows.push({
        transaction_id: `t${rows.length}`,
        customer_ref: `c${c}`,
        order_date: `${iso(t)}T12:00:00`,
        status: 'completed',
        amount: (20 + Math.floor(r() * 100)).toFixed(2),
      });
      t += Math.ceil(-Math.log(1 - r()) * o.gapDays) * DAY;
    }
  }
  return rows;
}

/**
 * `npm run models -- <args>` as its own process against the test's warehouse. Asynchronous: the
 * embedded endpoint answers on this process's event loop, so a synchronous spawn would deadlock.
 */
function modelsCli(tw: TestWarehouse, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'models/cli.ts', ...args], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      CLICKHOUSE_URL: tw.server.url,
      CLICKHOUSE_USER: tw.config.user,
      CLICKHOUSE_PASSWORD: tw.config.password,
      CLICKHOUSE_DATABASE: tw.config.database,
      CRM_DATA_DIR: tw.dir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** The chance level, recomputed here: 0.5 + 2 × the mean over folds of the Mann–Whitney null SD. */
function chance(folds: { evalRows: number; evalChurnRate: number }[]): number {
  let sum = 0;
  for (const f of folds) {
    const n1 = Math.round(f.evalRows * f.evalChurnRate);
    const n0 = f.evalRows - n1;
    sum += Math.sqrt((n0 + n1 + 1) / (12 * n0 * n1));
  }
  return 0.5 + (2 * sum) / folds.length;
}

async function warehouseWith(rows: Record<string, string>[]): Promise<TestWarehouse> {
  const tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  const r = await ingestRecords(tw.warehouse, 'transactions', rows, { source: 'shop', batchLabel: 'short-history' });
  assert.equal(r.rejected, 0, JSON.stringify(r.rejects.slice(0, 3)));
  return tw;
}

describe('a memoryless shop of ten weeks', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await warehouseWith(orders(7, { customers: 140, start: '2024-01-01', end: '2024-03-14', gapDays: 20, leavers: 0 }));
  });
  after(async () => {
    await tw?.close();
  });

  test('the 90-day horizon: refused with the days held, the days needed and a horizon that fits', async () => {
    const today = '2024-03-15';
    const held = Math.round((Date.parse(today) - Date.parse('2024-01-01')) / DAY); // 74
    await assert.rejects(
      trainAndRegister(tw.warehouse, { today, dataDir: tw.dir, forest: { nEstimators: 10 } }),
      (err: unknown) => {
        assert.ok(err instanceof ChurnTrainingError);
        assert.equal(err.code, 'HISTORY_TOO_SHORT');
        assert.match(err.message, /history too short for the 90-day churn horizon/);
        assert.ok(err.message.includes(`${held} days before ${today}`), err.message);
        assert.ok(err.message.includes(`--horizon ${Math.floor(held / 3)}`), err.message);
        assert.ok(err.message.includes('270 for out-of-time validation'), err.message);
        return true;
      },
    );
    // The CLI says the same and fails (nothing to publish).
    const cli = await modelsCli(tw, ['all', '--today', today]);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /error: history too short for the 90-day churn horizon/);
  });

  test('a horizon that fits: folds run, nothing beats chance, and the card says the recency baseline is not validated', async () => {
    const r = await trainAndRegister(tw.warehouse, {
      today: '2024-03-15',
      definition: { horizonDays: 24 },
      dataDir: tw.dir,
      forest: { nEstimators: 20 },
    });
    const sel = r.selection!;
    assert.ok(sel.folds.length >= 1, 'at least one fold fits in 74 days at a 24-day horizon');
    const level = chance(sel.folds);
    const best = Math.max(...sel.candidates.filter((c) => c.status === 'validated').map((c) => c.roc_auc));
    assert.ok(best < level, `memoryless data: best ${best} should be below the chance level ${level}`);
    assert.equal(sel.chosen.name, 'recency');
    assert.match(sel.reason, /^not validated: no candidate ranked customers better than chance/);
    assert.ok(sel.reason.includes(level.toFixed(3)), sel.reason);
    assert.ok(r.card!.warnings.includes(sel.reason), 'the card carries it among its warnings');
    assert.equal(r.card!.reason, sel.reason);
    // Wherever the headline is printed (Models and churn pages, digests) it says so; the churn page
    // does not claim held-out calibration.
    assert.equal(r.card!.validated, false);
    assert.match(modelCardHeadline(r.card!), /^recency: .*; not validated: a rule of thumb/);
    const view = JSON.parse(JSON.stringify(r.card)) as ModelCardView;
    assert.equal(cardHeadline(view), modelCardHeadline(r.card!));
    assert.equal(cardSummary(view).validated, false);
  });

  test('the horizon sticks: after `models all --horizon 24` the worker\'s run (trainAndScore, no horizon given) trains at 24 days and publishes', async () => {
    const today = '2024-03-15';
    const cli = await modelsCli(tw, ['all', '--today', today, '--horizon', '24', '--trees', '10']);
    assert.equal(cli.status, 0, cli.stderr.slice(-2000));
    const chosen = await latestChurnModel(tw.warehouse, tw.dir);
    assert.equal(chosen.file.definition.horizonDays, 24);
    // What the worker (alerts/run.ts defaultScore) and the first start call: no definition passed.
    const lines: string[] = [];
    const r = await trainAndScore(tw.warehouse, { today, dataDir: tw.dir, trees: 10, winloss: false, onProgress: (l) => lines.push(l) });
    assert.notEqual(r.churnModel.modelVersion, chosen.file.modelVersion, 'a new model was trained');
    const latest = await latestChurnModel(tw.warehouse, tw.dir);
    assert.equal(latest.file.modelVersion, r.churnModel.modelVersion);
    assert.equal(latest.file.definition.horizonDays, 24);
    assert.equal(r.run.status, 'published');
    assert.ok(lines.some((l) => l.startsWith(`churn horizon 24 days (the horizon of the latest churn model, ${chosen.file.modelVersion}`)), lines.join('\n'));
    // The variable overrides the model's horizon; an explicit option overrides both.
    assert.equal((await resolveChurnHorizon(tw.warehouse, { configured: 30, dataDir: tw.dir })).horizonDays, 30);
    assert.equal((await resolveChurnHorizon(tw.warehouse, { explicit: 20, configured: 30, dataDir: tw.dir })).horizonDays, 20);
    // The refusal names the variable.
    await assert.rejects(trainAndScore(tw.warehouse, { today, dataDir: tw.dir, trees: 10, winloss: false, definition: { horizonDays: 90 } }), /CRM_CHURN_HORIZON_DAYS=24/);
  });
});

describe('a small log with a real signal (200 customers, half of them leave)', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await warehouseWith(orders(11, { customers: 200, start: '2023-01-01', end: '2024-06-29', gapDays: 15, leavers: 0.5 }));
  });
  after(async () => {
    await tw?.close();
  });

  test('validation clears the chance level and the pick ships as validated', async () => {
    const r = await trainAndRegister(tw.warehouse, {
      today: '2024-06-30',
      dataDir: tw.dir,
      forest: { nEstimators: 20 },
      budgetSeconds: 5,
    });
    const sel = r.selection!;
    assert.ok(sel.folds.length >= 1);
    const best = Math.max(...sel.candidates.filter((c) => c.status === 'validated').map((c) => c.roc_auc));
    assert.ok(best >= chance(sel.folds), `best ${best} vs chance ${chance(sel.folds)}`);
    assert.doesNotMatch(sel.reason, /not validated/);
    assert.match(sel.reason, /out-of-time ROC-AUC|within the tie margin/);
    assert.equal(r.card!.validated, true);
    assert.doesNotMatch(modelCardHeadline(r.card!), /not validated/);
    assert.equal(cardSummary(JSON.parse(JSON.stringify(r.card)) as ModelCardView).validated, true);
  });

  test('`models all` on orders without deals: churn and CLV published, win/loss reported as skipped, exit 0; `winloss` alone fails', async () => {
    const all = await modelsCli(tw, ['all', '--today', '2024-06-30', '--trees', '10']);
    assert.equal(all.status, 0, all.stderr.slice(-2000));
    assert.match(all.stderr, /win\/loss model skipped: win\/loss model: 0 closed deals before 2024-06-30/);
    assert.match(all.stderr, /published: churn and CLV scores as of 2024-06-30/);
    const wl = await modelsCli(tw, ['winloss', '--today', '2024-06-30']);
    assert.equal(wl.status, 1);
    assert.match(wl.stderr, /error: win\/loss model: 0 closed deals/);
  });
});
