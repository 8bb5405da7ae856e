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
 *
 * Staleness rule (stale-while-revalidate, issue 17: at 10M transactions every data change sent all
 * 50 cockpit users to a cold Cube at once, page views p95 61 s): after the data changes, a key's
 * answer of an earlier version is still served — only for that same key, so only within its scope —
 * until its answer of the new version is kept (the re-warm, warm-up.ts, recomputes it in the
 * background), and never later than `maxStaleMs` after the first change after that answer's version
 * was seen. So no answer is served more than maxStaleMs (+ one version read) after the data it was
 * computed from changed. A re-warm replay never takes a stale answer: it asks Cube.
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
/** Counters (no data, no keys) for a valid token; not under /cubejs-api, so the dashboard does not proxy it. */
export const STATS_PATH = '/answer-cache';
/** The counters' refusal without a valid token (also used by security/account-queues.ts). */
export function statsRefused(res: ServerResponse): void {
  res
    .writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify({ error: 'These counters need a token of the semantic API: send "Authorization: Bearer <token>" (npm run token -- --help).', type: 'Unauthorized' }));
}
/** Tells a client (and a test) whether its answer came from here. */
export const CACHE_HEADER = 'x-crm-answer-cache';

/**
 * A GET parameter as Cube's route reads it: from express's parsed `req.query` (qs), not from a
 * parse of the URL of our own. The two differ — a name given twice is an array to qs and its first
 * value to URLSearchParams, qs drops everything after 1,000 parameters, `name[]` is an array — and
 * where they differ, a request stored under one key what Cube answered to another reading: with
 * `queryType=multi` twice, Cube's plain-shaped answer sat under the key of the dashboard's multi
 * request for every user of the scope (test/security/answer-cache-spelling.test.ts). Without
 * express (a bare http server), the URL read the way express would be is the fallback.
 */
function getParam(req: IncomingMessage & { query?: unknown }, name: string): unknown {
  if (req.query && typeof req.query === 'object') return (req.query as Record<string, unknown>)[name];
  const params = new URLSearchParams((req.url ?? '').split('?', 2)[1] ?? '');
  const all = params.getAll(name);
  return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
}

