/**
 * The shared answer cache's pure parts (semantic/answer-cache.ts): which claims of a verified token
 * key an answer, how a query is normalized, the byte-bounded LRU, the data-version reader and what
 * counts as a complete answer. The real-Cube behaviour is in answer-cache-shared.test.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { AnswerStore, CLAIMS_NOT_IN_ANSWERS, answerScope, dataVersionReader, isComplete, loadKeyOf, stableJson } from '../../semantic/answer-cache.ts';
import { issueToken, verifyToken } from '../../semantic/security/auth.ts';

const SECRET = 'answer-cache-scope-test-secret';
const ctxOf = (role: 'executive' | 'owner' | 'analyst', name: string, ownerId?: string) => verifyToken(issueToken({ role, name, ownerId, secret: SECRET }), SECRET);

test('executives share one scope whoever they are; each owner has their own; roles are told apart', () => {
  assert.equal(answerScope(ctxOf('executive', 'Ada')), answerScope(ctxOf('executive', 'Bea')));
  assert.notEqual(answerScope(ctxOf('owner', 'Ann', 'U-OWN-01')), answerScope(ctxOf('owner', 'Bob', 'U-OWN-02')));
  assert.equal(answerScope(ctxOf('owner', 'Ann', 'U-OWN-01')), answerScope(ctxOf('owner', 'Ann on her phone', 'U-OWN-01')));
  assert.notEqual(answerScope(ctxOf('executive', 'Ada')), answerScope(ctxOf('analyst', 'Ada')));
  assert.notEqual(answerScope(ctxOf('executive', 'Ada')), answerScope(ctxOf('owner', 'Ada', 'U-OWN-01')));
});

test('a claim the security context gains is part of the key unless it is listed as not changing answers', () => {
  const base = ctxOf('executive', 'Ada');
  // As if verifyToken() learned a new restricting claim: the key must change without any edit here.
  const withRegion = { ...base, region: 'EMEA' } as typeof base;
  assert.notEqual(answerScope(withRegion), answerScope(base));
  assert.notEqual(answerScope({ ...base, region: 'APAC' } as typeof base), answerScope(withRegion));
});

test("no claim the model's SQL reads is among the claims left out of the key", () => {
  const dir = join(PROJECT_ROOT, 'semantic', 'model');
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : /\.(ya?ml|js)$/.test(e.name) ? [join(d, e.name)] : []));
  const used = new Set<string>();
  for (const file of files(dir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:SECURITY_CONTEXT|securityContext|COMPILE_CONTEXT)\.(\w+)/g)) used.add(m[1]);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:SECURITY_CONTEXT|securityContext)\[['"](\w+)['"]\]/g)) used.add(m[1]);
  }
  assert.ok(used.has('owner_id'), `the model restricts rows by owner_id (found ${[...used].join(', ')})`);
  for (const claim of used) assert.ok(!(CLAIMS_NOT_IN_ANSWERS as readonly string[]).includes(claim), `the model reads ${claim}, but the answer cache leaves it out of its key`);
  // The owner's id itself keys the answer.
  assert.match(answerScope(ctxOf('owner', 'Ann', 'U-OWN-01')), /U-OWN-01/);
});

test('a query is keyed the same however its keys are ordered, GET or POST; other paths and renewQuery are not cached', () => {
  const q1 = { measures: ['a.x', 'a.y'], dimensions: ['a.d'], timezone: 'UTC' };
  const q2 = { timezone: 'UTC', dimensions: ['a.d'], measures: ['a.x', 'a.y'] };
  const get = (q: unknown, extra = '') => loadKeyOf({ method: 'GET', url: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify(q))}${extra}` } as never);
  const post = (q: unknown, path = '/cubejs-api/v1/load') => loadKeyOf({ method: 'POST', url: path, body: { query: q } } as never);
  assert.ok(get(q1));
  assert.equal(get(q1), get(q2));
  assert.equal(get(q1), post(q2));
  assert.notEqual(get(q1), get(q1, '&queryType=multi'));
  assert.notEqual(get(q1), get({ ...q1, measures: ['a.y', 'a.x'] }), 'member order is the order of the answer');
  assert.equal(post(q1, '/cubejs-api/v1/sql'), undefined);
  assert.equal(post({ ...q1, renewQuery: true }), undefined);
  assert.equal(loadKeyOf({ method: 'GET', url: '/cubejs-api/v1/load?query=%7Bnot-json' } as never), undefined);
  assert.equal(stableJson({ b: [2, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[2,{"c":2,"d":1}]}');
});

test('the store evicts the least recently used answers beyond its bytes; without a staleness bound it drops every answer of an older data version', () => {
  const body = (n: number) => ({ body: Buffer.alloc(n, 120), contentType: 'application/json' });
  const store = new AnswerStore(1000);
  // Each entry: 200 bytes of body + its 1-character key.
  assert.equal(store.set('v1', 'a', body(200)), false, 'nothing is kept before a lookup fixed the version');
  assert.equal(store.get('v1', 'a'), undefined);
  for (const k of ['a', 'b', 'c', 'd']) assert.ok(store.set('v1', k, body(200)));
  assert.equal(store.stats.bytes, 4 * 201);
  assert.ok(store.get('v1', 'a'), 'a is used again: b is now the oldest');
  assert.ok(store.set('v1', 'e', body(200)));
  assert.ok(store.set('v1', 'f', body(200)), 'six entries of 201 bytes exceed 1000: one goes');
  assert.equal(store.stats.entries, 4);
  assert.equal(store.get('v1', 'b'), undefined, 'the least recently used went first');
  assert.ok(store.get('v1', 'a'));
  assert.ok(store.stats.bytes <= 1000);
  assert.equal(store.set('v1', 'huge', body(300)), false, 'more than a quarter of the budget is not kept');
  assert.equal(store.get('v2', 'a'), undefined, 'a new data version finds nothing of the old');
  assert.equal(store.set('v1', 'late', body(10)), false, 'an answer of the older version arriving late is not kept');
  assert.equal(store.stats.entries, 0);
  assert.equal(store.stats.bytes, 0);
  assert.equal(store.stats.versionChanges, 1);
});

test('the data version is read at most once per renewal, by one read for all concurrent callers, and remembers when a value was first seen', async () => {
  let t = 1000;
  const answers = ['v1', 'v1', 'v2'];
  let reads = 0;
  const read = async () => answers[Math.min(reads++, answers.length - 1)];
  const current = dataVersionReader(read, 5000, () => t);
  const [a, b] = await Promise.all([current(), current()]);
  assert.equal(reads, 1);
  assert.deepEqual(a, { value: 'v1', seenAt: 1000, changedAt: 1000 });
  assert.equal(a, b);
  t = 5999;
  await current();
  assert.equal(reads, 1, 'within the renewal');
  t = 6000;
  assert.deepEqual(await current(), { value: 'v1', seenAt: 1000, changedAt: 1000 }, 'the same value keeps the time it was first seen');
  assert.equal(reads, 2);
  t = 11_000;
  assert.deepEqual(await current(), { value: 'v2', seenAt: 11_000, changedAt: 11_000 });
  const failing = dataVersionReader(async () => Promise.reject(new Error('warehouse down')), 5000, () => t);
  await assert.rejects(failing(), /warehouse down/);
});

test('only complete answers count: every result with data and a refresh time, no error, no "Continue wait"', () => {
  const one = { data: [{ x: 1 }], lastRefreshTime: '2026-01-01T00:00:01.000Z' };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  assert.equal(isComplete(json(one)), true);
  assert.equal(isComplete(json({ queryType: 'regularQuery', results: [one, one] })), true);
  assert.equal(isComplete(json({ error: 'Continue wait' })), false);
  assert.equal(isComplete(json({ results: [one, { error: 'x' }] })), false);
  assert.equal(isComplete(json({ results: [] })), false);
  assert.equal(isComplete(json({ data: [] })), false, 'no refresh time: not an answer Cube computed');
  assert.equal(isComplete(Buffer.from('not json')), false);
});

test('stale-while-revalidate: an earlier answer serves only its own key, never a replay, and never later than the bound after the first change', () => {
  const body = (text: string) => ({ body: Buffer.from(text), contentType: 'application/json' });
  const store = new AnswerStore(1 << 20, 30_000);
  const v1 = { value: 'v1', seenAt: 0, changedAt: 0 };
  assert.equal(store.lookup(v1, 'ann', 0, true), undefined);
  assert.ok(store.set('v1', 'ann', body('ann-1')));
  assert.ok(store.set('v1', 'bob', body('bob-1')));
  // The data changed at 12 s (a load); its version was published at 15 s, once the writer finished.
  const v2 = { value: 'v2', seenAt: 14_000, changedAt: 12_000 };
  const stale = store.lookup(v2, 'ann', 20_000, true);
  assert.deepEqual([stale?.body.toString(), stale?.stale], ['ann-1', true], "Ann's own earlier answer, marked stale");
  assert.equal(store.lookup(v2, 'ann', 20_000, false), undefined, 'a re-warm replay never gets a stale answer: it asks Cube');
  assert.equal(store.lookup(v2, 'carl', 20_000, true), undefined, 'a key without an answer of its own gets nothing (no other key’s)');
  assert.equal(store.set('v1', 'bob', body('bob-late')), false, 'an answer of the older version arriving late is not kept');
  assert.ok(store.set('v2', 'ann', body('ann-2')));
  assert.deepEqual(store.lookup(v2, 'ann', 20_000, true), { body: Buffer.from('ann-2'), contentType: 'application/json', stale: false }, 'the new answer replaces it');
  // Bob's v1 answer: stale from the first change (12 s), served until 12 s + 30 s and never after.
  assert.equal(store.lookup(v2, 'bob', 42_000, true)?.body.toString(), 'bob-1');
  assert.equal(store.lookup(v2, 'bob', 42_001, true), undefined, 'past the bound: no answer, the request goes to Cube');
  assert.equal(store.versionOf('bob'), undefined, 'and the expired answer is gone');
  // Another change at 50 s: Ann's v2 answer is stale from then, for 30 s.
  const v3 = { value: 'v3', seenAt: 50_000 };
  assert.equal(store.staleSince('v1'), 12_000);
  assert.equal(store.lookup(v3, 'ann', 80_000, true)?.body.toString(), 'ann-2');
  assert.equal(store.staleSince('v2'), 50_000);
  assert.equal(store.lookup(v3, 'ann', 80_001, true), undefined);
  assert.equal(store.stats.versionChanges, 2);
});

test('one data change is one version change: a change waits while a writer is busy, at most the hold, and keeps the times it was seen', async () => {
  let t = 0;
  let raw = 'v1';
  let busy = false;
  let held = 0;
  let failBusy = false;
  const current = dataVersionReader(async () => raw, 1000, () => t, {
    hold: {
      busy: async () => {
        if (failBusy) throw new Error('warehouse down');
        return busy;
      },
      maxHoldMs: 15_000,
      onHeld: () => held++,
    },
  });
  assert.deepEqual(await current(), { value: 'v1', seenAt: 0, changedAt: 0 });
  // A load writes its rows: the fingerprint moves, its derived refresh is still to come.
  raw = 'v2';
  busy = true;
  t = 1000;
  assert.equal((await current()).value, 'v1', 'held while the writer is busy');
  // The refresh writes and commits (another fingerprint), still busy until the commit is seen.
  raw = 'v3';
  t = 5000;
  assert.equal((await current()).value, 'v1');
  busy = false;
  t = 8000;
  assert.deepEqual(await current(), { value: 'v3', seenAt: 5000, changedAt: 1000 }, 'one version for the load and its refresh, stale-dated from the first write');
  assert.equal(held, 2);
  // A writer that never finishes is waited for at most maxHoldMs from the first change.
  raw = 'v4';
  busy = true;
  t = 10_000;
  assert.equal((await current()).value, 'v3');
  t = 24_000;
  assert.equal((await current()).value, 'v3', 'still within the hold');
  t = 25_000;
  assert.deepEqual(await current(), { value: 'v4', seenAt: 10_000, changedAt: 10_000 });
  // The data back at the published value: nothing pending any more.
  raw = 'v5';
  t = 26_000;
  assert.equal((await current()).value, 'v4');
  raw = 'v4';
  t = 27_000;
  assert.equal((await current()).value, 'v4');
  // A busy check that fails does not hold anything.
  raw = 'v6';
  failBusy = true;
  t = 28_000;
  assert.deepEqual(await current(), { value: 'v6', seenAt: 28_000, changedAt: 28_000 });
});

test('a version read that does not answer within maxWaitMs leaves the request with the last version read', async () => {
  let t = 0;
  let reads = 0;
  let release!: (v: string) => void;
  const current = dataVersionReader(async () => (reads++ === 0 ? 'v1' : new Promise<string>((r) => (release = r))), 1000, () => t, { maxWaitMs: 1 });
  assert.equal((await current()).value, 'v1', 'the first read is waited for: there is nothing else');
  t = 2000;
  assert.equal((await current()).value, 'v1', 'the late read: the last version answers');
  assert.equal(reads, 2);
  assert.equal((await current()).value, 'v1', 'one read at a time: no second one while it runs');
  assert.equal(reads, 2);
  release('v2');
  while ((await current()).value !== 'v2') await new Promise((r) => setImmediate(r));
  assert.equal(reads, 2, 'the late read itself brought the new version');
});
