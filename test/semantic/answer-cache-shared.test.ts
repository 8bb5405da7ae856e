/**
 * The answer cache shared across users (semantic/answer-cache.ts) on a real Cube and embedded
 * warehouse: executives share answers, each owner only with the same owner, a token that does not
 * verify never sees a cached answer, a load shows within a bounded wait, and the hit path is proven
 * by the cache's own counters (GET /answer-cache) and the x-crm-answer-cache header, not by timing.
 */
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { after, before, test } from 'node:test';
import { CACHE_HEADER, STATS_PATH, type CacheStats } from '../../semantic/answer-cache.ts';
import { issueToken } from '../../semantic/security/auth.ts';
import { OWNER_ANN, OWNER_BOB, opportunities } from './fixture.ts';
import { startSemanticFixture, type SemanticFixture } from './support.ts';

let fx: SemanticFixture;
before(async () => {
  fx = await startSemanticFixture();
});
after(async () => {
  await fx?.close();
});

const QUERY = { measures: ['pipeline.deals', 'pipeline.pipeline_value'] };
/** Polls are bounded: answers are kept once Cube's refresh keys are a renewal newer than the data version (~6 s). */
const DEADLINE_MS = 90_000;

type Deal = { owner_id: string; status: string; amount: string };
/** Counted from the fixture's rows, not through Cube. */
function expected(deals: Deal[], owner?: string): { deals: number; open: number } {
  const mine = deals.filter((d) => owner === undefined || d.owner_id === owner);
  return { deals: mine.length, open: mine.filter((d) => d.status === 'open').reduce((s, d) => s + Number(d.amount), 0) };
}

interface Asked {
  status: number;
  cache: string | null;
  body: { data?: Record<string, string | null>[]; results?: { data: Record<string, string | null>[] }[]; error?: string };
  got?: { deals: number; open: number };
}

