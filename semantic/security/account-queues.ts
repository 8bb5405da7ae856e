import type { IncomingMessage, ServerResponse } from 'node:http';
import { statsRefused } from '../answer-cache.ts';
import { isContinueWait } from '../wait-for-answer.ts';
import { queriesOf } from './query-fanout.ts';
import { routePath } from './route-path.ts';

/**
 * Fair turns at Cube's queue, per account (seventh security review). Cube 0.33 has one FIFO queue
 * for everyone: an owner who sent 400 distinct queries through the dashboard without waiting for
 * the answers put an executive's first two answers 78 s and 217 s behind them. Any token on the
 * semantic port could do the same.
 *
 * Here each account (the token's subject) has at most `slots` requests in Cube at once and waits
 * in a queue of its own beyond that; the queues are served round-robin whenever a request leaves
 * Cube, and all accounts together keep at most `total` requests in Cube (a few rounds of Cube's own
 * concurrency), so a newcomer's request waits for at most that many ahead of it, never for another
 * account's backlog. A hard cap per account would have refused bench:load's executives, who share
 * one account: they queue instead, and only a queue longer than `queueBound` is refused (429).
 *
 * A turn is not given back when Cube answers "Continue wait": the query stays in Cube's queue (the
 * review's flood was exactly that, the dashboard polling on it), so its turn stays taken, "parked",
 * until the same account asks the same request again (it takes the turn back: Cube joins it to the
 * queued query) and gets its answer, or until Cube drops the query as orphaned (`parkMs`, Cube's
 * orphanedTimeout, 120 s without a poll). The same when the client hung up before the answer.
 *
 * Sits after the answer cache and the server-side wait (cube-process.ts): a cached or shared answer
 * never takes a turn, and the wait's loopback requests, not the plain client's request held around
 * them, are the ones that queue (the outer request holding a turn would starve its own asks).
 */
export interface AccountQueueOptions {
  /** Requests of one account in Cube at once. */
  slots: number;
  /** Requests of one account waiting here; beyond, 429. */
  queueBound: number;
  /** Requests of all accounts in Cube at once (at least `slots`). */
  total: number;
  /** Longest wait here before the answer Cube gives a query still running ("Continue wait"), which its clients ask again on. */
  waitMs: number;
  /** How long a query Cube answered "Continue wait" for keeps its turn without a poll. Default 120 s (Cube's orphanedTimeout). */
  parkMs?: number;
  /** The verified account of a request, or undefined (no or bad token: Cube refuses it before it queries anything). */
  account: (req: IncomingMessage) => string | undefined;
}

export interface AccountQueueStats {
  slots: number;
  queueBound: number;
  total: number;
  /** Turns taken now (requests in Cube and parked queries), the parked ones among them, and requests waiting here now. */
  inFlight: number;
  parked: number;
  waiting: number;
  /** Requests let into Cube on a turn of their own; of them, how many had waited here first; requests that took back their parked turn. */
  admitted: number;
  queued: number;
  resumed: number;
  /** 429s, queue waits that ended in "Continue wait", and waiters whose client hung up. */
  refused: number;
  timedOut: number;
  abandoned: number;
  /** The most requests one account (any) and all accounts had in Cube at once. */
  peakPerAccount: number;
  peakTotal: number;
}

export const ACCOUNT_QUEUES_STATS_PATH = '/account-queues';

interface Waiter {
  req: IncomingMessage;
  res: ServerResponse;
  next: (err?: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}
interface Account {
  inFlight: number;
  queue: Waiter[];
  /** Queries Cube still holds after a "Continue wait", by request: the timer that gives the turn back. */
  parked: Map<string, ReturnType<typeof setTimeout>>;
}

/** The same request asked again (the dashboard's poll, wait-for-answer.ts's loopback): method, URL and body. */
function requestKey(req: IncomingMessage & { body?: unknown }): string {
  return `${req.method} ${req.url}\n${req.body === undefined ? '' : JSON.stringify(req.body)}`;
}

/** Calls `done` with the status and whether the answer was Cube's "Continue wait" (read from a short body only). */
function onAnswer(res: ServerResponse, done: (continueWait: boolean) => void): void {
  const head: Buffer[] = [];
  let size = 0;
  const keep = (chunk: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size <= 512) head.push(b);
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { write: unknown }).write = (...args: unknown[]): boolean => {
    keep(args[0]);
    return write(...args);
  };
  (res as { end: unknown }).end = (...args: unknown[]): ServerResponse => {
    keep(args[0]);
    const out = end(...args);
    done(size <= 512 && isContinueWait(res.statusCode, Buffer.concat(head)));
    return out;
  };
}

type JsonResponse = ServerResponse & { status?: (code: number) => { json: (body: unknown) => unknown } };

