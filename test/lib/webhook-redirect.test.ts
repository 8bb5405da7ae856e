/**
 * A webhook receiver must not choose where the product sends next (lib/webhook/post.ts). Two real
 * servers on loopback: the "receiver" the product is configured with answers a redirect to the
 * "internal" one (standing for the engine, Cube or the ingest API on 127.0.0.1, or a cloud
 * metadata address), which must see nothing — not the signed body re-posted by a 307/308, not the
 * GET a 302 turns into.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { postSignedJson, sendWebhook, WebhookError } from '../../lib/webhook/index.ts';

let receiver: Server;
let internal: Server;
let receiverUrl: string;
let internalUrl: string;
let redirectStatus = 307;
const reachedInternal: string[] = [];

const listen = (s: Server): Promise<string> => new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));

before(async () => {
  internal = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      reachedInternal.push(`${req.method} ${req.url} ${body.slice(0, 80)}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secret');
    });
  });
  internalUrl = await listen(internal);
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(redirectStatus, { location: `${internalUrl}/?query=SELECT%201` }).end());
  });
  receiverUrl = await listen(receiver);
});

after(async () => {
  for (const s of [receiver, internal]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

test('a redirect is not followed, for any redirect status, and is a failure that is not retried', async () => {
  for (const status of [301, 302, 303, 307, 308]) {
    redirectStatus = status;
    reachedInternal.length = 0;
    await assert.rejects(
      postSignedJson(receiverUrl, 'webhook-secret-of-some-length', `d-${status}`, JSON.stringify({ members: [{ customer_id: 'C-1', name: 'Ada' }] })),
      (err: unknown) => err instanceof WebhookError && err.status === status && !err.retryable && /redirect/.test(err.message) && !/SELECT/.test(err.message),
      `HTTP ${status}`,
    );
    assert.deepEqual(reachedInternal, [], `HTTP ${status}: the internal server was reached`);
  }
  // Through the retry loop as well: one attempt, reported as failed.
  redirectStatus = 308;
  const result = await sendWebhook(receiverUrl, 'webhook-secret-of-some-length', { a: 1 }, { policy: { attempts: 3, baseDelayMs: 0 }, sleep: async () => {} });
  assert.equal(result.ok, false);
  assert.equal(result.attempts, 1);
  assert.deepEqual(reachedInternal, []);
});
