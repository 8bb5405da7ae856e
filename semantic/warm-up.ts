import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { issueToken, secretKey, tokenFromHeader, verifyToken, type Role, type Secret } from './security/auth.ts';

/**
 * Warm start (issue 17, item 3): the first cockpit after a restart took 11 s (31 s when a derived
 * rebuild was due) because its first visitor paid for compiling the model, the refresh keys, every
 * query and, for an account owner, the owner's rollup tables. So the Cube process remembers which
 * /v1/load requests people sent (the request as sent, with the role and owner id of its token:
 * those decide the generated SQL, hence the cache entry and the rollup) and, at the next start,
 * asks them again itself before the product says it is ready, most asked first.
 *
 * What is kept: path, body and {role, owner_id}, never a token or a user id; the parent process
 * stores it in the data directory (semantic/server.ts, `warmFile`), which is private to the product.
 * A replay signs a short-lived token for that role and owner: it reads exactly what that owner
 * could read, and the answers land in the cache that owner's next request finds (Cube caches by the
 * generated SQL, which carries the owner's filter; nobody else's request produces that SQL).
 */
export interface AskedRequest {
  method: 'GET' | 'POST';
  /** Path and query string as received (GET carries the query there). */
  path: string;
  body?: string;
  role: Role;
  owner_id?: string;
  /** Times asked since this process started (plus what an earlier file said). */
  count: number;
  /** ms since epoch of the last time. */
  last: number;
}

const LOAD_PATH = /^\/cubejs-api\/v1\/load\/?(\?|$)/i;
/** Marks the replays, so they are not recorded as asked. */
export const WARM_HEADER = 'x-crm-warm-up';
const MAX_KEPT = 1000;
const MAX_REPLAYED = 600;

export class AskedRequests {
  readonly #entries = new Map<string, AskedRequest>();
  #changed = false;

  constructor(initial: AskedRequest[] = []) {
    for (const e of initial) if (isAsked(e)) this.#entries.set(keyOf(e), { ...e });
  }

  /** Express middleware (after the JSON body parser): records /v1/load requests with a valid token. */
  recorder(apiSecret: Secret) {
    return (req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: () => void): void => {
      try {
        const method = req.method === 'POST' ? 'POST' : req.method === 'GET' ? 'GET' : undefined;
        if (method && LOAD_PATH.test(req.url ?? '') && !req.headers[WARM_HEADER]) {
          const ctx = verifyToken(tokenFromHeader(req.headers.authorization), apiSecret);
          const load = method === 'POST' ? loadOf(req.body) : loadOf(Object.fromEntries(new URL(req.url!, 'http://x').searchParams));
          // Kept as rebuilt from the query alone: whatever else came along (a token in the URL, other
          // body fields) is not. A query that names a person is not kept at all.
          if (load && !namesPerson(load.query) && !renews(load.query)) this.add({ method, ...requestOf(method, load), role: ctx.role, owner_id: ctx.owner_id, count: 1, last: Date.now() });
        }
      } catch {
        // A request with a bad token is Cube's to refuse; nothing to remember.
      }
      next();
    };
  }

  add(e: AskedRequest): void {
    const key = keyOf(e);
    const had = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, { ...e, count: (had?.count ?? 0) + e.count });
    // The least recently asked go first when the list is full.
    while (this.#entries.size > MAX_KEPT) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#changed = true;
  }

  /** The list to keep, once per change (undefined when nothing changed since the last call). */
  takeChanged(): AskedRequest[] | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return [...this.#entries.values()];
  }

