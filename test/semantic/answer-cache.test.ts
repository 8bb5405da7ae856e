/**
 * Cube's answer cache under row-level security and data-version refresh keys (semantic/refresh-keys.ts):
 * answers are shared only between identical generated SQL (two owners asking the same query each get
 * their own rows, however often they alternate), a cube without a refresh_key of its own is keyed on
 * the warehouse's data version instead of Cube's every-10-seconds default, and a load makes the next
 * answer new. Real embedded warehouse, real Cube.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSemanticServer } from '../../semantic/server.ts';
import { writerBusySql } from '../../semantic/derived/auto-refresh.ts';
import { OWNER_ANN, OWNER_BOB, opportunities } from './fixture.ts';
import { startSemanticFixture, type Answer, type CubeQuery, type SemanticFixture } from './support.ts';

let fx: SemanticFixture;
const dir = mkdtempSync(join(tmpdir(), 'answer-cache-'));
const warmFile = join(dir, 'semantic-warm.json');
before(async () => {
  fx = await startSemanticFixture({ warmFile });
});
after(async () => {
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const QUERY: CubeQuery = { measures: ['pipeline.deals', 'pipeline.pipeline_value'] };

/** What an owner (or everyone: undefined) must see, counted from the fixture's rows, not through Cube. */
function expected(deals: { owner_id: string; status: string; amount: string }[], owner?: string): { deals: number; open: number } {
  const mine = deals.filter((d) => owner === undefined || d.owner_id === owner);
  return { deals: mine.length, open: mine.filter((d) => d.status === 'open').reduce((s, d) => s + Number(d.amount), 0) };
}

async function ask(token: string): Promise<{ deals: number; open: number; answer: Answer }> {
  const answer = await fx.post('v1/load', { query: QUERY }, token);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const row = answer.body.data![0];
  return { deals: Number(row['pipeline.deals']), open: Number(row['pipeline.pipeline_value'] ?? 0), answer };
}

