/**
 * Model runs publish atomically (issue 17, item 7). A first run (A) is published; then scoring runs
 * are killed (a real `npm run models -- score` child process, SIGKILL) after its churn scores are
 * written and in the middle of its CLV inserts, and one is aborted in process. In every state the
 * SQL readers (the `_current` views), the alerts' candidate query and the semantic layer (a real
 * Cube) show run A's scores and nothing else — each customer's probability and CLV equal A's rows as
 * read from the run table before anything else ran. Then the start's data preparation (the same
 * prepareData `npm start` runs) finds the killed runs, marks them interrupted, retries, and the
 * retry publishes: every reader switches to it whole, the dead runs' rows are gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { loadFixture } from '../../../models/churn/synthetic-history.ts';
import { trainAndScore } from '../../../models/scoring/train-and-score.ts';
import { listRuns, publishedRun, type ModelRunRecord } from '../../../models/scoring/runs.ts';
import { loadCandidates } from '../../../alerts/candidates.ts';
import { prepareData } from '../../../bin/prepare-data.ts';
import { refreshDerived } from '../../../semantic/derived/refresh.ts';
import { DATA_VERSION_RENEWAL_SECONDS } from '../../../semantic/refresh-keys.ts';
import { startSemanticServer, type SemanticServer } from '../../../semantic/server.ts';
import { issueToken } from '../../../semantic/security/auth.ts';
import { setWebContext, type WebContext } from '../../../web/src/lib/server/context.ts';
import { modelRunStatus } from '../../../web/src/lib/models/run.server.ts';
import { latestNotice } from '../../../web/src/lib/models/run.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const TODAY = '2025-01-01';
const CUSTOMERS = 500;
const OWNER = 'U-OWN-1';

let tw: TestWarehouse;
let semantic: SemanticServer;
let secret: string;
/** Run A as written: customer → [churn probability, 12-month CLV]. */
let runA: string;
let scoresA: Map<string, { p: number; clv: number; lapsed?: boolean }>;

