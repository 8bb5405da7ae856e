/**
 * What a failed request tells its caller: a message to act on and a request id (echoed in the
 * x-request-id header), never a stack trace, a server path, generated SQL or ClickHouse's exception
 * text — those are in the server log under the same id. And who may read generated SQL (/v1/sql).
 * A real Cube on the embedded warehouse (support.ts), at log level trace so the log can be checked.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../../semantic/security/auth.ts';
import { cubeProxy } from '../../web/server/cube-proxy.ts';
import { OWNER_ANN } from './fixture.ts';
import { startSemanticFixture, type SemanticFixture } from './support.ts';

/** The internals no error body may show (the brief's list, plus ClickHouse's exception marker). */
const INTERNALS = /at \w+ \(|\/work\/|node_modules|\.ts:\d+|SELECT |FROM |Code: \d+|DB::Exception/;

let fx: SemanticFixture;
let admin: string;

before(async () => {
  fx = await startSemanticFixture({ logLevel: 'trace' });
  admin = fx.token('admin');
});
after(async () => {
  await fx?.close();
});

interface Reply {
  status: number;
  requestId: string | null;
  text: string;
  body: { error?: unknown; requestId?: unknown; type?: unknown; errors?: { message: string; extensions?: { requestId?: string } }[]; [k: string]: unknown };
}

async function call(path: string, init: { method?: string; body?: string; token?: string | null; requestId?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = init.token === undefined ? admin : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.requestId !== undefined) headers['x-request-id'] = init.requestId;
  const res = await fetch(`${fx.semantic.url}/${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body });
  const text = await res.text();
  let body: Reply['body'] = {};
  try {
    body = JSON.parse(text) as Reply['body'];
  } catch {
    // asserted below: every error body is JSON
  }
  return { status: res.status, requestId: res.headers.get('x-request-id'), text, body };
}

/** The contract of every error answer; returns its request id. */
function assertCleanError(r: Reply, what: string): string {
  assert.ok(r.status >= 400, `${what}: status ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(typeof r.body.error, 'string', `${what}: JSON with an error message: ${r.text.slice(0, 300)}`);
  assert.ok((r.body.error as string).length > 10, `${what}: a message`);
  assert.equal(typeof r.body.requestId, 'string', `${what}: a request id in the body`);
  assert.equal(r.requestId, r.body.requestId, `${what}: the same request id in the x-request-id header`);
  assert.doesNotMatch(r.text, INTERNALS, `${what} shows internals: ${r.text.slice(0, 400)}`);
  return r.body.requestId as string;
}

const query = (q: unknown): string => JSON.stringify({ query: q });
const getQuery = (path: string, q: string): string => `${path}?query=${encodeURIComponent(q)}`;
/** The server log lines about one request. */
const logOf = (requestId: string): string => fx.logs.filter((l) => l.includes(requestId)).join('\n');

describe('REST errors', () => {
  test('unknown member: 400 naming the member, on load, sql and dry-run', async () => {
    for (const path of ['v1/load', 'v1/sql', 'v1/dry-run']) {
      const r = await call(path, { body: query({ measures: ['sales.foo'] }) });
      assertCleanError(r, `${path} unknown member`);
      assert.equal(r.status, 400);
      assert.match(r.body.error as string, /sales\.foo/);
    }
    const stack = await call('v1/load', { body: query({ measures: ['sales.foo'] }), requestId: 'unknown-member-1' });
    assert.match(logOf('unknown-member-1'), /"stack":"[^"]*node_modules/, "Cube's stack trace is in the server log");
    assert.doesNotMatch(stack.text, /node_modules/);
    const cube = await call('v1/load', { body: query({ dimensions: ['orders.foo'] }) });
    assertCleanError(cube, 'unknown view');
    assert.match(cube.body.error as string, /Unknown member: orders\.foo/);
  });

  test('malformed JSON, in the body and in the query parameter: 400', async () => {
    const body = await call('v1/load', { body: '{"query": {"measures": ["sales.revenue"],' });
    assertCleanError(body, 'malformed JSON body');
    assert.equal(body.status, 400);
    assert.match(body.body.error as string, /not valid JSON/);
    for (const path of ['v1/load', 'v1/sql', 'v1/dry-run']) {
      const param = await call(getQuery(path, '{"measures": ['));
      assertCleanError(param, `${path} malformed query parameter`);
      assert.equal(param.status, 400);
    }
  });

  test('invalid filter operator and wrongly typed fields: 400 with Cube\'s validation message', async () => {
    const op = await call('v1/load', { body: query({ measures: ['sales.revenue'], filters: [{ member: 'sales.order_status', operator: 'explode', values: ['x'] }] }) });
    assertCleanError(op, 'bad operator');
    assert.equal(op.status, 400);
    assert.match(op.body.error as string, /filters/);
    const typed = await call('v1/load', { body: query({ measures: 'sales.revenue', limit: 'all' }) });
    assertCleanError(typed, 'wrong types');
    assert.equal(typed.status, 400);
  });

  test('a query ClickHouse refuses: no SQL or engine text, which are in the log under the request id', async () => {
    const r = await call('v1/load', {
      body: query({ measures: ['customer_base.customers'], filters: [{ member: 'customer_base.lifetime_value', operator: 'gt', values: ['abc'] }] }),
      requestId: 'ch-failure-1',
    });
    assert.equal(assertCleanError(r, 'ClickHouse failure'), 'ch-failure-1', 'a sane incoming request id is kept');
    assert.equal(r.status, 400);
    assert.match(r.body.error as string, /filter value/);
    const log = logOf('ch-failure-1');
    assert.match(log, /"msg":"API error"/);
    assert.match(log, /SELECT /, 'the generated SQL is in the server log');
    assert.match(log, /Cannot (parse|read)/, "ClickHouse's message is in the server log");
  });

  test('a cube behind the views: 400 unknown member, wherever the query names it', async () => {
    for (const q of [
      { measures: ['paid_orders.revenue'] },
      { measures: ['sales.revenue'], dimensions: ['customers.region'] },
      { measures: ['sales.revenue'], filters: [{ or: [{ member: 'customers.region', operator: 'equals', values: ['East'] }] }] },
      { measures: ['sales.revenue'], timeDimensions: [{ dimension: 'paid_orders.order_date', granularity: 'month' }] },
    ]) {
      const r = await call('v1/load', { body: query(q) });
      assertCleanError(r, `private cube ${JSON.stringify(q)}`);
      assert.equal(r.status, 400);
      assert.match(r.body.error as string, /Unknown member: (paid_orders|customers)\./);
    }
  });

  test('meta and load with a bad token: 403 with the reason and a request id', async () => {
    for (const path of ['v1/meta', 'v1/load', 'v1/sql']) {
      const r = await call(path === 'v1/meta' ? path : getQuery(path, JSON.stringify({ measures: ['sales.revenue'] })), { token: 'not-a-jwt' });
      assertCleanError(r, `${path} bad token`);
      assert.equal(r.status, 403);
      assert.match(r.body.error as string, /token/i);
    }
  });

  test('unknown route: JSON 404 with a request id', async () => {
    const r = await call('v1/nothing-here');
    assertCleanError(r, 'unknown route');
    assert.equal(r.status, 404);
  });

  test('an unusable x-request-id is replaced, and every answer, success included, names its id', async () => {
    for (const bad of ['has spaces', 'x'.repeat(200), '<script>', '../../etc']) {
      const r = await call('v1/load', { body: query({ measures: ['sales.nope'] }), requestId: bad });
      const id = assertCleanError(r, `request id ${bad}`);
      assert.notEqual(id, bad);
      assert.match(id, /^[0-9a-f-]{36}$/);
    }
    const ok = await call('v1/load', { body: query({ measures: ['sales.orders'] }), requestId: 'ok-1' });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    assert.equal(ok.requestId, 'ok-1');
  });
});

describe('GraphQL errors', () => {
  const gql = (q: string, requestId?: string) => call('graphql', { body: JSON.stringify({ query: q }), requestId });

  test('a bad GraphQL query: the message, and a request id in the body, each error and the header', async () => {
    for (const q of ['{ cube { sales { nope } } }', '{ cube { sales { ', '{ cube { nope { x } } }']) {
      const r = await gql(q);
      const id = assertCleanError(r, `GraphQL ${q}`);
      assert.ok(r.body.errors?.length, 'GraphQL errors are kept');
      for (const e of r.body.errors!) assert.equal(e.extensions?.requestId, id);
    }
  });

  test('a GraphQL query ClickHouse refuses: no SQL or engine text', async () => {
    // A filter value longer than the engine's max_query_size (256 KiB): every check before the
    // engine lets it through (the body is within its 1 MB limit), and ClickHouse refuses the query
    // while parsing it. Earlier ways of getting a refusal are now caught before Cube plans anything
    // (impossible and out-of-range dates, text on a time member, zones the warehouse lacks:
    // semantic/security/date-filters.ts, query-guard.ts).
    const long = 'x'.repeat(300_000);
    const r = await gql(`{ cube(where: { customer_base: { region: { equals: "${long}" } } }) { customer_base { customers } } }`, 'gql-ch-1');
    assertCleanError(r, 'GraphQL ClickHouse failure');
    const log = logOf('gql-ch-1');
    assert.match(log, /SELECT /, 'the generated SQL is in the server log');
    assert.match(log, /max_query_size|Max query size/, "ClickHouse's refusal is in the server log");
  });
});

describe('/v1/sql', () => {
  const trend = { measures: ['sales.net_revenue'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month' }] };
  const tokenOf = (role: Role) => (role === 'owner' ? fx.token('owner', OWNER_ANN) : fx.token(role));

  test('refused to owner, marketer and executive tokens with 403, on POST and GET', async () => {
    for (const role of ['owner', 'marketer', 'executive'] as const) {
      for (const r of [
        await call('v1/sql', { body: query(trend), token: tokenOf(role) }),
        await call(getQuery('v1/sql', JSON.stringify(trend)), { token: tokenOf(role) }),
        await call(getQuery('V1/SQL/', JSON.stringify(trend)), { token: tokenOf(role) }),
        await call(getQuery('v1/%73ql', JSON.stringify(trend)), { token: tokenOf(role) }),
      ]) {
        assertCleanError(r, `${role} /v1/sql`);
        assert.ok(r.status === 403 || r.status === 404, `${role}: ${r.status}`);
        assert.ok(!('sql' in r.body), `${role} got SQL`);
      }
      const plain = await call('v1/sql', { body: query(trend), token: tokenOf(role) });
      assert.equal(plain.status, 403);
      assert.match(plain.body.error as string, /analyst and admin/);
    }
  });

  test('allowed for analyst and admin tokens', async () => {
    for (const role of ['analyst', 'admin'] as const) {
      const r = await call('v1/sql', { body: query(trend), token: tokenOf(role) });
      assert.equal(r.status, 200, `${role}: ${r.text.slice(0, 300)}`);
      assert.match((r.body.sql as { sql: [string] }).sql[0], /SELECT/);
    }
  });

  test('load, meta, dry-run and GraphQL stay open to every role', async () => {
    for (const role of ['owner', 'marketer', 'executive'] as const) {
      assert.equal((await call('v1/load', { body: query(trend), token: tokenOf(role) })).status, 200, role);
      assert.equal((await call('v1/dry-run', { body: query(trend), token: tokenOf(role) })).status, 200, role);
      assert.equal((await call('v1/meta', { token: tokenOf(role) })).status, 200, role);
      assert.equal((await call('graphql', { body: JSON.stringify({ query: '{ cube { sales { orders } } }' }), token: tokenOf(role) })).status, 200, role);
    }
  });

  test('the SQL run for an owner restricts every cube it reads, with the owner id bound, not pasted', async () => {
    // Owners cannot read /v1/sql: the SQL Cube runs for them is in the trace log of their request.
    const r = await call('v1/load', { body: query({ measures: ['sales.net_revenue'], dimensions: ['sales.customer_name', 'sales.rfm_segment'] }), token: tokenOf('owner'), requestId: 'owner-sql-1' });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const executed = fx.logs
      .filter((l) => l.includes('owner-sql-1') && l.includes('"msg":"Executing SQL"'))
      .map((l) => {
        try {
          return (JSON.parse(l) as { query?: string }).query ?? '';
        } catch {
          return l; // a line the pipe split: its text still counts
        }
      });
    assert.ok(executed.length > 0, 'the query ran and is in the trace log');
    const sql = executed.join('\n');
    for (const source of ['paid_orders_current', 'customers_resolved WHERE owner_id = ?', 'customer_value_current']) assert.ok(sql.includes(source), source);
    // The derived tables are read through their owner projection (migration 025): their own owner
    // column narrows the read, ANDed with the live condition, never instead of it.
    const both = 'owner_id = ? AND customer_id IN (SELECT customer_id FROM customers_resolved WHERE owner_id = ?)';
    for (const table of ['paid_orders_current', 'customer_value_current']) assert.ok(sql.includes(`${table} WHERE ${both}`), table);
    assert.ok(!sql.includes(OWNER_ANN), 'the owner id is a bound parameter, not pasted SQL');
  });
});

describe('through the dashboard proxy', () => {
  const stop = async (s: Server): Promise<void> => {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  };
  test("Cube's sanitized error body and request id pass through unchanged", async () => {
    const proxy = cubeProxy(fx.semantic.url, { log: () => {} });
    const server = createServer((req, res) => void proxy(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/cubejs-api/v1/load`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'x-request-id': 'via-proxy-1' },
        body: query({ measures: ['customer_base.customers'], filters: [{ member: 'customer_base.lifetime_value', operator: 'gt', values: ['abc'] }] }),
      });
      const text = await res.text();
      const r: Reply = { status: res.status, requestId: res.headers.get('x-request-id'), text, body: JSON.parse(text) as Reply['body'] };
      assert.equal(assertCleanError(r, 'through the proxy'), 'via-proxy-1');
    } finally {
      await stop(server);
    }
  });

  test("the proxy asks again on Cube's 503 RollupRebuilding, and its own errors carry no internals", async () => {
    let calls = 0;
    const upstream: Server = createServer((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'rebuilding', type: 'RollupRebuilding', requestId: 'r1' }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = (upstream.address() as AddressInfo).port;
    const proxy = cubeProxy(`http://127.0.0.1:${port}/cubejs-api`, { backoffMs: 1, log: () => {} });
    const server = createServer((req, res) => void proxy(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${base}/cubejs-api/v1/load`, { method: 'POST', body: '{}' });
      assert.equal(ok.status, 200);
      assert.equal(calls, 2);
      await stop(upstream);
      const down = await fetch(`${base}/cubejs-api/v1/load`, { method: 'POST', body: '{}' });
      const text = await down.text();
      const r: Reply = { status: down.status, requestId: down.headers.get('x-request-id'), text, body: JSON.parse(text) as Reply['body'] };
      assertCleanError(r, 'proxy with Cube down');
      assert.equal(r.status, 502);
      assert.doesNotMatch(text, /127\.0\.0\.1|ECONNREFUSED/);
      const blocked = await fetch(`${base}/cubejs-api/v1/run-scheduled-refresh`);
      const b = await blocked.text();
      assertCleanError({ status: blocked.status, requestId: blocked.headers.get('x-request-id'), text: b, body: JSON.parse(b) as Reply['body'] }, 'proxy 404');
    } finally {
      await stop(server);
      if (upstream.listening) await stop(upstream);
    }
  });
});
