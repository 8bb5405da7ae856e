/**
 * Seventh security review: one account starved everyone's queries. Cube 0.33 has one FIFO queue;
 * an owner who sent 400 distinct queries without waiting for answers put an executive's first
 * answers 78 s and 217 s behind them. Now each account has at most `accountSlots` requests in Cube
 * and waits in its own queue beyond that (semantic/security/account-queues.ts).
 *
 * The product's Cube against a stand-in warehouse that holds every statement until the test lets
 * them go: the flood is in place (its turns taken, the rest queued, read from the scheduler's
 * stats) before the other account asks, so what is asserted is order and turns, not time.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { issueToken } from '../../semantic/security/auth.ts';
import { ACCOUNT_QUEUES_STATS_PATH, accountQueues, type AccountQueueOptions, type AccountQueueStats } from '../../semantic/security/account-queues.ts';
import { startSemanticServer, type SemanticServer } from '../../semantic/server.ts';

const secret = 'account-queues-secret-account-queues';
const SLOTS = 2;
const ROUNDS = 4;
const FLOOD = SLOTS * ROUNDS;
const QUEUE = FLOOD - SLOTS;

let warehouse: Server;
let semantic: SemanticServer;
/** Statements held until `release`; after it, each is answered (empty) at once. */
const held: ServerResponse[] = [];
let released = false;
const answer = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ meta: [], data: [], rows: 0 }));
};

before(async () => {
  warehouse = createServer((req, res) => {
    req.resume();
    req.on('end', () => (released ? answer(res) : held.push(res)));
  });
  await new Promise<void>((resolve) => warehouse.listen(0, '127.0.0.1', resolve));
  const address = warehouse.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  semantic = await startSemanticServer({
    warehouse: { url: `http://127.0.0.1:${port}`, user: 'crm', password: 'x', database: 'crm' },
    apiSecret: secret,
    port: 0,
    queryTimeoutSeconds: 120,
    waitSeconds: 150,
    answerCacheMb: 0,
    accountSlots: SLOTS,
    accountQueue: QUEUE,
    log: () => {},
  });
});
after(async () => {
  released = true;
  for (const res of held.splice(0)) answer(res);
  await semantic?.close();
  warehouse?.closeAllConnections();
  await new Promise<void>((resolve) => warehouse.close(() => resolve()));
});

const flooder = issueToken({ role: 'owner', ownerId: 'U-OWN-01', name: 'Flood', sub: 'flood@example.com', secret });
const other = issueToken({ role: 'executive', name: 'Exec', sub: 'exec@example.com', secret });

/** A distinct query each (no two share Cube's queue entry): a different day's revenue. */
const ask = (token: string, i: number) =>
  fetch(`${semantic.url}/v1/load`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: { measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: [`2020-01-${String(i + 1).padStart(2, '0')}`, '2020-03-01'] }] } }),
  });

async function stats(): Promise<AccountQueueStats> {
  const res = await fetch(new URL(ACCOUNT_QUEUES_STATS_PATH, semantic.url), { headers: { authorization: `Bearer ${other}` } });
  assert.equal(res.status, 200, `the scheduler's stats at ${ACCOUNT_QUEUES_STATS_PATH}`);
  return (await res.json()) as AccountQueueStats;
}