const q = async <T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> =>
  (await tw.warehouse.client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();

async function runScores(runId: string): Promise<Map<string, { p: number; clv: number; lapsed?: boolean }>> {
  const rows = await q<{ customer_id: string; p: number; clv: number; lapsed: number }>(
    `SELECT c.customer_id AS customer_id, c.probability AS p, v.clv_12m AS clv, c.risk_band = 'lapsed' AS lapsed
     FROM (SELECT customer_id, probability, risk_band FROM churn_scores_runs WHERE run_id = {run:String}) AS c
     INNER JOIN (SELECT customer_id, clv_12m FROM clv_scores_runs WHERE run_id = {run:String}) AS v ON v.customer_id = c.customer_id`,
    { run: runId },
  );
  return new Map(rows.map((r) => [r.customer_id, { p: Number(r.p), clv: Number(r.clv), lapsed: Number(r.lapsed) === 1 }]));
}

/** Every reader shows exactly `expected`'s scores (run id, probability and CLV per customer). */
async function assertReadersShow(
  runId: string,
  expected: Map<string, { p: number; clv: number; lapsed?: boolean }>,
  label: string,
  previous?: Map<string, { p: number; clv: number; lapsed?: boolean }>,
): Promise<void> {
  // SQL readers: the views.
  const churn = await q<{ run_id: string; customer_id: string; probability: number }>('SELECT run_id, customer_id, probability FROM churn_scores_current');
  const clv = await q<{ run_id: string; customer_id: string; clv_12m: number }>('SELECT run_id, customer_id, clv_12m FROM clv_scores_current');
  assert.deepEqual([...new Set(churn.map((r) => r.run_id))], [runId], `${label}: churn_scores_current runs`);
  assert.deepEqual([...new Set(clv.map((r) => r.run_id))], [runId], `${label}: clv_scores_current runs`);
  assert.equal(churn.length, expected.size, `${label}: churn rows`);
  assert.equal(clv.length, expected.size, `${label}: clv rows`);
  for (const r of churn) assert.equal(Number(r.probability), expected.get(r.customer_id)?.p, `${label}: churn of ${r.customer_id}`);
  for (const r of clv) assert.equal(Number(r.clv_12m), expected.get(r.customer_id)?.clv, `${label}: CLV of ${r.customer_id}`);
  const [current] = await q<{ run_id: string }>('SELECT run_id FROM model_run_current');
  assert.equal(current?.run_id, runId, `${label}: model_run_current`);

  // The alerts read the published run only: every candidate's probability and CLV are the run's
  // (lapsed customers, as the run stored them, are never candidates).
  const candidates = await loadCandidates(tw.warehouse, { threshold: 0, owners: null, day: TODAY });
  assert.equal(candidates.length, [...expected.values()].filter((e) => !e.lapsed).length, `${label}: alert candidates`);
  for (const c of candidates) {
    const want = expected.get(c.customer_id);
    assert.equal(c.probability, want?.p, `${label}: alert probability of ${c.customer_id}`);
    assert.equal(c.clv_12m, want?.clv, `${label}: alert CLV of ${c.customer_id}`);
  }

  // The semantic layer: per customer, and the value at risk the pages show, against the sum here.
  // Cube re-reads its data-version key at most every DATA_VERSION_RENEWAL_SECONDS, so right after
  // a publish it may still answer from the run before: that answer must be that run WHOLE (never
  // mixed), and the new run must show within a few renewals.
  const token = issueToken({ role: 'admin', name: 'Test admin', secret });
  const deadline = Date.now() + 6 * DATA_VERSION_RENEWAL_SECONDS * 1000;
  for (;;) {
    const data = await cubeScores(token, label);
    if (previous && Date.now() < deadline && data.length === previous.size && data.every((row) => sameScore(row, previous.get(row['customer_risk.customer_id'])))) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    assertCubeShows(data, expected, label);
    return;
  }
}

async function cubeScores(token: string, label: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${semantic.url}/v1/load`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: {
        dimensions: ['customer_risk.customer_id', 'customer_risk.churn_probability', 'customer_risk.predicted_clv'],
        measures: ['customer_risk.value_at_risk'],
        limit: 10_000,
        renewQuery: true,
      },
    }),
  });
  assert.equal(res.status, 200, `${label}: Cube answered ${res.status}`);
  return ((await res.json()) as { data: Record<string, string>[] }).data;
}

const sameScore = (row: Record<string, string>, want: { p: number; clv: number } | undefined): boolean =>
  !!want && Math.abs(Number(row['customer_risk.churn_probability']) - want.p) < 1e-9 && Math.abs(Number(row['customer_risk.predicted_clv']) - want.clv) < 1e-6;

function assertCubeShows(data: Record<string, string>[], expected: Map<string, { p: number; clv: number; lapsed?: boolean }>, label: string): void {
  assert.equal(data.length, expected.size, `${label}: Cube rows`);
  let valueAtRisk = 0;
  for (const row of data) {
    const want = expected.get(row['customer_risk.customer_id']);
    assert.ok(want, `${label}: Cube shows ${row['customer_risk.customer_id']}, not in the run`);
    assert.ok(Math.abs(Number(row['customer_risk.churn_probability']) - want.p) < 1e-9, `${label}: Cube churn of ${row['customer_risk.customer_id']}`);
    assert.ok(Math.abs(Number(row['customer_risk.predicted_clv']) - want.clv) < 1e-6, `${label}: Cube CLV of ${row['customer_risk.customer_id']}`);
    valueAtRisk += Number(row['customer_risk.value_at_risk']);
  }
  // Value at risk covers active customers: a lapsed one's probability is an extrapolation (cdae0ec).
  const expectedVar = [...expected.values()].filter((s) => !s.lapsed).reduce((a, s) => a + s.p * s.clv, 0);
  assert.ok(Math.abs(valueAtRisk - expectedVar) <= 1e-6 * Math.max(1, expectedVar), `${label}: value at risk ${valueAtRisk} vs ${expectedVar}`);
}

/**
 * `npm run models -- score` as its own process against this warehouse, SIGKILLed as soon as its
 * progress shows `killAt`. The embedded endpoint answers on this process's event loop, so the kill
 * (sent from the stderr handler) lands before the child's next request is served.
 */
async function killScoringAt(killAt: RegExp): Promise<{ seen: string; runId: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'models/cli.ts', 'score', '--today', TODAY, '--batch-size', '50'], {
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
  let text = '';
  let seen = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    text += chunk;
    const m = killAt.exec(text);
    if (m && !seen) {
      seen = m[0];
      child.kill('SIGKILL');
    }
  });
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `the scoring child ended by itself before "${killAt}":\n${text}`);
  const runId = /model run (run-\S+) started/.exec(text)?.[1];
  assert.ok(runId, `no run id in the child's log:\n${text}`);
  return { seen, runId };
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadFixture(tw.warehouse, { customers: CUSTOMERS, today: TODAY });
  // Alerts go to account owners: give every fixture customer one.
  await tw.warehouse.client.command({ query: `ALTER TABLE customers UPDATE owner_id = '${OWNER}' WHERE 1`, clickhouse_settings: { mutations_sync: '2' } });
  await refreshDerived(tw.warehouse.client, tw.warehouse.database);
  const a = await trainAndScore(tw.warehouse, { today: TODAY, trees: 10, evaluate: false, dataDir: tw.dir, winloss: false });
  runA = a.run.run_id;
  scoresA = await runScores(runA);
  setWebContext({ warehouse: { client: tw.warehouse.client, database: tw.warehouse.database } } as WebContext);
  secret = randomBytes(24).toString('base64url');
  semantic = await startSemanticServer({
    // Cube's own least-privileged user, as in production: the _current views must be readable to it.
    warehouse: { url: tw.warehouse.url, ...tw.users.semantic, database: tw.config.database },
    apiSecret: secret,
    port: 0,
    log: () => {},
  });
});