/** The request's query, normalized; undefined when it is not a cacheable /v1/load. */
export function loadKeyOf(req: IncomingMessage & { body?: unknown; query?: unknown }): string | undefined {
  const [path] = (req.url ?? '/').split('?', 2);
  if (!LOAD_PATH.test(path)) return undefined;
  let query: unknown;
  let queryType: unknown;
  if (req.method === 'GET') {
    const raw = getParam(req, 'query');
    queryType = getParam(req, 'queryType');
    // Not one plain string each: Cube reads the request its own way (an array, nothing); not kept.
    if (typeof raw !== 'string' || (queryType !== undefined && typeof queryType !== 'string')) return undefined;
    try {
      query = JSON.parse(raw);
    } catch {
      return undefined;
    }
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

/** The cache key of a /v1/load request in the scope of a verified context; undefined when it is not cacheable (as loadKeyOf). */
export function answerKeyOf(req: IncomingMessage & { body?: unknown }, ctx: SecurityContext): string | undefined {
  const query = loadKeyOf(req);
  return query === undefined ? undefined : `${answerScope(ctx)}\n${query}`;
}

export interface CacheStats {
  /** Requests answered from here (fresh, or stale within the bound: counted in `stale` too). */
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
  /** Answers of an earlier data version served while the current one's was not kept yet (within the staleness bound). */
  stale: number;
  /** Data-version reads that found a change but kept the published version because a writer had not finished (dataVersionReader's hold). */
  held: number;
  /** Requests with a stale answer that got their revalidation's new answer within the wait instead. */
  revalidated: number;
  /** Lookups that found an answer of an earlier version still current: the change touched none of the tables it reads (tables-read.ts). */
  unchanged: number;
}

export interface Entry {
  body: Buffer;
  contentType: string;
}
/** A complete 200 answer as written to the client. */
export type Captured = Entry;
interface Kept extends Entry {
  /** The newest published version the answer was found current at (the whole version). */
  version: string;
  /** The place in the store's list of published versions of the version it was kept at: where the search for its stale start begins. */
  seq: number;
  /**
   * The data version the answer was asked at, never moved: whether it is current is decided by
   * projecting this and the version asked about with the read sets known at that moment, not with
   * a projection frozen when it was kept. A projection frozen before the table definitions were
   * read (or while they could not be) was the whole version, which no later per-table view ever
   * equals: such an answer went stale at the first change to any table (tables-read.test.ts).
   */
  of: string;
}

/** What a lookup found: an answer of the current version, or (stale) one of an earlier version still within the staleness bound. */
export interface Found extends Entry {
  stale: boolean;
}

/** Published versions remembered; an answer kept under an older one is served only while current, never stale. */
const VERSIONS_KEPT = 256;

/** A key's view of a data version (semantic/tables-read.ts ReadSets.project); the default: the whole version. */
export type Projection = (key: string, value: string) => string;

interface Published {
  value: string;
  seenAt: number;
  changedAt: number;
}

/**
 * An LRU map bounded by the bytes of its answers. Each key holds its newest answer, tagged with its
 * data version. With a projection (answers keyed by the tables they read, tables-read.ts) an answer
 * stays current across versions that changed none of its tables; otherwise it is current only at
 * its own version. An answer that is not current is served (as stale) only within `maxStaleMs` of
 * the first published change to what it reads (the staleness rule above), and dropped once past it.
 */
export class AnswerStore {
  readonly #entries = new Map<string, Kept>();
  #bytes = 0;
  /** The published versions, oldest first; #history[i] has sequence number #firstSeq + i. */
  readonly #history: Published[] = [];
  #firstSeq = 0;
  readonly #project: Projection;
  readonly stats: CacheStats;

  /** `maxStaleMs` 0: no stale answers at all (every change sends the next requests to Cube). */
  constructor(
    readonly maxBytes: number,
    readonly maxStaleMs = 0,
    project?: Projection,
  ) {
    this.#project = project ?? ((_key, value) => value);
    this.stats = { hits: 0, misses: 0, stored: 0, notStored: 0, entries: 0, bytes: 0, maxBytes, versionChanges: 0, shared: 0, rewarmAsked: 0, rewarms: 0, stale: 0, held: 0, revalidated: 0, unchanged: 0 };
  }

  get #latest(): Published | undefined {
    return this.#history[this.#history.length - 1];
  }
  get #latestSeq(): number {
    return this.#firstSeq + this.#history.length - 1;
  }

  /**
   * Moves to `version`. `changedAt`: when the data was first seen to change after the version the
   * store was at (the start of the new version's publish hold, dataVersionReader); answers whose
   * tables that version changed are stale from then on.
   */
  #useVersion(version: DataVersion): void {
    const latest = this.#latest;
    if (latest?.value === version.value) return;
    if (latest) this.stats.versionChanges++;
    this.#history.push({ value: version.value, seenAt: version.seenAt, changedAt: version.changedAt ?? version.seenAt });
    while (this.#history.length > VERSIONS_KEPT) {
      this.#history.shift();
      this.#firstSeq++;
    }
    // No stale answers: what the change made old can never be served again.
    if (this.maxStaleMs <= 0) for (const [key, e] of this.#entries) if (!this.#isCurrent(key, e, version.value)) this.#drop(key, e);
  }

  /** When an answer that is not current became stale: the first later published version that changed its view; undefined when past the remembered versions. */
  #staleStart(key: string, e: Kept): number | undefined {
    const projected = this.#project(key, e.of);
    for (let i = Math.max(0, e.seq - this.#firstSeq + 1); e.seq >= this.#firstSeq && i < this.#history.length; i++) {
      const h = this.#history[i];
      if (h.value !== e.of && this.#project(key, h.value) !== projected) return h.changedAt;
    }
    return undefined;
  }

  /** Whether a kept answer is of the data `value` stands for, as far as its key reads (by the read sets known now). */
  #isCurrent(key: string, e: Kept, value: string): boolean {
    return e.of === value || this.#project(key, value) === this.#project(key, e.of);
  }

  /**
   * The key's answer of `version`, or of an earlier version within the staleness bound when
   * `allowStale` (a user's request; never a re-warm replay). An answer past the bound is dropped.
   */
  lookup(version: DataVersion, key: string, now: number, allowStale: boolean): Found | undefined {
    this.#useVersion(version);
    const e = this.#entries.get(key);
    if (!e) return undefined;
    let stale = false;
    // Judged against the version it was asked at every time (not only on the first lookup after a
    // change): the read sets may have become known, or changed, since it was last found current.
    if (e.of !== version.value) {
      if (this.#isCurrent(key, e, version.value)) {
        // None of its tables changed: current (counted once per version it is found current at).
        if (e.version !== version.value) this.stats.unchanged++;
        e.version = version.value;
      } else {
        const since = this.#staleStart(key, e);
        if (since === undefined || this.maxStaleMs <= 0 || now - since > this.maxStaleMs) {
          this.#drop(key, e);
          return undefined;
        }
        if (!allowStale) return undefined;
        stale = true;
      }
    }
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return { body: e.body, contentType: e.contentType, stale };
  }

  /** The current version's answer only (no stale one). */
  get(version: string, key: string): Entry | undefined {
    const found = this.lookup({ value: version, seenAt: 0 }, key, 0, false);
    return found && !found.stale ? found : undefined;
  }

  /**
   * Kept only when it is of the version the store is at (the one the last lookup used), as far as
   * the key reads: an answer asked at an earlier version still counts when that version and the
   * current one agree on the key's tables.
   */
  set(version: string, key: string, entry: Entry): boolean {
    const latest = this.#latest;
    if (!latest) return false;
    if (version !== latest.value && this.#project(key, version) !== this.#project(key, latest.value)) return false;
    const size = entry.body.length + key.length;
    // One answer may take at most a quarter of the budget, so a huge one cannot flush everything.
    if (size > this.maxBytes / 4) return false;
    const had = this.#entries.get(key);
    if (had) this.#drop(key, had);
    this.#entries.set(key, { ...entry, version: latest.value, seq: this.#latestSeq, of: version });
    this.#bytes += size;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(k, e);
    }
    this.#sync();
    return true;
  }

  /** When the answers of `version` became stale, in the whole-version sense: the change after it (undefined: current, or not remembered). */
  staleSince(version: string): number | undefined {
    for (let i = this.#history.length - 2; i >= 0; i--) if (this.#history[i].value === version) return this.#history[i + 1].changedAt;
    return undefined;
  }

  /** The version of the key's kept answer, if any. */
  versionOf(key: string): string | undefined {
    return this.#entries.get(key)?.version;
  }

  /**
   * The re-warm's order for a key at `value` (the newest published version): undefined when its kept
   * answer is current (nothing to do); else when its answer went stale (longest stale first), then
   * answers past the remembered versions, then keys with no answer at all.
   */
  replayRank(key: string, value: string): number | undefined {
    const e = this.#entries.get(key);
    if (!e) return Number.MAX_SAFE_INTEGER;
    if (this.#isCurrent(key, e, value)) return undefined;
    return this.#staleStart(key, e) ?? Number.MAX_SAFE_INTEGER - 1;
  }

  /**
   * When the key's view of `version` was first seen: the oldest of the trailing published versions
   * that all agree with it on the key's tables. An answer asked a key renewal after this is of the
   * data as the key reads it (answerCache's miss path); for a key whose tables did not change in the
   * latest versions, that is long ago.
   */
  seenAtFor(key: string, version: DataVersion): number {
    const projected = this.#project(key, version.value);
    let at = version.seenAt;
    let from = this.#history.length - 1;
    while (from >= 0 && this.#history[from].value !== version.value) from--;
    for (let i = from; i >= 0; i--) {
      const h = this.#history[i];
      if (h.value !== version.value && this.#project(key, h.value) !== projected) break;
      at = Math.min(at, h.seenAt);
    }
    return at;
  }

  /** The key's view of a version: what its flights and revalidations are shared under. */
  projection(key: string, value: string): string {
    return this.#project(key, value);
  }

  #drop(key: string, e: Kept): void {
    this.#entries.delete(key);
    this.#bytes -= e.body.length + key.length;
    this.#sync();
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
  /**
   * ms since the epoch when the data was first seen to differ from the previously published version
   * (≤ seenAt; earlier when the publish was held for a writer to finish). Undefined: seenAt.
   */
  changedAt?: number;
}

export interface PublishHold {
  /** Whether a writer is between its first and its last write (a load whose derived refresh has not committed yet). */
  busy: () => Promise<boolean>;
  /** The longest a change waits for its writer, ms from the first change seen. */
  maxHoldMs: number;
  /** Told each time a read keeps the published version because of the hold. */
  onHeld?: () => void;
}

/**
 * The data version, re-read when the last read is older than `renewalMs`; concurrent callers share
 * one read. A failed read is thrown to every waiting caller (the request then bypasses the cache).
 *
 * With `hold`, one data change is one version change: a load writes its rows, then the derived
 * refresh it triggers writes and commits its snapshot; each write moves the raw fingerprint. A new
 * fingerprint is published only once no writer is busy, or `maxHoldMs` after the first change was
 * seen, whichever comes first; until then the published version stays and answers stay shared.
 */
export function dataVersionReader(
  read: () => Promise<string>,
  renewalMs: number,
  now: () => number = Date.now,
  opts: { hold?: PublishHold; maxWaitMs?: number } = {},
): () => Promise<DataVersion> {
  const { hold, maxWaitMs = Infinity } = opts;
  let current: DataVersion | undefined;
  let readAt = -Infinity;
  let pending: Promise<DataVersion> | undefined;
  /** The newest raw value that differs from the published one, and when it and the first change were seen. */
  let next: { value: string; seenAt: number; changedAt: number } | undefined;
  const due = (): Promise<DataVersion> => {
    pending ??= (async () => {
      const started = now();
      try {
        const value = await read();
        if (!current) current = { value, seenAt: started, changedAt: started };
        else if (current.value === value) next = undefined;
        else {
          next = next?.value === value ? next : { value, seenAt: started, changedAt: next?.changedAt ?? started };
          const held = hold !== undefined && started - next.changedAt < hold.maxHoldMs && (await hold.busy().catch(() => false));
          if (held) hold.onHeld?.();
          else {
            current = { ...next };
            next = undefined;
          }
        }
        readAt = started;
        return current;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  return () => {
    if (current && now() - readAt < renewalMs) return Promise.resolve(current);
    const reading = due();
    // A version read queued behind a busy warehouse must not hold every request up: after
    // maxWaitMs the last version read answers (the read goes on; answers kept meanwhile are checked
    // against the version's own time as always), so it adds at most one read's delay to staleness.
    const known = current;
    if (!known || !Number.isFinite(maxWaitMs)) return reading;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<DataVersion>((resolve) => (timer = setTimeout(() => resolve(known), maxWaitMs)));
    // A read that fails after the wait was given up is reported to nobody: the next caller reads again.
    reading.catch(() => undefined);
    return Promise.race([reading, late]).finally(() => clearTimeout(timer));
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
  // The very string the key was made of (loadKeyOf), so Cube answers the query the answer is kept under.
  const query = renew(JSON.parse(getParam(req, 'query') as string));
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
  /**
   * Asks Cube again for a request that found only a stale answer, as a replay (isReplay) with the
   * request's own token, and resolves with its complete 200 answer (else undefined); the replay
   * passes through this middleware, so its answer is kept when it can be. One at a time per key
   * and version, at most `maxRevalidations` at once. Without it a stale key is renewed only by the
   * re-warm, which does not replay what it may not remember (a query naming a person).
   */
  revalidate?: (req: IncomingMessage & { body?: unknown }) => Promise<Captured | undefined>;
  /**
   * How long a request with a stale answer waits for its revalidation (ms): when Cube answers within
   * it the request gets the new answer (`x-crm-answer-cache: revalidated`), as before stale answers
   * existed; when Cube is backed up it gets the stale one. 0: never waits.
   */
  staleWaitMs?: number;
  /** Revalidations in flight at once; beyond it a stale answer is served at once and the re-warm renews the key. */
  maxRevalidations?: number;
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
  /** Stale keys being asked again (revalidate), by data version + scope + query: their answers. */
  const revalidating = new Map<string, Promise<Captured | undefined>>();
  const staleWaitMs = opts.staleWaitMs ?? 0;
  const maxRevalidations = opts.maxRevalidations ?? Infinity;
  /** The revalidation's answer if it comes within staleWaitMs, else undefined. */
  const within = async (p: Promise<Captured | undefined>): Promise<Captured | undefined> => {
    if (staleWaitMs <= 0) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), staleWaitMs)))]);
    } finally {
      clearTimeout(timer);
    }
  };
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
      // Only for a token of the semantic layer (eighth security review): Cube answers every origin
      // with Access-Control-Allow-Origin: *, so any web page the machine's user opened could read
      // how busy the product was, and when someone asked what, from 127.0.0.1.
      if (!verified(tokenFromHeader(req.headers.authorization))) return void statsRefused(res);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(store.stats));
      return;
    }
    if (loadKeyOf(req) === undefined) return next();
    const ctx = verified(tokenFromHeader(req.headers.authorization));
    if (!ctx) return next();
    const key = answerKeyOf(req, ctx)!;
    void opts.dataVersion().then(
      async (version) => {
        const replay = opts.isReplay?.(req) ?? false;
        // A replay is there to compute the current version's answer: it never takes a stale one.
        const hit = store.lookup(version, key, now(), !replay);
        if (hit?.stale && opts.revalidate) {
          const again = `${store.projection(key, version.value)}\n${key}`;
          let asking = revalidating.get(again);
          if (!asking && revalidating.size < maxRevalidations) {
            asking = opts
              .revalidate(req)
              .catch(() => undefined)
              .finally(() => revalidating.delete(again));
            revalidating.set(again, asking);
          }
          const fresh = asking ? await within(asking) : undefined;
          if (fresh && !res.headersSent) {
            store.stats.revalidated++;
            res.writeHead(200, { 'content-type': fresh.contentType, [CACHE_HEADER]: 'revalidated' }).end(fresh.body);
            return;
          }
        }
        if (hit) {
          if (replay) store.stats.rewarmAsked++;
          else store.stats.hits++;
          if (hit.stale) store.stats.stale++;
          res.writeHead(200, { 'content-type': hit.contentType, [CACHE_HEADER]: hit.stale ? 'stale' : 'hit' }).end(hit.body);
          return;
        }
        if (replay) store.stats.rewarmAsked++;
        else store.stats.misses++;
        // Single flight: an identical request (same scope, query and data version) already on its
        // way to Cube answers this one too, as Cube's queue would have joined them anyway; only the
        // Cube request, its refresh-key checks and its queue bookkeeping are saved. An incomplete
        // or failed answer is not passed on: this request then asks Cube itself.
        // Under the key's view of the version: a change to tables it does not read does not split the flight.
        const flightKey = `${store.projection(key, version.value)}\n${key}`;
        const toCube = (): void => {
          res.setHeader(CACHE_HEADER, 'miss');
          // Cube's own cached answer may be for the data before this version: its refresh key is
          // re-read only when a request finds it older than the renewal, and then in the background.
          // renewQuery makes Cube wait for a key at most one renewal old instead; so an answer to a
          // request sent a renewal (plus a margin for the key query itself) after this version was
          // first seen is this version's data, or newer.
          const sentAt = now();
          // The version's time as the key sees it: a key none of whose tables changed lately was current long before.
          const current = sentAt >= store.seenAtFor(key, version) + opts.renewalMs + KEY_QUERY_MARGIN_MS;
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
