/**
 * Third review: the semantic layer's shared answer cache (semantic/answer-cache.ts) keys a GET
 * /v1/load by its query string as URLSearchParams reads it, while Cube reads the same request
 * through express's query parser (qs). Where the two readings differ, one user's request stores an
 * answer under a key that is not the request Cube answered, and everyone of the same scope (all
 * executives, all analysts…) who then asks that key gets it. Cube answers `queryType=multi` in
 * another shape (`{queryType, results}`) than a plain query (`{data}`): a regular-shaped answer kept
 * under the key of the dashboard's own multi request (@cubejs-client/core always sends
 * queryType=multi) breaks every chart that asks it, for the whole scope, until the data changes.
 *
 * Pure: the middleware with express's own query parsing of the request and a stand-in for Cube's
 * /v1/load handler that reads `req.query` exactly as Cube 0.33's gateway does.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { AnswerStore, CACHE_HEADER, answerCache } from '../../semantic/answer-cache.ts';
import { issueToken } from '../../semantic/security/auth.ts';

const SECRET = 'answer-cache-spelling-test-secret';
const QUERY = { measures: ['sales.net_revenue'] };

// express 4's "extended" query parser: qs with these options (express/lib/utils.js parseExtendedQueryString).
const qs = createRequire(import.meta.url)('qs') as { parse(s: string, o: object): Record<string, unknown> };
const expressQuery = (search: string): Record<string, unknown> => qs.parse(search, { allowPrototypes: true, arrayLimit: 1000 });

class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  headers: Record<string, string> = {};
  body: Buffer | undefined;
  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
  getHeader(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }
  writeHead(status: number, headers: Record<string, string> = {}): this {
    this.statusCode = status;
    for (const [k, v] of Object.entries(headers)) this.setHeader(k, v);
    this.headersSent = true;
    return this;
  }
  write(): boolean {
    return true;
  }
  end(chunk?: string | Buffer): this {
    this.headersSent = true;
    this.body = chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk);
    this.emit('finish');
    this.emit('close');
    return this;
  }
}

/** Cube 0.33's GET /v1/load as far as the answer's shape goes: `req.query.queryType === 'multi'` wraps the result. */
function cube(req: IncomingMessage & { query?: Record<string, unknown> }, res: FakeResponse): void {
  const result = { query: QUERY, data: [{ 'sales.net_revenue': '100' }], lastRefreshTime: '2026-12-07T00:00:00.000Z' };
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(req.query?.queryType === 'multi' ? { queryType: 'regularQuery', results: [result], pivotQuery: {}, slowQuery: false } : result));
}

function getRequest(token: string, search: string): IncomingMessage & { query: Record<string, unknown> } {
  return { method: 'GET', url: `/cubejs-api/v1/load?${search}`, headers: { authorization: token }, query: expressQuery(search) } as unknown as IncomingMessage & { query: Record<string, unknown> };
}

const multi = `query=${encodeURIComponent(JSON.stringify(QUERY))}&queryType=multi`;

for (const [name, spelling] of [
  ['queryType given twice (express reads an array, the key the first)', `${multi}&queryType=multi`],
  ['queryType after 1,000 other parameters (express drops it, the key keeps it)', `query=${encodeURIComponent(JSON.stringify(QUERY))}&${Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&')}&queryType=multi`],
] as const) {
  test(`one executive's odd spelling never decides the shape of another executive's answer: ${name}`, async () => {
    const store = new AnswerStore(1 << 20);
    // Long after the version was first seen: every complete answer is kept.
    const middleware = answerCache({ apiSecret: SECRET, store, dataVersion: async () => ({ value: 'v1', seenAt: 0 }), renewalMs: 5000, now: () => 1_000_000 });
    const send = (token: string, search: string): Promise<FakeResponse> =>
      new Promise((resolve) => {
        const res = new FakeResponse();
        res.once('finish', () => resolve(res));
        const req = getRequest(token, search);
        middleware(req, res as unknown as ServerResponse, () => cube(req, res));
      });
    const mallory = issueToken({ role: 'executive', name: 'Mallory', sub: 'mallory', secret: SECRET });
    const ceo = issueToken({ role: 'executive', name: 'Ceo', sub: 'ceo', secret: SECRET });

    const planted = await send(mallory, spelling);
    assert.equal(planted.statusCode, 200);
    const answer = await send(ceo, multi);
    const body = JSON.parse(answer.body!.toString('utf8')) as { results?: unknown; data?: unknown };
    assert.ok(Array.isArray(body.results), `the dashboard's multi request got a ${answer.getHeader(CACHE_HEADER)} answer without results: ${answer.body!.toString('utf8').slice(0, 120)}`);
  });
}

test('an ordinary GET is still answered from the cache the second time', async () => {
  const store = new AnswerStore(1 << 20);
  const middleware = answerCache({ apiSecret: SECRET, store, dataVersion: async () => ({ value: 'v1', seenAt: 0 }), renewalMs: 5000, now: () => 1_000_000 });
  let cubeCalls = 0;
  const send = (token: string): Promise<FakeResponse> =>
    new Promise((resolve) => {
      const res = new FakeResponse();
      res.once('finish', () => resolve(res));
      const req = getRequest(token, multi);
      middleware(req, res as unknown as ServerResponse, () => {
        cubeCalls++;
        cube(req, res);
      });
    });
  const ada = issueToken({ role: 'executive', name: 'Ada', sub: 'ada', secret: SECRET });
  const bea = issueToken({ role: 'executive', name: 'Bea', sub: 'bea', secret: SECRET });
  assert.equal((await send(ada)).getHeader(CACHE_HEADER), 'miss');
  const second = await send(bea);
  assert.equal(second.getHeader(CACHE_HEADER), 'hit');
  assert.equal(cubeCalls, 1);
  assert.ok(Array.isArray((JSON.parse(second.body!.toString('utf8')) as { results?: unknown }).results));
});