test('two owners asking the same query get their own rows, alternately and repeatedly; answers are reused, keyed on the data version', async () => {
  const ann = fx.token('owner', OWNER_ANN);
  const bob = fx.token('owner', OWNER_BOB);
  const exec = fx.token('executive');
  const wantAnn = expected(opportunities, OWNER_ANN);
  const wantBob = expected(opportunities, OWNER_BOB);
  assert.notDeepEqual(wantAnn, wantBob, 'the fixture must tell the two owners apart');

  const first = { ann: await ask(ann), bob: await ask(bob) };
  for (let round = 0; round < 3; round++) {
    for (const [who, token, want] of [['ann', ann, wantAnn], ['bob', bob, wantBob]] as const) {
      const got = await ask(token);
      assert.deepEqual({ deals: got.deals, open: got.open }, want, `${who}, round ${round}`);
      // The same cached answer (same refresh time), not a re-run and never the other owner's.
      assert.equal(got.answer.body.lastRefreshTime, first[who].answer.body.lastRefreshTime, `${who} answered from the cache`);
    }
  }
  const all = await ask(exec);
  assert.deepEqual({ deals: all.deals, open: all.open }, expected(opportunities));

  // The opportunities cube has no refresh_key of its own: its cache key query is the data version
  // (system.tables), not Cube's floor(now / 10) that expired every answer every 10 seconds.
  const sql = await fx.post('v1/sql', { query: QUERY }, fx.token('admin'));
  assert.equal(sql.status, 200, JSON.stringify(sql.body));
  const keyQueries = ((sql.body.sql as unknown as { cacheKeyQueries?: [string, unknown[]][] }).cacheKeyQueries ?? []).map((q) => q[0]);
  assert.ok(keyQueries.length > 0, `cache key queries: ${JSON.stringify(sql.body.sql).slice(0, 300)}`);
  assert.ok(keyQueries.some((q) => q.includes('system.tables')), `a data-version key among ${JSON.stringify(keyQueries)}`);
  assert.ok(!keyQueries.some((q) => /floor\(/i.test(q)), `no time-bucket key among ${JSON.stringify(keyQueries)}`);
});

test('a load makes the next answer new: the loading owner sees the new deal, the other owner still only theirs', async () => {
  const ann = fx.token('owner', OWNER_ANN);
  const bob = fx.token('owner', OWNER_BOB);
  const before = await ask(ann);
  const template = opportunities.find((d) => d.owner_id === OWNER_ANN)!;
  const added = { ...template, opportunity_id: 'D-CACHE-1', name: 'Deal D-CACHE-1', status: 'open', stage: 'proposal', amount: '777.00', original_amount: '777.00', closed_at: null, loss_reason: '', competitor: '', stage_history: [], batch_id: 'cache-test' };
  await fx.tw.warehouse.client.insert({ table: `${fx.tw.config.database}.opportunities`, values: [added], format: 'JSONEachRow' });
  const after = [...opportunities, added];

  // Waits for the state (the data-version key is re-read every few seconds), bounded by a deadline.
  const deadline = Date.now() + 60_000;
  let now = await ask(ann);
  while (now.deals !== expected(after, OWNER_ANN).deals && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    now = await ask(ann);
  }
  assert.deepEqual({ deals: now.deals, open: now.open }, expected(after, OWNER_ANN), 'Ann sees the loaded deal');
  assert.notEqual(now.answer.body.lastRefreshTime, before.answer.body.lastRefreshTime, 'a new answer, not the cached one');
  const b = await ask(bob);
  assert.deepEqual({ deals: b.deals, open: b.open }, expected(after, OWNER_BOB), 'Bob still sees only his own deals');
});

test('a restart answers the remembered requests before it is ready: the owner\'s next answer was computed at start', async () => {
  const ann = fx.token('owner', OWNER_ANN);
  await ask(ann);
  await fx.semantic.close(); // the Cube process hands over what was asked as it stops
  const kept = JSON.parse(readFileSync(warmFile, 'utf8')) as Record<string, unknown>[];
  const mine = kept.filter((e) => e.role === 'owner' && e.owner_id === OWNER_ANN);
  assert.ok(mine.length > 0, `Ann's request is remembered: ${JSON.stringify(kept).slice(0, 300)}`);
  // Role and owner id only: no token, no user id.
  for (const e of kept) assert.deepEqual(Object.keys(e).filter((k) => !['method', 'path', 'body', 'role', 'owner_id', 'count', 'last'].includes(k)), []);
  assert.ok(!readFileSync(warmFile, 'utf8').includes(ann.split('.')[2]), 'no token signature in the file');

  const { tw, secret } = fx;
  const restarted = await startSemanticServer({ warehouse: { url: tw.warehouse.url, user: tw.warehouse.user, password: tw.warehouse.password, database: tw.config.database }, apiSecret: secret, port: 0, warmFile, log: () => {} });
  try {
    assert.ok(restarted.warmed, 'the warm-up finished within its share of the start');
    assert.equal(restarted.warmed.failed, 0);
    assert.ok(restarted.warmed.queries >= mine.length);
    const asked = new Date();
    const res = await fetch(`${restarted.url}/v1/load`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ann}` }, body: JSON.stringify({ query: QUERY }) });
    const body = (await res.json()) as Answer['body'];
    assert.equal(res.status, 200, JSON.stringify(body));
    // The second test's load is in: Ann's deals with the loaded one.
    const want = expected([...opportunities, { owner_id: OWNER_ANN, status: 'open', amount: '777.00' }], OWNER_ANN);
    const row = body.data![0];
    assert.deepEqual({ deals: Number(row['pipeline.deals']), open: Number(row['pipeline.pipeline_value']) }, want);
    // Computed before Ann asked: by the warm-up at start, from her remembered request.
    assert.ok(new Date(String(body.lastRefreshTime)) < asked, `answer computed at ${String(body.lastRefreshTime)}, asked at ${asked.toISOString()}`);
  } finally {
    await restarted.close();
  }
});

test('the publish hold’s writer check: busy while a load runs, not once it finished', async () => {
  const db = fx.tw.config.database;
  const busy = async (): Promise<number> => Number((await (await fx.tw.warehouse.client.query({ query: writerBusySql(db), format: 'JSONEachRow' })).json<{ busy: number | string }>())[0].busy);
  const stamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const batch = (id: string, status: string, version: number, startedMs: number) => ({
    batch_id: id, entity: 'transactions', source: 'test', source_file: `http:${id}`, file_sha256: '', status,
    rows_read: 3, rows_loaded: status === 'running' ? 0 : 3, rows_updated: 0, rows_duplicate: 0, rows_rejected: 0, error: '',
    started_at: stamp(startedMs), finished_at: status === 'running' ? null : stamp(startedMs + 500), version,
  });
  const insert = (rows: object[]) => fx.tw.warehouse.client.insert({ table: `${db}.ingest_batches`, values: rows, format: 'JSONEachRow' });
  assert.equal(await busy(), 0, 'the fixture loads no batch');
  await insert([batch('busy-check-1', 'running', 1, Date.now())]);
  assert.equal(await busy(), 1, 'a load that is still running');
  await insert([batch('busy-check-1', 'completed', 2, Date.now())]);
  assert.equal(await busy(), 0, 'the same load once its batch row says completed');
  await insert([batch('busy-check-2', 'running', 1, Date.now() - 11 * 60_000)]);
  assert.equal(await busy(), 0, 'a load left running for more than 10 minutes (crashed) holds nothing');
});
