import { createClient, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { holdSession, startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

/**
 * Fifth security review: the reader is the warehouse user people hold (analysts' notebooks, a BI
 * tool), and its statements ran in the embedded endpoint's product lane — ahead of Cube's queries
 * and on the session kept for the product's own statements (every page view's session check). Four
 * heavy reader queries took all four engine sessions and the dashboard waited behind them; a
 * reader query that its client gave up on runs on in the engine (test/security/abandoned-queries).
 * Now the reader waits in the analytic lane with Cube: it never holds the reserved session.
 *
 * With 2 engine sessions and 1 reserved. States are waited for through server.stats(), never by
 * time: the "slow" queries run until this test cancels them.
 */

let tw: TestWarehouse;
/** The reader's bound in this test (the product's is MAX_EXECUTION_SECONDS). */
const READER_BOUND = 2;
const clients: ClickHouseClient[] = [];

function clientAs(user: string, password: string): ClickHouseClient {
  const c = createClient({ url: tw.server.url, username: user, password, database: tw.config.database, log: { level: 127 as never } });
  clients.push(c);
  return c;
}

/** Runs until cancelled (~60 s of 0.5 s blocks), streamed, so aborting the request stops it. */
const ENDLESS = 'SELECT sleepEachRow(0.5) AS s FROM numbers(120) SETTINGS max_block_size = 1';

const endless = (c: ClickHouseClient) => holdSession(c, ENDLESS);

before(async () => {
  tw = await startTestWarehouse({ poolSize: 2, reservedSessions: 1, maxExecutionSeconds: READER_BOUND });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await tw.close();
});

/** Reached in milliseconds when the reader is in the analytic lane; the bound turns a wrong lane into a failure, not a hang. */
const until = (ready: Parameters<TestWarehouse['server']['whenStats']>[0]) => tw.server.whenStats(ready, AbortSignal.timeout(30_000));

test("a reader's queries never take the session kept for the product's statements", { timeout: 120_000 }, async () => {
  await until((s) => s.pool.busy === 0 && s.pool.queued === 0);
  const reader = clientAs(tw.users.reader.user, tw.users.reader.password);
  const first = endless(reader);
  await until((s) => s.pool.busy === 1);
  const second = endless(reader);
  // One session is idle, yet the reader's second query waits: that session is the product's.
  const waiting = await until((s) => s.pool.queued === 1);
  assert.equal(waiting.pool.busy, 1, "the reader's second query took the reserved session");
  const rs = await tw.warehouse.client.query({ query: 'SELECT 40 + 2 AS n', format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ n: 42 }]);
  assert.equal(tw.server.stats().pool.queued, 1, "the reader's second query was still waiting");
  await first.stop();
  await second.stop();
});

/**
 * The reader's statements also end in the engine: a notebook's query that its client gave up on
 * ran on to its end (the endpoint cannot interrupt a grouped query), holding an engine session —
 * `SELECT count() FROM numbers(1e14)` for hours. The endpoint gives each reader statement at most
 * READER_BOUND here (a request may ask for less, never more, and not in the SQL text).
 */
test("a reader's statement ends in the engine after the reader's bound, whatever it asks", { timeout: 120_000 }, async () => {
  const { user, password } = tw.users.reader;
  const ask = async (sql: string, settings: Record<string, string> = {}) => {
    const url = new URL(tw.server.url);
    url.search = new URLSearchParams({ database: tw.config.database, ...settings }).toString();
    const r = await fetch(url, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, body: sql, signal: AbortSignal.timeout(100_000) });
    return { code: r.headers.get('x-clickhouse-exception-code'), text: await r.text() };
  };
  // Days of counting on this machine: it can only end by the bound (TIMEOUT_EXCEEDED).
  const HEAVY = 'SELECT count() FROM numbers(100000000000000) WHERE number % 7 = 3';
  const bounded = await ask(HEAVY, { max_execution_time: '0' });
  assert.equal(bounded.code, '159', `TIMEOUT_EXCEEDED expected: ${bounded.text.slice(0, 300)}`);
  // Asking for no bound in the text is refused before the engine runs it.
  const inText = await ask(`${HEAVY} SETTINGS max_execution_time = 0`);
  assert.equal(inText.code, '497', `ACCESS_DENIED expected: ${inText.text.slice(0, 300)}`);
  // Less than the bound is the reader's choice.
  const shorter = await ask(HEAVY, { max_execution_time: '1' });
  assert.equal(shorter.code, '159', shorter.text.slice(0, 300));
});

test("the semantic user's statements (whoever holds Cube's password) have the same bound", { timeout: 120_000 }, async () => {
  const { user, password } = tw.users.semantic;
  const url = new URL(tw.server.url);
  url.search = new URLSearchParams({ database: tw.config.database, max_execution_time: '0' }).toString();
  const r = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    body: 'SELECT count() FROM numbers(100000000000000) WHERE number % 7 = 3',
    signal: AbortSignal.timeout(100_000),
  });
  const text = await r.text();
  assert.equal(r.headers.get('x-clickhouse-exception-code'), '159', text.slice(0, 300));
});