async function until(what: string, ok: (s: AccountQueueStats) => boolean): Promise<AccountQueueStats> {
  for (let i = 0; i < 1200; i++) {
    const s = await stats();
    if (ok(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached: ${what}; stats ${JSON.stringify(await stats())}`);
}

test("a flooding account waits in its own queue; another account's query goes ahead of the flood's tail", { timeout: 240_000 }, async () => {
  const order: string[] = [];
  const track = (name: string, p: Promise<Response>) =>
    p.then(async (r) => {
      await r.arrayBuffer();
      order.push(name);
      return r;
    });
  const flood = Array.from({ length: FLOOD }, (_, i) => track(`flood${i}`, ask(flooder, i)));
  // The flood's turns taken and the rest queued (nothing has answered: the warehouse holds everything).
  const placed = await until(`${SLOTS} in Cube and ${QUEUE} waiting`, (s) => s.inFlight === SLOTS && s.waiting === QUEUE);
  assert.equal(placed.admitted, SLOTS);

  // One more from the flooder: its queue is full, so a 429 with Retry-After, not an unbounded queue.
  const over = await ask(flooder, 20);
  assert.equal(over.status, 429, await over.text());
  assert.ok(Number(over.headers.get('retry-after')) >= 1, 'Retry-After says when to ask again');

  // The other account is let into Cube at once, ahead of the flooder's queue.
  const mine = track('other', ask(other, 25));
  const let_in = await until('the other account in Cube', (s) => s.admitted === SLOTS + 1);
  assert.equal(let_in.waiting, QUEUE, "the other account's request did not wait behind the flood");
  assert.equal(let_in.queued, QUEUE, 'only the flood was queued');

  released = true;
  for (const res of held.splice(0)) answer(res);
  const answered = await mine;
  assert.equal(answered.status, 200);
  await Promise.all(flood);

  const end = await stats();
  assert.equal(end.peakPerAccount, SLOTS, 'no account ever had more than its turns in Cube');
  assert.equal(end.admitted, FLOOD + 1);
  assert.equal(end.refused, 1);
  assert.equal(end.inFlight + end.waiting, 0);
  // In Cube's FIFO queue it came after all of the flood; now only the flood's first turns can be ahead of it.
  const after = order.length - 1 - order.indexOf('other');
  assert.ok(after >= FLOOD - 2 * SLOTS, `the other account's answer came before ${after} of the flood's ${FLOOD}: ${order.join(' ')}`);
});

/** The scheduler alone in front of a handler that holds what it is given, over real HTTP. */
async function schedulerServer(opts: Omit<AccountQueueOptions, 'account'>, answerNow?: (req: IncomingMessage, res: ServerResponse) => boolean) {
  const queues = accountQueues({ ...opts, account: (req) => req.headers['x-account'] as string | undefined });
  const admitted: string[] = [];
  const holding: ServerResponse[] = [];
  const server = createServer((req, res) =>
    queues(req, res, () => {
      admitted.push(String(req.headers['x-account']));
      if (!answerNow?.(req, res)) holding.push(res);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const send = (account: string, query = '{}') => fetch(`${base}/cubejs-api/v1/load?query=${encodeURIComponent(query)}`, { headers: { 'x-account': account } }).then(async (r) => ({ status: r.status, body: await r.text() }));
  const settle = async (ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(ok(), `the scheduler did not settle: ${JSON.stringify(queues.stats)}`);
  };
  const close = async (): Promise<void> => {
    for (const res of holding.splice(0)) res.end('ok');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { queues, admitted, holding, send, settle, close };
}

test('queues are served round-robin across accounts when all turns are taken', async () => {
  const s = await schedulerServer({ slots: 2, total: 2, queueBound: 10, waitMs: 60_000 });
  try {
    const replies = [...Array.from({ length: 6 }, () => s.send('A'))];
    await s.settle(() => s.queues.stats.waiting === 4);
    replies.push(s.send('B'), s.send('B'));
    await s.settle(() => s.queues.stats.waiting === 6);
    replies.push(s.send('C'), s.send('C'));
    await s.settle(() => s.queues.stats.waiting === 8);
    assert.deepEqual(s.admitted, ['A', 'A']);
    // One answer at a time: each frees one turn, taken by the next account in the round.
    for (let n = 3; n <= 10; n++) {
      s.holding.shift()!.end('ok');
      await s.settle(() => s.admitted.length === n);
    }
    assert.deepEqual(s.admitted.slice(2), ['A', 'B', 'C', 'A', 'B', 'C', 'A', 'A']);
    for (const res of s.holding.splice(0)) res.end('ok');
    assert.ok((await Promise.all(replies)).every((r) => r.status === 200));
    assert.equal(s.queues.stats.peakTotal, 2);
  } finally {
    await s.close();
  }
});

test("a wait in the queue ends with Cube's answer for a query still running, and frees its place", async () => {
  const s = await schedulerServer({ slots: 1, total: 4, queueBound: 1, waitMs: 200 });
  try {
    const first = s.send('A');
    await s.settle(() => s.queues.stats.inFlight === 1);
    const waited = await s.send('A');
    assert.equal(waited.status, 200);
    assert.deepEqual(JSON.parse(waited.body), { error: 'Continue wait' });
    assert.equal(s.queues.stats.timedOut, 1);
    assert.equal(s.queues.stats.waiting, 0);
    s.holding.shift()!.end('ok');
    assert.equal((await first).status, 200);
  } finally {
    await s.close();
  }
});

test('a query Cube answered "Continue wait" for keeps its turn until it is asked again', async () => {
  // Cube's answer while the query is still queued: the first time a request is asked, "Continue wait".
  const seen = new Set<string>();
  const s = await schedulerServer({ slots: 1, total: 4, queueBound: 5, waitMs: 60_000 }, (req, res) => {
    if (seen.has(req.url ?? '')) return false;
    seen.add(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Continue wait' }));
    return true;
  });
  try {
    assert.equal((await s.send('A', 'q1')).body, JSON.stringify({ error: 'Continue wait' }));
    assert.equal(s.queues.stats.parked, 1);
    assert.equal(s.queues.stats.inFlight, 1, "q1 still holds the account's one turn");
    // Another query of the same account waits: q1 is still in Cube's queue.
    const q2 = s.send('A', 'q2');
    await s.settle(() => s.queues.stats.waiting === 1);
    // q1 asked again takes its own turn back, past the waiting q2; its answer gives the turn to q2.
    const q1 = s.send('A', 'q1');
    await s.settle(() => s.holding.length === 1);
    assert.equal(s.queues.stats.parked, 0);
    assert.equal(s.queues.stats.waiting, 1);
    s.holding.shift()!.end('ok');
    assert.equal((await q1).body, 'ok');
    await s.settle(() => s.queues.stats.waiting === 0 && s.admitted.length === 3);
    // q2's first answer is "Continue wait" too (parked again), then nothing holds: B is let in at once.
    assert.equal((await q2).body, JSON.stringify({ error: 'Continue wait' }));
    assert.equal(s.queues.stats.parked, 1);
    const b = s.send('B', 'q3');
    await s.settle(() => s.admitted.length === 4);
    assert.equal((await b).body, JSON.stringify({ error: 'Continue wait' }));
  } finally {
    await s.close();
  }
});
