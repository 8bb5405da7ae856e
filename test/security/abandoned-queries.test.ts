/**
 * Fifth security review: a warehouse statement outlived the client that asked for it. The embedded
 * endpoint stops a streamed result only between blocks, and a grouped query has no block until it
 * is done; chDB cannot interrupt a single-shot query at all. So a statement ran to its end after
 * its asker had given up: Cube gives up on a query after CUBEJS_DB_QUERY_TIMEOUT (60 s) and its
 * driver hangs up 5 s later, and Cube then starts the next query of its queue while the engine
 * still computes the abandoned one. Each such statement kept one of the engine's four sessions:
 * four heavy queries that Cube (or a notebook) had long given up on kept every page view's session
 * check waiting for minutes (seen on the review's demo stack: a writer's `SELECT count() FROM users`
 * unanswered after 20 s, six times in a row).
 *
 * Now Cube sends every statement with max_execution_time equal to its own query timeout, so the
 * engine stops the statement when Cube stops waiting for it. Two parts, both real: the product's
 * Cube against a stand-in warehouse that records what it is sent (the statement settings), and the
 * embedded engine stopping a statement over that time.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { issueToken } from '../../semantic/security/auth.ts';
import type { SemanticServer } from '../../semantic/server.ts';
import { startSemanticOverStandIn, type SemanticOverStandIn } from '../support/semantic.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const secret = 'abandoned-secret-abandoned-secret';
const TIMEOUT_SECONDS = 2;
let stack: SemanticOverStandIn;
let semantic: SemanticServer;
/** The query string of every request Cube sent the stand-in warehouse. */
const sent: URLSearchParams[] = [];

before(async () => {
  // Records each request and never answers: Cube's query times out, as a heavy one would.
  stack = await startSemanticOverStandIn(
    (req: IncomingMessage) => {
      sent.push(new URL(req.url ?? '/', 'http://warehouse.invalid').searchParams);
    },
    { apiSecret: secret, queryTimeoutSeconds: TIMEOUT_SECONDS, waitSeconds: 5, answerCacheMb: 0 },
  );
  semantic = stack.semantic;
});
after(() => stack?.close());

test('every statement Cube sends carries its own query timeout as max_execution_time', { timeout: 120_000 }, async () => {
  const token = issueToken({ role: 'owner', ownerId: 'U-OWN-01', name: 'O', secret });
  const res = await fetch(`${semantic.url}/v1/load`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: { measures: ['sales.revenue'] } }),
  });
  await res.arrayBuffer();
  // The stand-in never answers: Cube gave up (504), after sending at least its first statement.
  assert.equal(res.status, 504);
  assert.ok(sent.length > 0, 'Cube sent the warehouse a statement');
  for (const params of sent) {
    assert.equal(params.get('max_execution_time'), String(TIMEOUT_SECONDS), `a statement without the engine-side bound: ${params.toString().slice(0, 300)}`);
  }
});

let tw: TestWarehouse;
test('the embedded engine stops a statement over max_execution_time and the next one runs', { timeout: 180_000 }, async (t) => {
  tw = await startTestWarehouse({ poolSize: 2 });
  t.after(() => tw.close());
  const ask = async (role: 'semantic' | 'writer', sql: string, settings: Record<string, string> = {}) => {
    const { user, password } = tw.users[role];
    const url = new URL(tw.warehouse.url);
    url.search = new URLSearchParams({ database: tw.config.database, ...settings }).toString();
    const r = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      body: sql,
      signal: AbortSignal.timeout(150_000),
    });
    return { status: r.status, code: r.headers.get('x-clickhouse-exception-code'), text: await r.text() };
  };
  // Hours of counting on this machine without the bound.
  const heavy = await ask('semantic', 'SELECT count() FROM numbers(100000000000000) WHERE number % 7 = 3', { max_execution_time: '1' });
  assert.equal(heavy.code, '159', `TIMEOUT_EXCEEDED expected: ${heavy.status} ${heavy.text.slice(0, 300)}`);
  const next = await ask('writer', 'SELECT 42');
  assert.equal(next.text.trim(), '42');
});
