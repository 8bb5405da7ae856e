import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokenFromHeader, verifyToken, type Secret, type SecurityContext } from './security/auth.ts';

/**
 * Answers shared across users for identical /v1/load queries (issue 17: 50 people on the cockpit).
 * Cube 0.33 has its own result cache, but reaching it costs every request the model's SQL generation,
 * refresh-key lookups and queue bookkeeping — under 50 cockpit users that per-request work, not the
 * warehouse, was what saturated the Cube process. This cache sits in front of all of it.
 *
 * Key: the normalized query + the answer scope of the VERIFIED token (answerScope below) + the data
 * version (the same system.tables fingerprint refresh-keys.ts gives Cube, re-read at most every
 * DATA_VERSION_RENEWAL_SECONDS): a load, rebuild or scoring run changes the key, so an answer is at
 * most that stale, as Cube's own cached answers are.
 *
 * What is stored: only complete 200 answers (never "Continue wait", never an error), and only answers
 * known to be of the current data version (see the miss path below: an older answer Cube still
 * serves from its own cache during its renewal window is passed on but not kept), bounded in bytes,
 * least recently used out first.
 */

/**
 * Claims of the verified security context that do not change any generated SQL: the user's id and
 * display name. Every other claim (role, owner_id, and whatever verifyToken() learns to return
 * next) is part of the key, so a new claim that restricts rows cannot be forgotten here: leaving
 * one out takes an edit of this list, and test/semantic/answer-cache-scope.test.ts checks the list
 * against the model's SECURITY_CONTEXT uses and against Cube's generated SQL.
 */
export const CLAIMS_NOT_IN_ANSWERS = ['sub', 'name'] as const;

/** The part of a verified context that decides an answer: executives share one scope, each owner has their own. */
export function answerScope(ctx: SecurityContext): string {
  const kept = Object.entries(ctx)
    .filter(([claim, value]) => value !== undefined && !(CLAIMS_NOT_IN_ANSWERS as readonly string[]).includes(claim))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(kept);
}

/** JSON with object keys sorted at every level: two spellings of the same query give one key. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const LOAD_PATH = /^\/cubejs-api\/v1\/load\/?$/i;
/** Unauthenticated counters (no data, no keys), like /livez; not under /cubejs-api, so the dashboard does not proxy it. */
export const STATS_PATH = '/answer-cache';
/** Tells a client (and a test) whether its answer came from here. */
export const CACHE_HEADER = 'x-crm-answer-cache';

/** The request's query, normalized; undefined when it is not a cacheable /v1/load. */
export function loadKeyOf(req: IncomingMessage & { body?: unknown }): string | undefined {
  const [path, search = ''] = (req.url ?? '/').split('?', 2);
  if (!LOAD_PATH.test(path)) return undefined;
  let query: unknown;
  let queryType: unknown;
  if (req.method === 'GET') {
    const params = new URLSearchParams(search);
    const raw = params.get('query');
    if (raw === null) return undefined;
    try {
      query = JSON.parse(raw);
    } catch {
      return undefined;
    }
    queryType = params.get('queryType') ?? undefined;
  } else if (req.method === 'POST') {
    const body = req.body as { query?: unknown; queryType?: unknown } | undefined;
    query = body?.query;
    queryType = body?.queryType;
  } else return undefined;
  if (!query || typeof query !== 'object') return undefined;
  // renewQuery asks Cube for fresh refresh keys: such a request is meant to reach Cube.
  if ((Array.isArray(query) ? query : [query]).some((q) => (q as { renewQuery?: unknown })?.renewQuery)) return undefined;
  return stableJson({ query, queryType: queryType ?? null });
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Answers kept. */
  stored: number;
  /** 200 answers not kept: computed before the current data version was seen, too big, or incomplete. */
  notStored: number;
  entries: number;
  bytes: number;
  maxBytes: number;
  /** Times the data version changed and every entry was dropped. */
  versionChanges: number;
  /** Misses answered with the answer of an identical request already on its way to Cube (single flight). */
  shared: number;
  /** Requests this process sent itself to fill the cache after a data change (warm-up.ts, rewarmOnChange); counted apart from hits and misses. */
  rewarmAsked: number;
  /** Re-warm runs done (one per data version that settled with something to replay). */
  rewarms: number;
}

interface Entry {
  body: Buffer;
  contentType: string;
}
/** A complete 200 answer as written to the client. */
type Captured = Entry;

/** An LRU map bounded by the bytes of its answers; every entry belongs to one data version. */
export class AnswerStore {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #version: string | undefined;
  readonly stats: CacheStats;

  constructor(readonly maxBytes: number) {
    this.stats = { hits: 0, misses: 0, stored: 0, notStored: 0, entries: 0, bytes: 0, maxBytes, versionChanges: 0, shared: 0, rewarmAsked: 0, rewarms: 0 };
  }

