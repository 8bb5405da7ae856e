/**
 * Fast answers while data changes (issue 17), the parts that need no Cube: identical misses share
 * one Cube request (single flight) within one scope and data version and never across scopes, and
 * the re-warm after a data change replays the recently asked requests with tokens of their own
 * scope, most asked first, at most `concurrency` at a time, and stops when a newer version appears.
 * The real-Cube behaviour (answers kept, a load shows) is in answer-cache-shared.test.ts.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { AnswerStore, CACHE_HEADER, answerCache, type DataVersion } from '../../semantic/answer-cache.ts';
import { issueToken, verifyToken } from '../../semantic/security/auth.ts';
import { AskedRequests, rewarmOnChange, type AskedRequest, type RewarmRun } from '../../semantic/warm-up.ts';

const SECRET = 'answer-cache-flight-test-secret';
const QUERY = { measures: ['pipeline.deals'] };

/** The parts of a response the middleware and its capture use. */
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
  writeHead(status: number, headers: Record<string, string>): this {
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

const request = (token: string): IncomingMessage & { body: unknown } =>
  ({ method: 'POST', url: '/cubejs-api/v1/load', headers: { authorization: `Bearer ${token}` }, body: { query: QUERY } }) as unknown as IncomingMessage & { body: unknown };

/** Cube's complete answer for a scope, as a body; distinct per scope so a crossed answer shows. */
const answerFor = (who: string): string => JSON.stringify({ query: QUERY, data: [{ 'pipeline.deals': who }], lastRefreshTime: '2026-01-01T00:00:00.000Z' });

test('identical misses in one scope share the first one’s Cube answer; another scope asks Cube itself', async () => {
  const store = new AnswerStore(1 << 20);
  const version: DataVersion = { value: 'v1', seenAt: 0 };
  const middleware = answerCache({ apiSecret: SECRET, store, dataVersion: async () => version, renewalMs: 5000, now: () => 1 });
  const passedOn: FakeResponse[] = [];
  const run = (token: string): Promise<FakeResponse> =>
    new Promise((resolve) => {
      const res = new FakeResponse();
      res.once('finish', () => resolve(res));
      middleware(request(token), res as unknown as ServerResponse, () => passedOn.push(res));
    });
  const ada = issueToken({ role: 'executive', name: 'Ada', sub: 'ada', secret: SECRET });
  const bea = issueToken({ role: 'executive', name: 'Bea', sub: 'bea', secret: SECRET });
  const ann = issueToken({ role: 'owner', name: 'Ann', ownerId: 'U-OWN-01', secret: SECRET });

  const first = run(ada);
  const second = run(bea);
  const owner = run(ann);
  // Let the three reach the middleware's version read and decide.
  while (passedOn.length < 2) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(passedOn.length, 2, 'one Cube request for the two executives, one for the owner');
  // Cube answers: the executives' leader first, then the owner.
  const [leader, ownersOwn] = passedOn;
  leader.statusCode = 200;
  leader.setHeader('content-type', 'application/json');
  leader.end(answerFor('executives'));
  ownersOwn.statusCode = 200;
  ownersOwn.setHeader('content-type', 'application/json');
  ownersOwn.end(answerFor('U-OWN-01'));

  const [a, b, o] = await Promise.all([first, second, owner]);
  assert.equal(a.body?.toString(), answerFor('executives'));
  assert.equal(b.body?.toString(), answerFor('executives'), 'the second executive got the first one’s answer');
  assert.equal(b.getHeader(CACHE_HEADER), 'shared');
  assert.equal(o.body?.toString(), answerFor('U-OWN-01'), 'the owner never gets the executives’ answer');
  assert.equal(store.stats.shared, 1);
  assert.equal(store.stats.misses, 3);
});

test('a failed leader passes nothing on: the waiting identical request asks Cube itself', async () => {
  const store = new AnswerStore(1 << 20);
  const middleware = answerCache({ apiSecret: SECRET, store, dataVersion: async () => ({ value: 'v1', seenAt: 0 }), renewalMs: 5000, now: () => 1 });
  const passedOn: FakeResponse[] = [];
  const ada = issueToken({ role: 'executive', name: 'Ada', sub: 'ada', secret: SECRET });
  const results = [0, 1].map(
    () =>
      new Promise<FakeResponse>((resolve) => {
        const res = new FakeResponse();
        res.once('finish', () => resolve(res));
        middleware(request(ada), res as unknown as ServerResponse, () => passedOn.push(res));
      }),
  );
  while (passedOn.length < 1) await new Promise((r) => setImmediate(r));
  passedOn[0].statusCode = 500;
  passedOn[0].end(JSON.stringify({ error: 'boom' }));
  while (passedOn.length < 2) await new Promise((r) => setImmediate(r));
  passedOn[1].statusCode = 200;
  passedOn[1].end(answerFor('executives'));
  const [failed, own] = await Promise.all(results);
  assert.equal(failed.statusCode, 500);
  assert.equal(own.body?.toString(), answerFor('executives'));
  assert.equal(store.stats.shared, 0);
});

test('after a data change the recent requests are replayed per scope, most asked first, bounded, and a newer change cuts the run', async () => {
  const now = 1_000_000;
  const entry = (path: string, role: AskedRequest['role'], count: number, last: number, owner_id?: string): AskedRequest => ({
    method: 'GET',
    path: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify({ measures: [path] }))}`,
    role,
    owner_id,
    count,
    last,
  });
  const asked = new AskedRequests([
    entry('sales.revenue', 'executive', 5, now - 1000),
    entry('sales.orders', 'owner', 9, now - 2000, 'U-OWN-02'),
    entry('pipeline.deals', 'owner', 1, now - 500, 'U-OWN-01'),
    entry('sales.aov', 'executive', 50, now - 60 * 60_000), // asked long ago: not replayed
  ]);
  let version = { value: 'v1', seenAt: now };
  const sent: { e: AskedRequest; scope: string }[] = [];
  let inFlight = 0;
  let peak = 0;
  const runs: RewarmRun[] = [];
  let ran!: () => void;
  let done = new Promise<void>((r) => (ran = r));
  let gate: (() => void) | undefined;
  const held = new Promise<void>((r) => (gate = r));
  let reads = 0;
  const rewarm = rewarmOnChange({
    target: () => undefined,
    apiSecret: SECRET,
    asked,
    dataVersion: async () => {
      reads++;
      return version;
    },
    settleMs: 0,
    pollMs: 1,
    concurrency: 2,
    recentMs: 10 * 60_000,
    now: () => now,
    send: async (e, token) => {
      const ctx = verifyToken(token, SECRET);
      sent.push({ e, scope: `${ctx.role}/${ctx.owner_id ?? ''}` });
      inFlight++;
      peak = Math.max(peak, inFlight);
      // The second run's requests are all held until the test lets them go.
      if (runs.length === 1) await held;
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return 200;
    },
    onRun: (r) => {
      runs.push(r);
      ran();
    },
  });
  // The re-warm's timers are unref'd: a ref'd one holds the event loop open while runs are awaited.
  const holdOpen = setInterval(() => undefined, 1000);
  try {
    await done;
    assert.deepEqual(
      sent.map((s) => [s.e.path.includes('sales.orders') ? 'orders' : s.e.path.includes('sales.revenue') ? 'revenue' : 'deals', s.scope]),
      [
        ['orders', 'owner/U-OWN-02'],
        ['revenue', 'executive/'],
        ['deals', 'owner/U-OWN-01'],
      ],
      'most asked first, each with a token of its own scope; the old one left out',
    );
    assert.ok(peak <= 2, `at most 2 in flight, saw ${peak}`);
    assert.deepEqual({ queries: runs[0].queries, sent: runs[0].sent, failed: runs[0].failed, cut: runs[0].cut }, { queries: 3, sent: 3, failed: 0, cut: false });

    // A second change: its run's requests are held while a third change appears; the run stops after them.
    sent.length = 0;
    done = new Promise<void>((r) => (ran = r));
    version = { value: 'v2', seenAt: now };
    while (sent.length < 2) await new Promise((r) => setImmediate(r));
    version = { value: 'v3', seenAt: now };
    // The poll reads v3 before the held request returns.
    const readsBefore = reads;
    while (reads <= readsBefore) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    gate!();
    await done;
    assert.equal(runs[1].version, 'v2');
    assert.equal(runs[1].cut, true, 'the newer version cut the run short');
    assert.equal(runs[1].sent, 2, 'the cut run sent the 2 it had in flight, not the third');
  } finally {
    clearInterval(holdOpen);
    rewarm.stop();
  }
});

test('after a change each scope is answered its own earlier answer while the new one is computed; a replay and an unknown scope go to Cube', async () => {
  const store = new AnswerStore(1 << 20, 30_000);
  let version: DataVersion = { value: 'v1', seenAt: 0, changedAt: 0 };
  let t = 10_000;
  // Cube is backed up: the revalidations do not answer within the wait (held until released).
  const revalidations: string[] = [];
  let releaseRevalidations!: () => void;
  const revalidationsHeld = new Promise<void>((r) => (releaseRevalidations = r));
  let revalidateAnswer: string | undefined;
  const middleware = answerCache({
    apiSecret: SECRET,
    store,
    dataVersion: async () => version,
    renewalMs: 5000,
    now: () => t,
    isReplay: (req) => Boolean(req.headers['x-replay']),
    staleWaitMs: 5,
    maxRevalidations: 2,
    revalidate: async (req) => {
      revalidations.push(String(req.headers.authorization));
      if (revalidateAnswer !== undefined) return { body: Buffer.from(revalidateAnswer), contentType: 'application/json' };
      await revalidationsHeld;
      return undefined;
    },
  });
  const passedOn: FakeResponse[] = [];
  const run = (token: string, replay = false): Promise<FakeResponse> =>
    new Promise((resolve) => {
      const res = new FakeResponse();
      res.once('finish', () => resolve(res));
      const req = request(token);
      if (replay) (req.headers as Record<string, string>)['x-replay'] = '1';
      middleware(req, res as unknown as ServerResponse, () => passedOn.push(res));
    });
  const answer = async (pending: Promise<FakeResponse>, who: string): Promise<FakeResponse> => {
    while (passedOn.length === 0) await new Promise((r) => setImmediate(r));
    const res = passedOn.shift()!;
    res.setHeader('content-type', 'application/json');
    res.end(answerFor(who));
    return pending;
  };
  const ada = issueToken({ role: 'executive', name: 'Ada', sub: 'ada', secret: SECRET });
  const ann = issueToken({ role: 'owner', name: 'Ann', ownerId: 'U-OWN-01', secret: SECRET });
  const bob = issueToken({ role: 'owner', name: 'Bob', ownerId: 'U-OWN-02', secret: SECRET });
  // Version 1: the executives' and Ann's answers are kept (asked more than a renewal after v1 was seen).
  await answer(run(ada), 'executives');
  await answer(run(ann), 'U-OWN-01');
  assert.equal(store.stats.stored, 2);

  // The data changes: v2 published at 20 s, first change seen at 18 s.
  version = { value: 'v2', seenAt: 18_000, changedAt: 18_000 };
  t = 20_000;
  const annStale = await run(ann);
  assert.equal(annStale.body?.toString(), answerFor('U-OWN-01'), "Ann gets her own earlier answer at once");
  assert.equal(annStale.getHeader(CACHE_HEADER), 'stale');
  const adaStale = await run(ada);
  assert.equal(adaStale.body?.toString(), answerFor('executives'), 'the executives get theirs, never an owner’s');
  const bobs = run(bob);
  const bobRes = await answer(bobs, 'U-OWN-02');
  assert.equal(bobRes.getHeader(CACHE_HEADER), 'miss', 'Bob had no answer: his request went to Cube, not to anyone else’s answer');
  await run(ann);
  assert.equal(store.stats.stale, 3);
  // Each stale key is asked again with its asker's own token, once while the earlier ask is on its way.
  assert.deepEqual(revalidations, [`Bearer ${ann}`, `Bearer ${ada}`]);
  releaseRevalidations();
  // When Cube answers within the wait, the request gets that new answer instead of the stale one.
  revalidateAnswer = answerFor('executives, revalidated');
  while (revalidations.length < 3) {
    const r = await run(ada);
    if (r.getHeader(CACHE_HEADER) === 'revalidated') {
      assert.equal(r.body?.toString(), answerFor('executives, revalidated'));
      break;
    }
    // The held ask has just been released; it ends before the next one starts.
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(store.stats.revalidated, 1);
  revalidateAnswer = undefined;

  // The re-warm's replay of Ann's query is not answered stale: it asks Cube, and its answer (v2, sent
  // a renewal + margin after v2 was seen) replaces the stale one.
  t = 25_000;
  const replay = run(ann, true);
  assert.equal(await Promise.race([replay.then(() => 'answered'), new Promise((r) => setImmediate(() => r('waiting')))]), 'waiting');
  await answer(replay, 'U-OWN-01 v2');
  const fresh = await run(ann);
  assert.equal(fresh.getHeader(CACHE_HEADER), 'hit');
  assert.equal(fresh.body?.toString(), answerFor('U-OWN-01 v2'));

  // Past the bound (30 s after the change at 18 s) the executives' v1 answer is not served: Cube is asked.
  t = 48_001;
  const late = run(ada);
  const lateRes = await answer(late, 'executives v2');
  assert.equal(lateRes.getHeader(CACHE_HEADER), 'miss');
});

test('the re-warm replays the answers stale longest first and skips those of the current version', async () => {
  const now = 1_000_000;
  const entry = (measure: string, count: number): AskedRequest => ({
    method: 'GET',
    path: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify({ measures: [measure] }))}`,
    role: 'executive',
    count,
    last: now - 1000,
  });
  const asked = new AskedRequests([entry('a', 9), entry('b', 5), entry('c', 1), entry('d', 3)]);
  // a: current already; b: stale since 20 s; c: stale since 10 s; d: never kept.
  const rank: Record<string, number | undefined> = { a: undefined, b: 20_000, c: 10_000, d: Number.MAX_SAFE_INTEGER };
  const sent: string[] = [];
  let ran!: (r: RewarmRun) => void;
  const done = new Promise<RewarmRun>((r) => (ran = r));
  const rewarm = rewarmOnChange({
    target: () => undefined,
    apiSecret: SECRET,
    asked,
    dataVersion: async () => ({ value: 'v9', seenAt: now }),
    settleMs: 0,
    pollMs: 1,
    concurrency: 1,
    recentMs: 60_000,
    now: () => now,
    order: (e, version) => {
      assert.equal(version, 'v9');
      return rank[JSON.parse(new URL(e.path, 'http://x').searchParams.get('query')!).measures[0] as string];
    },
    send: async (e) => {
      sent.push(JSON.parse(new URL(e.path, 'http://x').searchParams.get('query')!).measures[0] as string);
      return 200;
    },
    onRun: (r) => ran(r),
  });
  // The re-warm's timers are unref'd (it must never keep a stopping server alive), so nothing else
  // here holds the event loop open while the run is awaited: node --test ended the test as "still
  // pending" once, in the CI of 87b0a66. A ref'd timer holds it for the test's length.
  const holdOpen = setInterval(() => undefined, 1000);
  try {
    const r = await done;
    assert.deepEqual(sent, ['c', 'b', 'd'], 'stale longest first, then the never kept; the current one not at all');
    assert.equal(r.queries, 3);
  } finally {
    clearInterval(holdOpen);
    rewarm.stop();
  }
});