  all(): AskedRequest[] {
    return [...this.#entries.values()];
  }
}

/**
 * Members whose filter values name a person (or a deal, which names its customer): the 360 page
 * filters on the customer's id, the search boxes on an e-mail, a name or a company. A query with a
 * value for one of them is not remembered: the file would keep the person after an erasure
 * (lib/privacy does not rewrite it) and the warm-up would ask for them again at every start.
 */
const PERSON_MEMBER = /(^|_)(customer_id|customer_ref|customer_ids|email|phone|name|company|city|address|source_ids?|opportunity_id|deal_key|notes)$/i;

interface Load {
  query: unknown;
  queryType?: string;
}

/** The query (and query type) of a /v1/load request: the POST body or the GET parameters; undefined when unreadable. */
function loadOf(params: unknown): Load | undefined {
  const p = params as { query?: unknown; queryType?: unknown } | null | undefined;
  let query = p?.query;
  try {
    if (typeof query === 'string') query = JSON.parse(query) as unknown;
  } catch {
    return undefined;
  }
  if (!query || typeof query !== 'object') return undefined;
  return { query, ...(typeof p?.queryType === 'string' ? { queryType: p.queryType } : {}) };
}

/** Whether any filter of the query (or of one of a multi-query's parts) gives a value for a member naming a person. */
export function namesPerson(query: unknown): boolean {
  const walk = (f: unknown): boolean => {
    if (!f || typeof f !== 'object') return false;
    const x = f as { member?: unknown; dimension?: unknown; values?: unknown; and?: unknown; or?: unknown };
    const member = typeof x.member === 'string' ? x.member : typeof x.dimension === 'string' ? x.dimension : '';
    if (member && PERSON_MEMBER.test(member.split('.').pop() ?? '') && Array.isArray(x.values) && x.values.length > 0) return true;
    return [x.and, x.or].some((sub) => Array.isArray(sub) && sub.some(walk));
  };
  return (Array.isArray(query) ? query : [query]).some((q) => {
    const filters = (q as { filters?: unknown } | null)?.filters;
    return Array.isArray(filters) && filters.some(walk);
  });
}

/**
 * Whether the query (or a part of a multi-query) carries `renewQuery`. Such a request is never kept
 * by the answer cache and always makes Cube run its SQL, and the answer cache itself sets it on
 * every miss it sends to Cube, which wait-for-answer.ts's loopback polls repeat: each cold answer
 * was remembered twice, once as a replay that feeds nothing. Half of a 1,000-entry list was such
 * entries (bench:load, 2026-12-07), replayed last by every re-warm straight into Cube's two lanes
 * and crowding real entries out of the list. Not remembered, and dropped from a file that has them.
 */
export function renews(query: unknown): boolean {
  return (Array.isArray(query) ? query : [query]).some((q) => Boolean((q as { renewQuery?: unknown } | null)?.renewQuery));
}

/** The request as replayed: the load path with the query alone (GET) or a body of the query alone (POST). */
function requestOf(method: 'GET' | 'POST', load: Load): { path: string; body?: string } {
  if (method === 'POST') return { path: '/cubejs-api/v1/load', body: JSON.stringify(load) };
  const params = new URLSearchParams({ query: JSON.stringify(load.query), ...(load.queryType ? { queryType: load.queryType } : {}) });
  return { path: `/cubejs-api/v1/load?${params}` };
}

/** The load a remembered entry replays, read back as the recorder would. */
const loadOfEntry = (e: AskedRequest): Load | undefined => {
  try {
    return e.method === 'POST' ? loadOf(JSON.parse(e.body ?? '{}')) : loadOf(Object.fromEntries(new URL(e.path, 'http://x').searchParams));
  } catch {
    return undefined;
  }
};

/** An entry whose query can be read back and names no person (an unreadable one is dropped: it cannot be checked). */
const readableWithoutPerson = (e: AskedRequest): boolean => {
  const load = loadOfEntry(e);
  return load !== undefined && !namesPerson(load.query) && !renews(load.query);
};

const keyOf = (e: AskedRequest): string => JSON.stringify([e.method, e.path, e.body ?? '', e.role, e.owner_id ?? '']);

function isAsked(e: unknown): e is AskedRequest {
  const x = e as Partial<AskedRequest> | null;
  return (
    !!x &&
    (x.method === 'GET' || x.method === 'POST') &&
    typeof x.path === 'string' &&
    LOAD_PATH.test(x.path) &&
    (x.body === undefined || typeof x.body === 'string') &&
    typeof x.role === 'string' &&
    (x.owner_id === undefined || typeof x.owner_id === 'string') &&
    typeof x.count === 'number' &&
    typeof x.last === 'number' &&
    // A file kept before queries naming a person (or asking for fresh keys) were left out loses those entries here.
    readableWithoutPerson(x as AskedRequest)
  );
}

/** Only well-formed entries of a stored list (a damaged file warms nothing rather than failing the start). */
export function parseAsked(text: string): AskedRequest[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter(isAsked) : [];
  } catch {
    return [];
  }
}