  /** Entries of another data version can never be asked for again: dropped at once, not left to the LRU. */
  #useVersion(version: string): void {
    if (this.#version === version) return;
    if (this.#version !== undefined) this.stats.versionChanges++;
    this.#version = version;
    this.#entries.clear();
    this.#bytes = 0;
    this.#sync();
  }

  get(version: string, key: string): Entry | undefined {
    this.#useVersion(version);
    const e = this.#entries.get(key);
    if (!e) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e;
  }

  /** Kept only under the version the store is at (the one the last lookup used): an answer of an older one is useless. */
  set(version: string, key: string, entry: Entry): boolean {
    if (version !== this.#version) return false;
    const size = entry.body.length + key.length;
    // One answer may take at most a quarter of the budget, so a huge one cannot flush everything.
    if (size > this.maxBytes / 4) return false;
    const had = this.#entries.get(key);
    if (had) {
      this.#bytes -= had.body.length + key.length;
      this.#entries.delete(key);
    }
    this.#entries.set(key, entry);
    this.#bytes += size;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.body.length + k.length;
    }
    this.#sync();
    return true;
  }

  #sync(): void {
    this.stats.entries = this.#entries.size;
    this.stats.bytes = this.#bytes;
  }
}

export interface DataVersion {
  value: string;
  /** ms since the epoch when the read that first returned this value started. */
  seenAt: number;
}

/**
 * The data version, re-read when the last read is older than `renewalMs`; concurrent callers share
 * one read. A failed read is thrown to every waiting caller (the request then bypasses the cache).
 */
