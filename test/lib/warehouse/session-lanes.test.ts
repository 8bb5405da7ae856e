import { createClient, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TraceEntry } from '../../../lib/warehouse/embedded/request-trace.ts';
import { holdSession, startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

/**
 * The embedded endpoint's lanes (lib/warehouse/embedded/session-pool.ts): with 2 engine sessions and
 * 1 reserved, Cube's queries (the semantic user) and background work never hold both, and the
 * product's own statements are served before them. States are waited for through server.stats(),
 * never by time: the "slow" queries run until this test cancels them.
 */

let tw: TestWarehouse;
let traceFile: string;
const clients: ClickHouseClient[] = [];

function clientAs(user: string, password: string): ClickHouseClient {
  const c = createClient({ url: tw.server.url, username: user, password, database: tw.config.database, log: { level: 127 as never } });
  clients.push(c);
  return c;
}

/** A query that runs until it is cancelled (~60 s of 0.5 s blocks): streamed, so aborting the request stops it. */
const ENDLESS = "SELECT sleepEachRow(0.5) AS s, 'C-SECRET-1' AS who FROM numbers(120) SETTINGS max_block_size = 1";

/** Starts ENDLESS, holding an engine session until `stop()`. */
const endless = (c: ClickHouseClient, headers?: Record<string, string>) => holdSession(c, ENDLESS, headers);

before(async () => {
  tw = await startTestWarehouse({ poolSize: 2, reservedSessions: 1, trace: true });
  traceFile = join(tw.dir, 'trace.ndjson');
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await tw.close();
});

/**
 * Every state below is reached in milliseconds when the lanes work; the bound only turns a wrong
 * lane (a state never reached) into a failure instead of a hang.
 */
const BOUND_MS = 60_000;
const until = (ready: Parameters<TestWarehouse['server']['whenStats']>[0]) => tw.server.whenStats(ready, AbortSignal.timeout(BOUND_MS));
const idle = () => until((s) => s.pool.busy === 0 && s.pool.queued === 0);

test("Cube's queries leave the reserved session free: a second one waits beside an idle session, a product read answers", async () => {
  await idle();
  const cube = clientAs(tw.users.semantic.user, tw.users.semantic.password);
  const first = endless(cube);
  await until((s) => s.pool.longBusy === 1);
  const second = endless(cube);
  // One session is idle, yet Cube's second query waits: that session is the product's.
  const waiting = await until((s) => s.pool.queued === 1);
  assert.equal(waiting.pool.busy, 1);
  assert.equal(waiting.pool.longBusy, 1);
  // The product's read gets it while both of Cube's queries are still there.
  const rs = await tw.warehouse.client.query({ query: 'SELECT 40 + 2 AS n', format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ n: 42 }]);
  const meanwhile = tw.server.stats().pool;
  assert.equal(meanwhile.longBusy, 1, "Cube's first query was still running");
  assert.equal(meanwhile.queued, 1, "Cube's second query was still waiting");
  await first.stop();
  // The first one's session goes to the second.
  await until((s) => s.pool.longBusy === 1 && s.pool.queued === 0);
  await second.stop();
  await idle();
});

test('the background lane is asked for by header and held to the same limit', async () => {
  await idle();
  const writer = clientAs(tw.users.writer.user, tw.users.writer.password);
  const refresh = endless(writer, { 'x-crm-lane': 'background' });
  await until((s) => s.pool.longBusy === 1);
  const cube = endless(clientAs(tw.users.semantic.user, tw.users.semantic.password));
  await until((s) => s.pool.queued === 1);
  // The same writer without the header is the product lane: it gets the reserved session.
  const rs = await writer.query({ query: 'SELECT 7 AS n', format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ n: 7 }]);
  assert.equal(tw.server.stats().pool.queued, 1);
  await refresh.stop();
  await cube.stop();
  await idle();
});

