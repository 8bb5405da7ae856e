import { createHash } from 'node:crypto';

/**
 * Every dashboard account's state and the signed-out sessions, read as one snapshot (two small
 * queries) by whoever must judge a session: the dashboard's page views and Cube proxy
 * (web/src/lib/server/session-check.ts) and the semantic port's dashboard tokens
 * (semantic/security/account-check.ts). One process reads it at most every FRESH_MS, for any
 * number of requests and sessions; a request waits for a read only when the snapshot is older than
 * MAX_AGE_MS (or when its own process changed an account since: readSince), so a change made by
 * another process is seen within MAX_AGE_MS plus one read and no request pays a warehouse round
 * trip of its own (issue 17: under 50 users and loads, the per-session point reads queued in the
 * engine behind Cube's queries and the parameter lock and carried the page's first byte).
 *
 * The statements carry no query parameters: the embedded warehouse runs bound statements one at a
 * time process-wide (lib/warehouse/inline-params.ts).
 */
export const FRESH_MS = 2_000;
export const MAX_AGE_MS = 5_000;

/** The digest of a session id as the snapshot holds it (base64url of SHA-256, 22 characters): dashboard tokens carry it as `sid`. */
export const sessionTag = (sessionId: string): string => createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);

export interface AccountRow {
  role: string;
  ownerId: string;
  active: boolean;
  /** users.updated_at in ms. */
  updatedMs: number;
}

export interface AccountSnapshot {
  users: ReadonlyMap<string, AccountRow>;
  /** sessionTag() of every signed-out session whose cookie has not expired yet. */
  revoked: ReadonlySet<string>;
}

export const USERS_SQL = 'SELECT user_id, role, owner_id, active, toString(toUnixTimestamp64Milli(updated_at)) AS updated_ms FROM users FINAL';
export const REVOKED_SQL = 'SELECT session_id FROM revoked_sessions WHERE expires_at > now()';

/** The snapshot from the two queries' rows. */
export function snapshotOf(users: Record<string, unknown>[], revoked: Record<string, unknown>[]): AccountSnapshot {
  const map = new Map<string, AccountRow>();
  for (const r of users) {
    map.set(String(r.user_id), { role: String(r.role), ownerId: String(r.owner_id ?? ''), active: Number(r.active) === 1, updatedMs: Number(r.updated_ms) });
  }
  return { users: map, revoked: new Set(revoked.map((r) => sessionTag(String(r.session_id)))) };
}

/**
 * The last value read while fresh; a new read after FRESH_MS (served the old one meanwhile up to
 * MAX_AGE_MS); one read at a time, for any number of callers.
 */
export class Snapshots<T> {
  #current?: { snapshot: T; readAt: number };
  #inFlight?: Promise<T>;
  readonly #read: () => Promise<T>;
  readonly #now: () => number;
  readonly #freshMs: number;
  readonly #maxAgeMs: number;

  constructor(read: () => Promise<T>, opts: { now?: () => number; freshMs?: number; maxAgeMs?: number } = {}) {
    this.#read = read;
    this.#now = opts.now ?? Date.now;
    this.#freshMs = opts.freshMs ?? FRESH_MS;
    this.#maxAgeMs = opts.maxAgeMs ?? MAX_AGE_MS;
  }

  async get(): Promise<{ snapshot: T; readAt: number }> {
    const current = this.#current;
    const age = current ? this.#now() - current.readAt : Infinity;
    if (current && age <= this.#freshMs) return current;
    const next = this.#refresh();
    if (current && age <= this.#maxAgeMs) {
      next.catch(() => undefined);
      return current;
    }
    await next;
    return this.#current!;
  }

  /** A snapshot whose read began at or after `since` (capped at now): reads again when the last one is older. */
  async readSince(since: number): Promise<{ snapshot: T; readAt: number }> {
    const at = Math.min(since, this.#now());
    // Twice at most: a read already in flight may have begun before `at`.
    return this.readUntil((c) => c.readAt >= at, 2);
  }

  /** Reads (joining the read in flight first) until `done` holds for the snapshot, `attempts` reads at most. */
  async readUntil(done: (current: { snapshot: T; readAt: number }) => boolean, attempts: number): Promise<{ snapshot: T; readAt: number }> {
    for (let i = 0; i < attempts && !(this.#current && done(this.#current)); i++) await this.#refresh();
    return this.#current!;
  }

  #refresh(): Promise<T> {
    this.#inFlight ??= (async () => {
      // The age counts from the read's start: a change committed during the read may be missing from it.
      const startedAt = this.#now();
      try {
        const snapshot = await this.#read();
        // A read that began earlier never replaces a newer one (readSince may overlap reads).
        if (!this.#current || this.#current.readAt <= startedAt) this.#current = { snapshot, readAt: startedAt };
        return snapshot;
      } finally {
        this.#inFlight = undefined;
      }
    })();
    return this.#inFlight;
  }
}

/** Every account and signed-out session (USERS_SQL, REVOKED_SQL through snapshotOf). */
export class AccountSnapshots extends Snapshots<AccountSnapshot> {}