after(async () => {
  setWebContext(undefined);
  await semantic?.close();
  await tw?.close();
});

describe('an interrupted scoring run never shows', () => {
  const killed: string[] = [];

  test('run A is published with a score for every buyer, and every reader shows it', async () => {
    assert.ok(scoresA.size > CUSTOMERS * 0.8, `${scoresA.size} scored customers`);
    const published = await publishedRun(tw.warehouse);
    assert.equal(published?.run_id, runA);
    assert.equal(published?.churn_customers, scoresA.size);
    await assertReadersShow(runA, scoresA, 'after A');
  });

  test('killed after its churn scores were written: readers still show A only', async () => {
    const { runId } = await killScoringAt(/churn scores written/);
    killed.push(runId);
    const [held] = await q<{ churn: string; clv: string }>(
      'SELECT (SELECT count() FROM churn_scores_runs WHERE run_id = {r:String}) AS churn, (SELECT count() FROM clv_scores_runs WHERE run_id = {r:String}) AS clv',
      { r: runId },
    );
    assert.equal(Number(held.churn), scoresA.size, 'the killed run wrote all its churn scores');
    assert.equal(Number(held.clv), 0, 'and no CLV yet');
    await assertReadersShow(runA, scoresA, 'killed after churn');
  });

  test('killed in the middle of its CLV inserts: readers still show A only', async () => {
    const { runId } = await killScoringAt(/CLV at[\s\S]*scored 50\//);
    killed.push(runId);
    const [held] = await q<{ clv: string }>('SELECT count() AS clv FROM clv_scores_runs WHERE run_id = {r:String}', { r: runId });
    assert.ok(Number(held.clv) > 0 && Number(held.clv) < scoresA.size, `the killed run wrote ${held.clv} of ${scoresA.size} CLV rows`);
    await assertReadersShow(runA, scoresA, 'killed mid-CLV');
    const running = (await listRuns(tw.warehouse)).filter((r) => r.status === 'running').map((r) => r.run_id).sort();
    assert.deepEqual(running, [...killed].sort(), 'both killed runs are still recorded as running');
    // The dashboard names the published run and says a newer one is in progress (it cannot know yet).
    const status = await modelRunStatus();
    assert.equal(status.published?.runId, runA);
    assert.equal(status.latest?.runId, runId);
    assert.equal(latestNotice(status)?.tone, 'info');
  });

  test('aborted in process after its churn scores: marked failed, its rows dropped, readers show A', async () => {
    const abort = new AbortController();
    await assert.rejects(
      trainAndScore(tw.warehouse, {
        today: TODAY,
        trees: 10,
        evaluate: false,
        dataDir: tw.dir,
        winloss: false,
        signal: abort.signal,
        onProgress: (line) => {
          if (/churn scores written/.test(line)) abort.abort(new Error('stopped by the test'));
        },
      }),
      /stopped by the test/,
    );
    const failed = (await listRuns(tw.warehouse)).find((r) => r.status === 'failed');
    assert.ok(failed, 'the aborted run is recorded failed');
    assert.equal(failed.phase, 'churn-scored');
    assert.match(failed.detail, /stopped by the test/);
    const [left] = await q<{ n: string }>('SELECT count() AS n FROM churn_scores_runs WHERE run_id = {r:String}', { r: failed.run_id });
    assert.equal(Number(left.n), 0);
    await assertReadersShow(runA, scoresA, 'aborted');
    const status = await modelRunStatus();
    assert.equal(status.published?.runId, runA);
    assert.equal(status.latest?.runId, failed.run_id);
    assert.match(latestNotice(status)?.text ?? '', /failed: failed in phase churn-scored: stopped by the test; the scores shown are still those of the published run/);
  });

  test('the next start marks the killed runs interrupted, retries, and the retry publishes whole', async () => {
    const lines: string[] = [];
    const prepared = await prepareData(tw.warehouse, { demo: false, dataDir: tw.dir, log: (l) => lines.push(l) });
    const recovery = prepared.models;
    assert.ok(recovery, lines.join('\n'));
    assert.deepEqual(recovery.interrupted.map((r) => r.run_id).sort(), [...killed].sort());
    for (const id of killed) assert.ok(lines.some((l) => l.includes(`model run ${id}`) && l.includes('was interrupted in phase')), lines.join('\n'));
    // The published run stays in place while the retry runs.
    await assertReadersShow(runA, scoresA, 'start, retry running');
    assert.equal(await recovery.retried, true, lines.join('\n'));

    const runs = await listRuns(tw.warehouse);
    const byId = new Map(runs.map((r) => [r.run_id, r] as [string, ModelRunRecord]));
    for (const id of killed) {
      assert.equal(byId.get(id)?.status, 'interrupted');
      assert.match(byId.get(id)?.detail ?? '', /interrupted in phase .*process \d+ .* is gone/);
    }
    const retry = await publishedRun(tw.warehouse);
    assert.ok(retry && retry.run_id !== runA);
    // The newest killed run is the one retried.
    assert.equal(retry.retry_of, killed[1]);
    const scoresRetry = await runScores(retry.run_id);
    assert.equal(scoresRetry.size, scoresA.size);
    await assertReadersShow(retry.run_id, scoresRetry, 'after the retry', scoresA);
    const status = await modelRunStatus();
    assert.equal(status.published?.runId, retry.run_id);
    assert.equal(status.published?.retryOf, killed[1]);
    assert.equal(latestNotice(status), undefined);
    // Pruned: only the published run and the one before it keep rows.
    const held = await q<{ run_id: string }>('SELECT DISTINCT run_id FROM churn_scores_runs UNION DISTINCT SELECT DISTINCT run_id FROM clv_scores_runs');
    assert.deepEqual(held.map((h) => h.run_id).sort(), [runA, retry.run_id].sort());
  });
});