export function dataVersionReader(read: () => Promise<string>, renewalMs: number, now: () => number = Date.now): () => Promise<DataVersion> {
  let current: DataVersion | undefined;
  let readAt = -Infinity;
  let pending: Promise<DataVersion> | undefined;
  return () => {
    if (current && now() - readAt < renewalMs) return Promise.resolve(current);
    pending ??= (async () => {
      const started = now();
      try {
        const value = await read();
        if (!current || current.value !== value) current = { value, seenAt: started };
        readAt = started;
        return current;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

/** A complete /v1/load answer: every result has its data and a refresh time, and nothing is an error or "Continue wait". */
export function isComplete(body: Buffer): boolean {
  let parsed: { error?: unknown; data?: unknown; lastRefreshTime?: unknown; results?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    return false;
  }
  if (!parsed || typeof parsed !== 'object' || parsed.error !== undefined) return false;
  const results = Array.isArray(parsed.results) ? (parsed.results as (typeof parsed)[]) : [parsed];
  return results.length > 0 && results.every((r) => r && typeof r === 'object' && r.error === undefined && Array.isArray(r.data) && typeof r.lastRefreshTime === 'string');
}

/** Sets renewQuery on the request's query (or each of a multi-query), where Cube and the loopback re-asks of wait-for-answer.ts read it. */
function askForFreshKeys(req: IncomingMessage & { body?: unknown; query?: unknown }): void {
  const renew = (q: unknown): unknown => (Array.isArray(q) ? q.map(renew) : q && typeof q === 'object' ? { ...(q as object), renewQuery: true } : q);
  if (req.method === 'POST') {
    const body = req.body as { query?: unknown };
    body.query = renew(body.query);
    return;
  }
  const [path, search = ''] = (req.url ?? '/').split('?', 2);
  const params = new URLSearchParams(search);
  const query = renew(JSON.parse(params.get('query')!));
  params.set('query', JSON.stringify(query));
  req.url = `${path}?${params.toString()}`;
  // Express parsed the query string before any middleware ran.
  if (req.query && typeof req.query === 'object') (req.query as Record<string, unknown>).query = JSON.stringify(query);
}

type Next = (err?: unknown) => void;

export interface AnswerCacheOptions {
  apiSecret: Secret;
  store: AnswerStore;
  dataVersion: () => Promise<DataVersion>;
  /** How often Cube re-reads the data version (refresh-keys.ts's DATA_VERSION_RENEWAL_SECONDS), in ms. */
  renewalMs: number;
  /** Told when the data version cannot be read (the request then goes to Cube as if uncached). */
  onError?: (err: Error) => void;
  /** Whether a request is this process's own re-warm replay (counted apart from the users' hits and misses). */
  isReplay?: (req: IncomingMessage) => boolean;
  /** For tests: ms since the epoch. */
  now?: () => number;
}

/** Allowance for the data-version query's own run time between its start and the time Cube stamps on its value. */
export const KEY_QUERY_MARGIN_MS = 1000;
/** Verified tokens remembered (a browser's token lives 15 minutes; oldest out first). */
const MAX_TOKENS = 10_000;

/**
 * Express middleware, after the JSON body parser and before wait-for-answer.ts and Cube's routes.
 * A request whose token does not verify passes straight on: Cube refuses it exactly as before, and
 * it never sees a cached answer.
 */
export function answerCache(opts: AnswerCacheOptions) {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  /**
   * Tokens this process verified, until their expiry. jsonwebtoken given a string secret first
   * tries to parse it as a PEM key and fails: 2.3 ms per verification on this machine (11 µs with a
   * key object), paid on every request. The same token string verifies the same way until it
   * expires, so it is verified once; a token that fails is never remembered.
   */
  const tokens = new Map<string, { ctx: SecurityContext; expiresMs: number }>();
  /** Misses on their way to Cube, by data version + scope + query: what an identical miss waits for. */
  const inFlight = new Map<string, Promise<Captured | undefined>>();
  const verified = (token: string | undefined): SecurityContext | undefined => {
    if (!token) return undefined;
    const known = tokens.get(token);
    if (known && known.expiresMs > now()) return known.ctx;
    let ctx: SecurityContext;
    try {
      ctx = verifyToken(token, opts.apiSecret);
    } catch {
      tokens.delete(token);
      return undefined;
    }
    const exp = (JSON.parse(Buffer.from(token.replace(/^Bearer\s+/i, '').split('.')[1], 'base64url').toString('utf8')) as { exp: number }).exp;
    if (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value as string);
    tokens.set(token, { ctx, expiresMs: exp * 1000 });
    return ctx;
  };
  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next): void => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === STATS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(store.stats));
      return;
    }
    const query = loadKeyOf(req);
    if (query === undefined) return next();
    const ctx = verified(tokenFromHeader(req.headers.authorization));
    if (!ctx) return next();
    const key = `${answerScope(ctx)}\n${query}`;
    void opts.dataVersion().then(
      (version) => {
        const replay = opts.isReplay?.(req) ?? false;
        const hit = store.get(version.value, key);
        if (hit) {
          if (replay) store.stats.rewarmAsked++;
          else store.stats.hits++;
          res.writeHead(200, { 'content-type': hit.contentType, [CACHE_HEADER]: 'hit' }).end(hit.body);
          return;
        }
        if (replay) store.stats.rewarmAsked++;
        else store.stats.misses++;
        // Single flight: an identical request (same scope, query and data version) already on its
        // way to Cube answers this one too, as Cube's queue would have joined them anyway; only the
        // Cube request, its refresh-key checks and its queue bookkeeping are saved. An incomplete
        // or failed answer is not passed on: this request then asks Cube itself.
        const flightKey = `${version.value}\n${key}`;
        const toCube = (): void => {
          res.setHeader(CACHE_HEADER, 'miss');
          // Cube's own cached answer may be for the data before this version: its refresh key is
          // re-read only when a request finds it older than the renewal, and then in the background.
          // renewQuery makes Cube wait for a key at most one renewal old instead; so an answer to a
          // request sent a renewal (plus a margin for the key query itself) after this version was
          // first seen is this version's data, or newer.
          const sentAt = now();
          const current = sentAt >= version.seenAt + opts.renewalMs + KEY_QUERY_MARGIN_MS;
          // This request leads the identical ones that come while it is on its way (unless one leads already).
          let finish = (_answer: Captured | undefined): void => undefined;
          if (!inFlight.has(flightKey)) {
            let settle!: (answer: Captured | undefined) => void;
            const flight = new Promise<Captured | undefined>((resolve) => (settle = resolve));
            inFlight.set(flightKey, flight);
            finish = (answer) => {
              if (inFlight.get(flightKey) === flight) inFlight.delete(flightKey);
              settle(answer);
            };
            // A response that never ends through end() (the client went away) releases its followers.
            // Deferred: a response that did end reports its answer first (capture runs right after end()).
            res.once('close', () => setImmediate(() => finish(undefined)));
          }
          askForFreshKeys(req);
          capture(res, (status, body) => {
            if (status !== 200) return finish(undefined);
            const contentType = String(res.getHeader('content-type') ?? 'application/json');
            const complete = isComplete(body);
            finish(complete ? { body, contentType } : undefined);
            if (!current || !complete || !store.set(version.value, key, { body, contentType })) {
              store.stats.notStored++;
              return;
            }
            store.stats.stored++;
          });
          next();
        };
        const leader = inFlight.get(flightKey);
        if (!leader) return toCube();
        void leader.then((answer) => {
          if (!answer || res.headersSent) return toCube();
          store.stats.shared++;
          res.writeHead(200, { 'content-type': answer.contentType, [CACHE_HEADER]: 'shared' }).end(answer.body);
        });
      },
      (err: Error) => {
        opts.onError?.(err);
        next();
      },
    );
  };
}

/** Calls `done` with the status and the whole body once the response is written (whoever writes it). */
function capture(res: ServerResponse, done: (status: number, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown, encoding: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  (res as { write: unknown }).write = (...args: unknown[]): boolean => {
    keep(args[0], args[1]);
    return write(...args);
  };
  (res as { end: unknown }).end = (...args: unknown[]): ServerResponse => {
    keep(args[0], args[1]);
    const out = end(...args);
    try {
      done(res.statusCode, Buffer.concat(chunks));
    } catch {
      // Keeping an answer is an optimisation: a failure here must not touch the response.
    }
    return out;
  };
}