export interface WarmResult {
  queries: number;
  failed: number;
  ms: number;
}

/** Sends one request to this server as a replay (WARM_HEADER: not recorded as asked, never answered stale); resolves with its status, type and body. */
export function replayRequest(target: { host: string; port: number }, method: string, path: string, token: string, body?: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: token, [WARM_HEADER]: '1' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const r = request({ host: target.host, port: target.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? 'application/json'), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** A replay whose answer only counts by its status (warm-up and re-warm fill the cache; nobody reads the body). */
function send(target: { host: string; port: number }, method: string, path: string, token: string, body?: string): Promise<number> {
  return replayRequest(target, method, path, token, body).then((r) => r.status);
}

/**
 * Compiles the model (/v1/meta) and asks the remembered requests again, most asked first, two at a
 * time (the engine's cores are shared with whatever else starts), through this server's own HTTP
 * API: the server-side wait (wait-for-answer.ts) holds each until its answer is cached.
 */
export async function warmUp(target: { host: string; port: number }, apiSecret: Secret, asked: AskedRequest[], concurrency = 2): Promise<WarmResult> {
  const t0 = Date.now();
  const token = (role: Role, ownerId?: string): string => issueToken({ role, name: 'warm-up', sub: 'warm-up', ownerId: role === 'owner' ? ownerId : undefined, days: 1 / 24, secret: apiSecret });
  await send(target, 'GET', '/cubejs-api/v1/meta', token('admin')).catch(() => 0);
  const list = [...asked].sort((a, b) => b.count - a.count || b.last - a.last).slice(0, MAX_REPLAYED);
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < list.length) {
        const e = list[next++];
        try {
          const status = await send(target, e.method, e.path, token(e.role, e.owner_id), e.body);
          if (status !== 200) failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { queries: list.length, failed, ms: Date.now() - t0 };
}

/** A data version as the answer cache reads it (answer-cache.ts, dataVersionReader). */
export interface SeenVersion {
  value: string;
  /** ms since the epoch when the read that first returned it started. */
  seenAt: number;
}

export interface RewarmOptions {
  /** Where this server listens, once it does. */
  target: () => { host: string; port: number } | undefined;
  apiSecret: Secret;
  asked: AskedRequests;
  dataVersion: () => Promise<SeenVersion>;
  /**
   * ms after a version was first seen from which the answer cache keeps answers (Cube's refresh-key
   * renewal + a margin): a replay sent earlier could be answered from the data before the change.
   */
  settleMs: number;
  /** How often to look for a new version, ms. */
  pollMs: number;
  /** Replays in flight at once: the users' own misses share the engine with them. */
  concurrency: number;
  /** Only requests asked within this many ms are replayed: what people look at now. */
  recentMs: number;
  maxReplayed?: number;
  /**
   * Which remembered requests a run replays, and in what order (stale-while-revalidate,
   * answer-cache.ts): undefined skips a request (its answer is of `version` already); otherwise
   * smaller first — the answers that have been stale longest, so none outlives the staleness bound
   * while fresher ones are redone. Ties: most asked first. Default: every request, most asked first.
   */
  order?: (e: AskedRequest, version: string) => number | undefined;
  /** Told after every run (or when a newer version cut it short). */
  onRun?: (r: RewarmRun) => void;
  now?: () => number;
  /** For tests: how one replay is sent (default: over HTTP to `target`). */
  send?: (e: AskedRequest, token: string) => Promise<number>;
}

export interface RewarmRun {
  version: string;
  /** Requests chosen for the run. */
  queries: number;
  /** Requests sent (fewer when a newer version cut the run short). */
  sent: number;
  failed: number;
  /** ms from the version first being seen until the run ended. */
  sinceSeenMs: number;
  ms: number;
  cut: boolean;
}

/**
 * Re-warm after every data change (issue 17): a load, a derived rebuild or a scoring run gives the
 * data a new version, every shared answer of the old one is gone, and every user's next page asked
 * Cube at once (full scale: p95 76 s after a load). So this process asks the recently asked
 * requests itself, for each scope (role + owner) that asked them, most asked first, as soon as the
 * answer cache would keep their answers (`settleMs` after the version appeared), at most
 * `concurrency` at a time so users are not starved. Each replay passes through the answer cache
 * like a user's request: it is stored there, and a user's identical miss while it runs joins it
 * (single flight) instead of asking again. A newer version stops the run: its answers would be
 * stale at once; the newer version's own run follows, the answers stale longest first (`order`), so
 * what the cut run did not reach comes first. The replay tokens are signed per scope,
 * exactly like the start-up warm-up's, so a replay reads what that scope could read and nothing more.
 */
export function rewarmOnChange(opts: RewarmOptions): { stop(): void; idle(): Promise<void> } {
  const now = opts.now ?? Date.now;
  const max = opts.maxReplayed ?? MAX_REPLAYED;
  let latest: string | undefined;
  let generation = 0;
  let stopped = false;
  let poll: NodeJS.Timeout | undefined;
  let settle: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const key = secretKey(opts.apiSecret);
  const sendOne =
    opts.send ??
    ((e: AskedRequest, token: string): Promise<number> => {
      const target = opts.target();
      return target ? send(target, e.method, e.path, token, e.body) : Promise.resolve(0);
    });

  const run = async (version: SeenVersion, gen: number): Promise<void> => {
    const t0 = now();
    const since = t0 - opts.recentMs;
    const ranked = opts.asked
      .all()
      .filter((e) => e.last >= since)
      .map((e) => ({ e, rank: opts.order ? opts.order(e, version.value) : 0 }))
      .filter((x): x is { e: AskedRequest; rank: number } => x.rank !== undefined);
    const list = ranked
      .sort((a, b) => a.rank - b.rank || b.e.count - a.e.count || b.e.last - a.e.last)
      .slice(0, max)
      .map((x) => x.e);
    const tokens = new Map<string, string>();
    const tokenFor = (e: AskedRequest): string => {
      const scope = `${e.role}\n${e.owner_id ?? ''}`;
      let t = tokens.get(scope);
      if (!t) tokens.set(scope, (t = issueToken({ role: e.role, name: 'warm-up', sub: 'warm-up', ownerId: e.role === 'owner' ? e.owner_id : undefined, days: 1 / 24, secret: key })));
      return t;
    };
    let next = 0;
    let sent = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: Math.max(1, opts.concurrency) }, async () => {
        while (next < list.length && gen === generation && !stopped) {
          const e = list[next++];
          sent++;
          try {
            if ((await sendOne(e, tokenFor(e))) !== 200) failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
    if (list.length > 0) opts.onRun?.({ version: version.value, queries: list.length, sent, failed, sinceSeenMs: now() - version.seenAt, ms: now() - t0, cut: gen !== generation || stopped });
  };

  const tick = async (): Promise<void> => {
    try {
      const v = await opts.dataVersion();
      if (v.value !== latest) {
        latest = v.value;
        const gen = ++generation;
        clearTimeout(settle);
        settle = setTimeout(
          () => {
            // One run at a time: the previous one stops at its next request (its generation is old).
            running = running.then(() => (gen === generation && !stopped ? run(v, gen) : undefined));
          },
          Math.max(0, v.seenAt + opts.settleMs - now()),
        );
        settle.unref?.();
      }
    } catch {
      // The version could not be read: the answer cache is bypassed too; look again at the next poll.
    }
    if (!stopped) (poll = setTimeout(() => void tick(), opts.pollMs)).unref?.();
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(poll);
      clearTimeout(settle);
    },
    idle: () => running,
  };
}
