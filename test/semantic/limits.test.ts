/**
 * Query timeout against a warehouse that never answers: a clear 504, not a hang or a
 * "Continue wait". (A stand-in HTTP endpoint: Cube compiles the model without the database.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { issueToken } from '../../semantic/security/auth.ts';
import type { SemanticServer } from '../../semantic/server.ts';
import { startSemanticOverStandIn, type SemanticOverStandIn } from '../support/semantic.ts';

const secret = 'limits-secret-limits-secret';
let stack: SemanticOverStandIn;
/** Requests the stand-in warehouse received (and never answered). */
let received = 0;
let semantic: SemanticServer;

before(async () => {
  // Accepts every request and never answers it.
  stack = await startSemanticOverStandIn(
    () => {
      received++;
    },
    { apiSecret: secret, queryTimeoutSeconds: 2, maxRows: 100 },
  );
  semantic = stack.semantic;
});
after(() => stack?.close());

const post = async (query: object) => {
  const res = await fetch(`${semantic.url}/v1/load`, {
    method: 'POST',
    headers: { authorization: `Bearer ${issueToken({ role: 'analyst', name: 'T', secret })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; type?: string } };
};

// No bound on the elapsed time: that the answer comes at all (instead of a hang or Cube's "Continue
// wait") is the point. A hang fails by the test's timeout, far above any machine's speed.
test('a query that outlives the timeout answers 504 with a clear error', { timeout: 300_000 }, async () => {
  const answer = await post({ measures: ['sales.net_revenue'] });
  assert.equal(answer.status, 504, JSON.stringify(answer.body));
  assert.equal(answer.body.type, 'QueryTimeout');
  assert.match(answer.body.error!, /timed out after 2 s/);
  assert.ok(received > 0, 'the query reached the warehouse, which is what timed out');
});

test('the row limit is configurable and enforced before the database is asked', async () => {
  const answer = await post({ dimensions: ['customer_base.customer_id'], limit: 101 });
  assert.equal(answer.status, 400);
  assert.match(answer.body.error!, /at most 100 rows/);
});