export function accountQueues(opts: AccountQueueOptions) {
  const slots = Math.max(1, opts.slots);
  const total = Math.max(slots, opts.total);
  const parkMs = opts.parkMs ?? 120_000;
  const accounts = new Map<string, Account>();
  /** Accounts with someone waiting, in the order their turn comes. */
  const turns: string[] = [];
  const stats: AccountQueueStats = {
    slots,
    queueBound: opts.queueBound,
    total,
    inFlight: 0,
    parked: 0,
    waiting: 0,
    admitted: 0,
    queued: 0,
    resumed: 0,
    refused: 0,
    timedOut: 0,
    abandoned: 0,
    peakPerAccount: 0,
    peakTotal: 0,
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const r = res as JsonResponse;
    // Through express's res.json, so the API boundary adds the request id and types the error.
    if (typeof r.status === 'function') r.status(status).json(body);
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const forget = (key: string, acct: Account): void => {
    if (acct.inFlight === 0 && acct.queue.length === 0 && acct.parked.size === 0) accounts.delete(key);
  };

  const release = (key: string, acct: Account): void => {
    acct.inFlight--;
    stats.inFlight--;
    forget(key, acct);
    pump();
  };

  /** `resumed`: the request takes back its own parked turn (counted already). */
  const start = (key: string, acct: Account, w: Omit<Waiter, 'timer'>, resumed = false): void => {
    if (!resumed) {
      acct.inFlight++;
      stats.inFlight++;
      stats.peakPerAccount = Math.max(stats.peakPerAccount, acct.inFlight);
      stats.peakTotal = Math.max(stats.peakTotal, stats.inFlight);
      stats.admitted++;
    } else stats.resumed++;
    const asked = requestKey(w.req);
    let continueWait = false;
    let settled = false;
    onAnswer(w.res, (cw) => (continueWait = cw));
    // 'close' comes once the answer is sent or the client hung up, whichever ends the request.
    w.res.once('close', () => {
      if (settled) return;
      settled = true;
      // A client that hung up (wait-for-answer.ts's loopback at its deadline, a script) leaves its query queued in Cube as well.
      const final = w.res.writableEnded && !continueWait;
      if (final || acct.parked.has(asked)) return release(key, acct);
      // Cube keeps the query queued: the turn stays taken until it is asked again or dropped.
      stats.parked++;
      acct.parked.set(
        asked,
        setTimeout(() => {
          if (!acct.parked.delete(asked)) return;
          stats.parked--;
          release(key, acct);
        }, parkMs).unref(),
      );
    });
    w.next();
  };

  /** Lets waiters into Cube, one account's turn at a time, while there is room. */
  const pump = (): void => {
    let served = true;
    while (served && stats.inFlight < total) {
      served = false;
      for (let i = 0; i < turns.length; i++) {
        const key = turns[i];
        const acct = accounts.get(key);
        if (!acct || acct.queue.length === 0) {
          turns.splice(i--, 1);
          continue;
        }
        if (acct.inFlight >= slots) continue;
        const w = acct.queue.shift()!;
        clearTimeout(w.timer);
        stats.waiting--;
        // Served: to the back of the round.
        turns.splice(i, 1);
        if (acct.queue.length > 0) turns.push(key);
        start(key, acct, w);
        served = true;
        break;
      }
    }
  };

  const leaveQueue = (key: string, acct: Account, w: Waiter): boolean => {
    const at = acct.queue.indexOf(w);
    if (at < 0) return false;
    acct.queue.splice(at, 1);
    clearTimeout(w.timer);
    stats.waiting--;
    forget(key, acct);
    return true;
  };

  const middleware = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (req.method === 'GET' && routePath(req.url) === ACCOUNT_QUEUES_STATS_PATH) {
      // For a token of the semantic layer only, as the answer cache's counters (answer-cache.ts).
      if (opts.account(req) === undefined) return void statsRefused(res);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(stats));
      return;
    }
    // Data requests only (load, subscribe, sql, dry-run, GraphQL); meta and health pass.
    if (queriesOf(req) === undefined) return next();
    const key = opts.account(req);
    if (key === undefined) return next();
    const acct: Account = accounts.get(key) ?? { inFlight: 0, queue: [], parked: new Map() };
    accounts.set(key, acct);
    // Asked again after "Continue wait": the turn its query holds in Cube's queue is its own.
    const parked = acct.parked.get(requestKey(req));
    if (parked) {
      clearTimeout(parked);
      acct.parked.delete(requestKey(req));
      stats.parked--;
      return start(key, acct, { req, res, next }, true);
    }
    if (acct.queue.length === 0 && acct.inFlight < slots && stats.inFlight < total) return start(key, acct, { req, res, next });
    if (acct.queue.length >= opts.queueBound) {
      stats.refused++;
      forget(key, acct);
      const retry = Math.max(1, Math.ceil(opts.waitMs / 1000 / 4));
      json(
        res,
        429,
        { error: `This account already has ${acct.inFlight} queries running and ${acct.queue.length} waiting, the most one account may queue; ask again when some have answered.`, type: 'TooManyRequests' },
        { 'retry-after': String(retry) },
      );
      return;
    }
    const graphql = /graphql/i.test(routePath(req.url));
    const w: Waiter = {
      req,
      res,
      next,
      // The request's own bound still holds while it waits here: Cube's answer for a query not done yet.
      timer: setTimeout(() => {
        if (!leaveQueue(key, acct, w)) return;
        stats.timedOut++;
        json(res, 200, graphql ? { data: null, errors: [{ message: 'Continue wait' }] } : { error: 'Continue wait' });
      }, opts.waitMs),
    };
    acct.queue.push(w);
    stats.waiting++;
    stats.queued++;
    if (acct.queue.length === 1) turns.push(key);
    res.once('close', () => {
      if (leaveQueue(key, acct, w)) stats.abandoned++;
    });
    // A request that finds room for its account but none overall waits for its turn like the rest.
    pump();
  };
  return Object.assign(middleware, { stats });
}