test('a product statement is served before a long one that has waited longer', async () => {
  await idle();
  const cube = clientAs(tw.users.semantic.user, tw.users.semantic.password);
  // Both sessions taken: one by Cube, one by a slow product statement.
  const running = endless(cube);
  await until((s) => s.pool.longBusy === 1);
  // A plain client: the product's own asks for progress headers, under which the whole result is held.
  const product = endless(clientAs(tw.config.user, tw.config.password));
  await until((s) => s.pool.busy === 2);
  // Cube asks first, the product second.
  const cubeWaits = endless(cube);
  await until((s) => s.pool.queued === 1);
  const read = tw.warehouse.client.query({ query: 'SELECT 1 AS n', format: 'JSONEachRow' }).then((rs) => rs.json());
  await until((s) => s.pool.queued === 2);
  // Cube's running query ends: its session goes to the product's read, not to Cube's older request
  // (told apart at the moment the session is lent: then Cube's request runs and nothing waits).
  const handedOver = until((s) => {
    if (s.pool.longBusy === 1 && s.pool.queued === 1) throw new Error("Cube's older request got the session before the product's read");
    return s.pool.busy === 2 && s.pool.longBusy === 0 && s.pool.queued === 1;
  });
  await running.stop();
  await handedOver;
  assert.deepEqual(await read, [{ n: 1 }]);
  // Then the read's session goes to Cube's request.
  await until((s) => s.pool.longBusy === 1 && s.pool.queued === 0);
  await product.stop();
  await cubeWaits.stop();
  await idle();
});

test('a background statement gets one engine thread while another statement runs, the engine\'s own when alone', async () => {
  await idle();
  const writer = clientAs(tw.users.writer.user, tw.users.writer.password);
  const threads = async (headers?: Record<string, string>) =>
    ((await (await writer.query({ query: "SELECT toString(getSetting('max_threads')) AS t", format: 'JSONEachRow', http_headers: headers })).json()) as { t: string }[])[0]!.t;
  const engines = await threads();
  await idle();
  assert.equal(await threads({ 'x-crm-lane': 'background' }), engines, 'alone: the engine\'s thread count');
  // A slow product statement running on the other session.
  const product = endless(clientAs(tw.config.user, tw.config.password));
  await until((s) => s.pool.busy === 1);
  assert.equal(await threads({ 'x-crm-lane': 'background' }), '1', 'beside a running statement: one thread');
  await product.stop();
  await idle();
  assert.equal(await threads({ 'x-crm-lane': 'background' }), engines, 'alone again: the setting did not stay on the session');
});

test('bound statements take the parameter lock before a session: several at once answer, a non-admin\'s privilege check runs under it', async () => {
  await idle();
  const writer = clientAs(tw.users.writer.user, tw.users.writer.password);
  const cube = endless(clientAs(tw.users.semantic.user, tw.users.semantic.password));
  await until((s) => s.pool.longBusy === 1);
  // Beside Cube's query, six bound reads at once (each waits for the lock, not in a session).
  const answers = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const rs = await writer.query({ query: 'SELECT {n:UInt32} * 2 AS n, {s:String} AS s', query_params: { n: i, s: `v${i}` }, format: 'JSONEachRow' });
      return rs.json();
    }),
  );
  assert.deepEqual(
    answers,
    Array.from({ length: 6 }, (_, i) => [{ n: i * 2, s: `v${i}` }]),
  );
  await cube.stop();
  await idle();
});

test('the trace has one line per statement: user, lane, waits, and the statement without its values', async () => {
  await idle();
  await tw.warehouse.client.query({ query: "SELECT 'alice@example.com' AS e, 12345 AS n", format: 'JSONEachRow' }).then((rs) => rs.json());
  await idle();
  // The line is appended through a write stream after the answer is sent: wait for it (bounded),
  // and skip a line still being written.
  const ownLine = (l: TraceEntry) => /^SELECT \? AS e, \? AS n/.test(l.shape);
  const readLines = () =>
    readFileSync(traceFile, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as TraceEntry];
        } catch {
          return [];
        }
      });
  const deadline = Date.now() + BOUND_MS;
  let lines = readLines();
  while (!lines.some(ownLine) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    lines = readLines();
  }
  // This statement's own line, not the file's last: a statement the test before stopped (Cube's
  // endless one) may write its line after this one's.
  const last = lines.filter(ownLine).at(-1);
  assert.ok(last, 'the statement has its line');
  assert.equal(last.user, tw.config.user);
  assert.equal(last.lane, 'product');
  assert.equal(last.ok, true);
  assert.match(last.shape, /^SELECT \? AS e, \? AS n/);
  assert.ok(last.waitMs >= 0 && last.runMs >= 0 && last.bindWaitMs === 0);
  const text = readFileSync(traceFile, 'utf8');
  assert.ok(!text.includes('alice@example.com') && !text.includes('12345') && !text.includes('C-SECRET-1'), 'no value reaches the trace');
  const lanes = new Set(lines.map((l) => `${l.user}:${l.lane}`));
  assert.ok(lanes.has(`${tw.users.semantic.user}:analytic`), 'Cube is the analytic lane');
  assert.ok(lanes.has(`${tw.users.writer.user}:background`), 'the header gave the background lane');
  assert.ok(lanes.has(`${tw.users.writer.user}:product`), 'the writer without it is the product lane');
});
