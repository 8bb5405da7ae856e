/**
 * Fourth security review: one API request fanned out to any number of warehouse queries. Cube 0.33
 * runs one query per element of a query array, per `compareDateRange` range and per GraphQL `cube`
 * field (aliases), each up to the row limit, all held in memory until the last answers; within the
 * 1 MB body limit that was tens of thousands of queries from any token, an owner's included. Now a
 * request over MAX_QUERIES_PER_REQUEST is a 400 naming the numbers, before Cube sees it.
 *
 * A real Cube (the product's semantic server) against a stand-in warehouse that never answers: a
 * refused request answers 400 at once; one that got through would wait for the 2 s query timeout
 * and answer 504, so the refusal is told apart by status, not by time.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { issueToken } from '../../semantic/security/auth.ts';
import { graphqlCubeFields, jsonDepth, MAX_QUERIES_PER_REQUEST, MAX_QUERY_DEPTH, restQueryCount } from '../../semantic/security/query-fanout.ts';
import type { SemanticServer } from '../../semantic/server.ts';
import { startSemanticOverStandIn, type SemanticOverStandIn } from '../support/semantic.ts';

const secret = 'fanout-secret-fanout-secret';
let stack: SemanticOverStandIn;
let semantic: SemanticServer;

before(async () => {
  // A stand-in warehouse that never answers.
  stack = await startSemanticOverStandIn(() => {}, { apiSecret: secret, queryTimeoutSeconds: 2, waitSeconds: 5, answerCacheMb: 0 });
  semantic = stack.semantic;
});
after(() => stack?.close());

// The lowest-privilege data token there is: an account owner's.
const token = () => issueToken({ role: 'owner', ownerId: 'U-OWN-01', name: 'O', secret });
const ranges = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`2020-01-${String((i % 28) + 1).padStart(2, '0')}`, '2020-02-01']);
const compared = (n: number) => ({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'day', compareDateRange: ranges(n) }] });
const aliases = (n: number): string => `{ ${Array.from({ length: n }, (_, i) => `a${i}: cube { sales { revenue } }`).join(' ')} }`;

async function call(path: string, init: { method?: string; body?: unknown; contentType?: string } = {}) {
  const res = await fetch(`${semantic.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token()}`, 'content-type': init.contentType ?? 'application/json' },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; requestId?: string } };
}

const refused = (r: { status: number; body: { error?: string; requestId?: string } }, n: number) => {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.match(r.body.error ?? '', new RegExp(`asks for ${n} queries; one request may run at most ${MAX_QUERIES_PER_REQUEST}`));
  assert.ok(r.body.requestId, 'the refusal carries a request id like every error');
};

test('counting: arrays, compareDateRange ranges, GraphQL cube fields (aliases and fragments)', () => {
  assert.equal(restQueryCount(compared(7)), 7);
  assert.equal(restQueryCount(JSON.stringify([{}, {}, {}])), 3);
  assert.equal(restQueryCount({ measures: ['sales.revenue'] }), 1);
  assert.equal(restQueryCount('not json'), 1);
  assert.equal(graphqlCubeFields(aliases(5)), 5);
  assert.equal(graphqlCubeFields('query { ...F ...G } fragment F on Query { a: cube { x } } fragment G on Query { b: cube { x } c: cube { x } }'), 3);
  assert.equal(graphqlCubeFields('{ not closed'), 1);
});

test('a compareDateRange of many ranges is refused, GET and POST', { timeout: 120_000 }, async () => {
  const n = 500;
  refused(await call('/v1/load', { method: 'POST', body: { query: compared(n) } }), n);
  // A URL stays under Node's 16 KB header limit (beyond it Node itself answers 431).
  refused(await call(`/v1/load?query=${encodeURIComponent(JSON.stringify(compared(100)))}`), 100);
  refused(await call('/v1/dry-run', { method: 'POST', body: { query: compared(n) } }), n);
});

test('a blending array of many queries is refused, also split over repeated ?query= parameters', { timeout: 120_000 }, async () => {
  const q = { measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'day' }] };
  refused(await call('/v1/load', { method: 'POST', body: { query: Array.from({ length: 40 }, () => q) } }), 40);
  const many = Array.from({ length: 20 }, () => `query=${encodeURIComponent(JSON.stringify([q]))}`).join('&');
  refused(await call(`/v1/load?${many}`), 20);
});

test('a GraphQL document of many aliased cube fields is refused; other body types are 415', { timeout: 120_000 }, async () => {
  refused(await call('/graphql', { method: 'POST', body: { query: aliases(200) } }), 200);
  refused(await call(`/graphql?query=${encodeURIComponent(aliases(30))}`), 30);
  const raw = await call('/graphql', { method: 'POST', body: aliases(200), contentType: 'application/graphql' });
  assert.equal(raw.status, 415, JSON.stringify(raw.body));
});

test('the dashboard’s own shape (a period and two comparisons) still reaches the warehouse', { timeout: 120_000 }, async () => {
  // The stand-in never answers: a request that got past the guard ends in the query timeout.
  const r = await call('/v1/load', { method: 'POST', body: { query: compared(3) } });
  assert.notEqual(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.status, 504, JSON.stringify(r.body));
});

// Fifth review: express routes paths case-insensitively and with a trailing slash, and Cube serves
// /v1/subscribe (a load by another name); the guard matched only the lower-case spellings of load,
// sql, dry-run and graphql, so `/v1/LOAD`, `/GraphQL` or `/v1/subscribe` ran any number of queries.
test('every spelling express routes to a data endpoint is counted (case, trailing slash, /v1/subscribe)', { timeout: 180_000 }, async () => {
  for (const path of ['/v1/LOAD', '/v1/Load/', '/V1/load', '/v1/subscribe', '/v1/SUBSCRIBE', '/v1/DRY-RUN']) {
    refused(await call(`${path}?query=${encodeURIComponent(JSON.stringify(compared(40)))}&queryType=multi`), 40);
  }
  refused(await call('/v1/LOAD', { method: 'POST', body: { query: compared(40), queryType: 'multi' } }), 40);
  refused(await call(`/GraphQL?query=${encodeURIComponent(aliases(30))}`), 30);
  refused(await call('/GRAPHQL/', { method: 'POST', body: { query: aliases(30) } }), 30);
  const raw = await call('/GraphQL', { method: 'POST', body: aliases(200), contentType: 'application/graphql' });
  assert.equal(raw.status, 415, JSON.stringify(raw.body));
});

// The same in absolute form (`GET http://host/cubejs-api/v1/load?… HTTP/1.1`): Node hands the
// whole URL to express, whose router matches its path; the guard read the raw req.url.
test('a request target in absolute form is counted too', { timeout: 180_000 }, async () => {
  const base = new URL(semantic.url);
  const absolute = (path: string, body?: string) =>
    new Promise<{ status: number; body: { error?: string; requestId?: string } }>((resolve, reject) => {
      const req = request(
        { host: base.hostname, port: base.port, method: body === undefined ? 'GET' : 'POST', path: `http://${base.host}${path}`, headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { error?: string } }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  refused(await absolute(`/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify(compared(40)))}&queryType=multi`), 40);
  refused(await absolute('/cubejs-api/v1/load', JSON.stringify({ query: compared(40), queryType: 'multi' })), 40);
  refused(await absolute(`/cubejs-api/graphql?query=${encodeURIComponent(aliases(30))}`), 30);
});

test('a query nested past the limit is a 400 that says so, GET and POST, not a 500 (eighth review)', { timeout: 180_000 }, async () => {
  // 20,000 nested "or" filters (180 KB): before, the answer cache's key and Cube's walks overflowed
  // the stack and the answer was a 500 "failed to answer", which clients retry.
  const nested = (n: number): string => `{"measures":["sales.revenue"],"filters":[${'{"or":['.repeat(n)}{"member":"sales.order_date","operator":"set"}${']}'.repeat(n)}]}`;
  const deep = nested(20_000);
  assert.equal(jsonDepth(JSON.parse(deep)), MAX_QUERY_DEPTH + 1, 'counted up to one past the limit');
  for (const r of [
    await call('/v1/load', { method: 'POST', body: `{"query":${deep}}` }),
    // A URL holds less (Node's 16 KB of headers): 100 levels.
    await call(`/v1/load?query=${encodeURIComponent(nested(100))}`),
    await call('/v1/load', { method: 'POST', body: `{"query":[${deep}]}` }),
  ]) {
    assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
    assert.match(r.body.error ?? '', new RegExp(`nests more than ${MAX_QUERY_DEPTH} levels deep`));
    assert.ok(r.body.requestId);
  }
  // A segment-like query of a few levels is not refused by it.
  const shallow = { measures: ['sales.revenue'], filters: [{ or: [{ and: [{ member: 'sales.order_date', operator: 'set' }] }] }] };
  assert.ok(jsonDepth(shallow) < 10);
});
