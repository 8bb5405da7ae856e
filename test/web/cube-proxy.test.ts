/**
 * The dashboard's same-origin proxy to Cube (web/server/cube-proxy.ts). The upstream here is a
 * scripted HTTP server standing in for Cube's answers (Cube itself is exercised by the e2e tests):
 * what matters is what the proxy forwards, retries and passes through.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { cubeProxy } from '../../web/server/cube-proxy.ts';
import { isRollupTableRace } from '../../lib/warehouse/sql.ts';

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
let script: Answer[] = [];
const seen: { method: string; url: string; body: string; auth?: string; cookie?: string }[] = [];
let upstream: Server;
let proxyServer: Server;
let base: string;
const logged: string[] = [];

const listen = (s: Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

before(async () => {
  upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization, cookie: req.headers.cookie });
      const a = script.shift() ?? { status: 200, body: { data: [{ n: 1 }] } };
      res.writeHead(a.status, { 'content-type': 'application/json', 'x-request-id': 'up-1', ...a.headers }).end(JSON.stringify(a.body));
    });
  });
  const upPort = await listen(upstream);
  const proxy = cubeProxy(`http://127.0.0.1:${upPort}/cubejs-api`, { backoffMs: 1, log: (l) => logged.push(l) });
  proxyServer = createServer((req, res) => void proxy(req, res));
  base = `http://127.0.0.1:${await listen(proxyServer)}`;
});

after(async () => {
  proxyServer.closeAllConnections();
  upstream.closeAllConnections();
  await new Promise((r) => proxyServer.close(r));
  await new Promise((r) => upstream.close(r));
});

const reset = (answers: Answer[]): void => {
  script = answers;
  seen.length = 0;
  logged.length = 0;
};

test("customers' data through the proxy is never kept by the browser, sniffed or framed, whatever Cube says", async () => {
  for (const [what, answer, path] of [
    ['an answer', { status: 200, body: { data: [{ 'customers.email': 'a@b.example' }] }, headers: { 'cache-control': 'public, max-age=3600', 'x-powered-by': 'Express' } }, '/cubejs-api/v1/load'],
    ['an error', { status: 400, body: { error: 'bad query' }, headers: { 'cache-control': 'max-age=60' } }, '/cubejs-api/v1/load'],
    ["the proxy's own refusal", undefined, '/cubejs-api/v1/run-scheduled-refresh'],
  ] as const) {
    reset(answer ? [answer] : []);
    const res = await fetch(`${base}${path}?query=%7B%7D`, { headers: { authorization: 'tok' } });
    await res.arrayBuffer();
    assert.equal(res.headers.get('cache-control'), 'private, no-store', what);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, what);
    assert.equal(res.headers.get('x-powered-by'), null, what);
  }
});

const missingTable = { error: "Error: Code: 60. DB::Exception: Table crm_pre_aggregations.sales_monthly_abc_def_1jb5m97 doesn't exist. (UNKNOWN_TABLE)" };

test('recognises the rollup table races and nothing else', () => {
  assert.ok(isRollupTableRace(JSON.stringify(missingTable)));
  assert.ok(isRollupTableRace('Error during create table: CREATE TABLE crm_pre_aggregations.x_1 …: Table crm_pre_aggregations.x_1 already exists. (TABLE_ALREADY_EXISTS)'));
  assert.ok(!isRollupTableRace("Error: Code: 60. Table crm.transactions doesn't exist. (UNKNOWN_TABLE)"));
  assert.ok(!isRollupTableRace("'sales.nope' not found for path 'sales.nope'"));
});

test('a rollup table race is asked again and the user gets the answer', async () => {
  reset([{ status: 400, body: missingTable }, { status: 400, body: missingTable }]);
  const res = await fetch(`${base}/cubejs-api/v1/load`, {
    method: 'POST',
    headers: { authorization: 'tok', 'content-type': 'application/json', cookie: 'crm_session=secret' },
    body: JSON.stringify({ query: { measures: ['sales.revenue'] } }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { data: [{ n: 1 }] });
  assert.equal(res.headers.get('x-request-id'), 'up-1');
  assert.equal(seen.length, 3, 'two failures, then the answer');
  for (const s of seen) {
    assert.equal(s.method, 'POST');
    assert.equal(s.body, JSON.stringify({ query: { measures: ['sales.revenue'] } }), 'the same body each time');
    assert.equal(s.auth, 'tok');
    assert.equal(s.cookie, undefined, 'the dashboard session cookie stays with the dashboard');
  }
  assert.equal(logged.filter((l) => /rollup table race/.test(l)).length, 2);
});

test('a race that persists ends after the attempts with Cube’s own answer', async () => {
  reset([0, 1, 2, 3, 4].map(() => ({ status: 400, body: missingTable })));
  const res = await fetch(`${base}/cubejs-api/v1/load?query=${encodeURIComponent('{"measures":["sales.revenue"]}')}`, { headers: { authorization: 'tok' } });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), missingTable);
  assert.equal(seen.length, 4);
  assert.ok(logged.at(-1)!.includes('answered 400 for /cubejs-api/v1/load:'));
  assert.ok(!logged.some((l) => l.includes('sales.revenue')), 'the query string (filter values) is not logged');
});

test('any other error passes through at once', async () => {
  reset([{ status: 400, body: { error: "'sales.nope' not found" } }]);
  const res = await fetch(`${base}/cubejs-api/v1/load?query=x`, { headers: { authorization: 'tok' } });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: "'sales.nope' not found" });
  assert.equal(seen.length, 1);
});

test('only the API paths are forwarded; an oversized body is refused', async () => {
  reset([]);
  assert.equal((await fetch(`${base}/cubejs-api/v1/run-scheduled-refresh`)).status, 404);
  assert.equal((await fetch(`${base}/cubejs-api/../admin`)).status, 404);
  const big = await fetch(`${base}/cubejs-api/v1/load`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 << 20) }).catch((e: Error) => e);
  if (!(big instanceof Error)) assert.equal(big.status, 413);
  assert.equal(seen.length, 0);
});