/** /v1/load as the dashboard sends it (GET, queryType multi) or as a script does (POST). */
async function ask(authorization: string | undefined, how: 'GET' | 'POST' = 'POST'): Promise<Asked> {
  const base = fx.semantic.url;
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const res =
    how === 'GET'
      ? await fetch(`${base}/v1/load?query=${encodeURIComponent(JSON.stringify(QUERY))}&queryType=multi`, { headers })
      : await fetch(`${base}/v1/load`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
  const body = (await res.json()) as Asked['body'];
  const row = (body.results?.[0]?.data ?? body.data)?.[0];
  const got = res.status === 200 && row ? { deals: Number(row['pipeline.deals']), open: Number(row['pipeline.pipeline_value'] ?? 0) } : undefined;
  return { status: res.status, cache: res.headers.get(CACHE_HEADER), body, got };
}

async function stats(): Promise<CacheStats> {
  // The counters want a token of the semantic API (eighth security review).
  const res = await fetch(`${new URL(fx.semantic.url).origin}${STATS_PATH}`, { headers: { authorization: `Bearer ${issueToken({ role: 'analyst', name: 'Stats', secret: fx.secret })}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as CacheStats;
}

/** Asks until the answer comes from the shared cache; every answer on the way must be `want`. */
async function untilHit(who: string, token: string, want: { deals: number; open: number }, how: 'GET' | 'POST' = 'POST'): Promise<Asked> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const a = await ask(`Bearer ${token}`, how);
    assert.equal(a.status, 200, `${who}: ${JSON.stringify(a.body)}`);
    assert.deepEqual(a.got, want, `${who} (${a.cache ?? 'no cache header'})`);
    if (a.cache === 'hit') return a;
    assert.ok(Date.now() < deadline, `${who}'s answer was not kept within ${DEADLINE_MS / 1000} s: ${JSON.stringify(await stats())}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('executives share one answer, each owner gets only their own, however they alternate; the counters show the hits', async () => {
  const ann = fx.token('owner', OWNER_ANN);
  const bob = fx.token('owner', OWNER_BOB);
  const wantAnn = expected(opportunities, OWNER_ANN);
  const wantBob = expected(opportunities, OWNER_BOB);
  assert.notDeepEqual(wantAnn, wantBob, 'the fixture must tell the two owners apart');

  await untilHit('Ann', ann, wantAnn);
  // Bob's first request after Ann's answer is cached: his own rows, never Ann's.
  const bobFirst = await ask(`Bearer ${bob}`);
  assert.deepEqual(bobFirst.got, wantBob, `Bob's first answer (${bobFirst.cache})`);
  await untilHit('Bob', bob, wantBob);

  const before = await stats();
  for (let round = 0; round < 3; round++) {
    for (const [who, token, want] of [['Ann', ann, wantAnn], ['Bob', bob, wantBob]] as const) {
      const a = await ask(`Bearer ${token}`);
      assert.equal(a.cache, 'hit', `${who}, round ${round}`);
      assert.deepEqual(a.got, want, `${who}, round ${round}`);
    }
  }
  const afterRounds = await stats();
  assert.equal(afterRounds.hits - before.hits, 6, `six answers from the cache: ${JSON.stringify({ before, afterRounds })}`);
  assert.equal(afterRounds.misses, before.misses);

  // Two executives (different users, same access): the second is answered with the first's answer.
  const ada = issueToken({ role: 'executive', name: 'Ada', sub: 'ada', secret: fx.secret });
  const bea = issueToken({ role: 'executive', name: 'Bea', sub: 'bea', secret: fx.secret });
  await untilHit('Ada', ada, expected(opportunities));
  const beaFirst = await ask(`Bearer ${bea}`);
  assert.equal(beaFirst.cache, 'hit', "Bea's first request finds Ada's answer");
  assert.deepEqual(beaFirst.got, expected(opportunities));
  // And an owner's token never reaches the executives' answer.
  const annAgain = await ask(`Bearer ${ann}`);
  assert.deepEqual(annAgain.got, wantAnn);

  // The dashboard's form (GET, queryType multi) is cached too, apart from the POST form.
  await untilHit('Ann via GET', ann, wantAnn, 'GET');
});

test('a forged, expired, other-secret or missing token never gets a cached answer: refused as before', async () => {
  const ann = fx.token('owner', OWNER_ANN);
  await untilHit('Ann', ann, expected(opportunities, OWNER_ANN));
  const claims = jwt.decode(ann) as Record<string, unknown>;
  const [head, , signature] = ann.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...claims, owner_id: OWNER_BOB })).toString('base64url');
  const bad: [string, string | undefined][] = [
    ['forged claims with the original signature', `Bearer ${head}.${forgedPayload}.${signature}`],
    ['signed with another secret', `Bearer ${issueToken({ role: 'owner', name: 'Ann', ownerId: OWNER_ANN, secret: 'not-the-api-secret-at-all' })}`],
    ['expired', `Bearer ${issueToken({ role: 'owner', name: 'Ann', ownerId: OWNER_ANN, secret: fx.secret, days: 1, now: Math.floor(Date.now() / 1000) - 3 * 86_400 })}`],
    ['unsigned (alg none)', `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`],
    ['missing', undefined],
  ];
  const before = await stats();
  for (const [what, authorization] of bad) {
    const a = await ask(authorization);
    assert.equal(a.status, 403, `${what}: ${JSON.stringify(a.body)}`);
    assert.equal(a.got, undefined, `${what}: no data`);
    assert.equal(a.cache, null, `${what}: the cache was not consulted`);
  }
  const afterBad = await stats();
  assert.equal(afterBad.hits, before.hits, 'no hit for any refused token');
});

test('after a load the new data shows within the bounded wait, and is then shared again', async () => {
  const ann = fx.token('owner', OWNER_ANN);
  const bob = fx.token('owner', OWNER_BOB);
  await untilHit('Ann before the load', ann, expected(opportunities, OWNER_ANN));
  const versionsBefore = (await stats()).versionChanges;
  const template = opportunities.find((d) => d.owner_id === OWNER_ANN)!;
  const added = { ...template, opportunity_id: 'D-SHARED-1', name: 'Deal D-SHARED-1', status: 'open', stage: 'proposal', amount: '555.00', original_amount: '555.00', closed_at: null, loss_reason: '', competitor: '', stage_history: [], batch_id: 'shared-cache-test' };
  await fx.tw.warehouse.client.insert({ table: `${fx.tw.config.database}.opportunities`, values: [added], format: 'JSONEachRow' });
  const now = [...opportunities, added];
  const want = expected(now, OWNER_ANN);
  assert.notDeepEqual(want, expected(opportunities, OWNER_ANN));

  const deadline = Date.now() + DEADLINE_MS;
  let a = await ask(`Bearer ${ann}`);
  while (JSON.stringify(a.got) !== JSON.stringify(want) && Date.now() < deadline) {
    assert.deepEqual(a.got, expected(opportunities, OWNER_ANN), 'until the new data shows, the old answer (never anything else)');
    await new Promise((r) => setTimeout(r, 250));
    a = await ask(`Bearer ${ann}`);
  }
  assert.deepEqual(a.got, want, 'Ann sees the loaded deal');
  assert.ok((await stats()).versionChanges > versionsBefore, 'the cache saw the new data version');
  await untilHit('Ann after the load', ann, want);
  await untilHit('Bob after the load', bob, expected(now, OWNER_BOB));
});
