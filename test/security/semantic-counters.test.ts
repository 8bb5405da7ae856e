/**
 * Eighth security review: the semantic layer's counters (`/answer-cache`, `/account-queues`)
 * answered anyone who reached its port, and Cube answers every origin with
 * `Access-Control-Allow-Origin: *`: any web page the machine's user opened could read, from
 * 127.0.0.1:4000, how many queries were answered, queued, refused or cached, and so when the
 * product was in use and when a colleague's query had just been asked (seen live on the review's
 * `npm start`: `curl -H 'Origin: https://evil.example' …/answer-cache` gave the counts with
 * `Access-Control-Allow-Origin: *`).
 *
 * Now both want a valid token of the semantic API (a page cannot have one). The product's Cube
 * against a stand-in warehouse that answers every statement empty.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { STATS_PATH } from '../../semantic/answer-cache.ts';
import { issueToken } from '../../semantic/security/auth.ts';
import { ACCOUNT_QUEUES_STATS_PATH } from '../../semantic/security/account-queues.ts';
import { startSemanticServer, type SemanticServer } from '../../semantic/server.ts';

const secret = 'semantic-counters-secret-semantic-counters';
let warehouse: Server;
let semantic: SemanticServer;

before(async () => {
  warehouse = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ meta: [], data: [], rows: 0 })));
  });
  await new Promise<void>((resolve) => warehouse.listen(0, '127.0.0.1', resolve));
  const address = warehouse.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  semantic = await startSemanticServer({
    warehouse: { url: `http://127.0.0.1:${port}`, user: 'crm', password: 'x', database: 'crm' },
    apiSecret: secret,
    port: 0,
    answerCacheMb: 8,
    log: () => {},
  });
});
after(async () => {
  await semantic?.close();
  warehouse?.closeAllConnections();
  await new Promise<void>((resolve) => warehouse.close(() => resolve()));
});

test('the counters answer a token of the semantic API only, not a web page on another origin', { timeout: 180_000 }, async () => {
  const origin = new URL(semantic.url).origin;
  const good = issueToken({ role: 'owner', ownerId: 'U-OWN-01', name: 'Owner', secret });
  const forged = issueToken({ role: 'admin', name: 'Page', secret: 'not-the-api-secret-of-this-product' });
  for (const path of [STATS_PATH, ACCOUNT_QUEUES_STATS_PATH]) {
    for (const [who, headers] of [
      ['a page on another site', { origin: 'https://evil.example' }],
      ['no token', {}],
      ['a token of another secret', { authorization: `Bearer ${forged}` }],
      ['a malformed token', { authorization: 'Bearer x.y.z' }],
    ] as const) {
      const res = await fetch(`${origin}${path}`, { headers });
      const body = await res.text();
      assert.equal(res.status, 401, `${path} answered ${who}: ${res.status} ${body.slice(0, 200)}`);
      assert.doesNotMatch(body, /"(hits|misses|inFlight|waiting|admitted)"/, `${path} gave ${who} counts`);
    }
    const res = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${good}` } });
    assert.equal(res.status, 200, `${path} with a token: ${res.status}`);
    const counts = (await res.json()) as Record<string, unknown>;
    assert.equal(typeof (path === STATS_PATH ? counts.hits : counts.inFlight), 'number', `${path}: ${JSON.stringify(counts)}`);
  }
});
