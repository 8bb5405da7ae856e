import { AccountSnapshots, REVOKED_SQL, USERS_SQL, sessionTag, snapshotOf, type AccountSnapshot } from '../../../../lib/accounts/account-snapshots.ts';
import { getWebContext, type SessionRevocations, type UserRecord } from './context.ts';
import { SESSION_TTL_SECONDS, type Session } from './session.ts';

/**
 * Whether a correctly signed session is still live. The cookie alone cannot say: the account may
 * have been deactivated, its role or owner id changed, its password reset, or the session signed
 * out since the cookie was issued. hooks.server.ts runs this on every request (pages, actions,
 * endpoints, exports), so everything downstream — including the Cube tokens minted for the user —
 * only ever sees a live session.
 */
export type Refusal = 'no-account' | 'inactive' | 'role-changed' | 'owner-changed' | 'account-changed' | 'revoked';

export function sessionRefusal(session: Session, account: (Pick<UserRecord, 'ownerId' | 'active' | 'updatedAt'> & { role: string }) | undefined, revoked: boolean): Refusal | undefined {
  if (revoked) return 'revoked';
  if (!account) return 'no-account';
  if (!account.active) return 'inactive';
  if (account.role !== session.role) return 'role-changed';
  if ((account.role === 'owner' ? account.ownerId : undefined) !== session.ownerId) return 'owner-changed';
  // Any newer row version (password, profile, re-activation) ends the sessions issued before it.
  if (account.updatedAt > session.iat) return 'account-changed';
  return undefined;
}

declare const live: unique symbol;
/**
 * A session this request verified as live. Only LiveSessions.check makes one, and the functions that
 * mint Cube tokens for a user (cube.ts, /api/cube-token) take nothing else, so no code path can
 * reach Cube on behalf of a cookie that was merely well signed.
 */
export type LiveSession = Session & { readonly [live]: true };

/**
 * What this process changed itself, which its next session check must see at once: sessions signed
 * out here (refused from this list, before the warehouse write is even visible) and how many writes
 * of users' rows were made here (a check after one waits for an accounts read that began after it).
 * One per process on globalThis, like the web context (context.ts): web/server.ts (tsx) and the
 * adapter-node bundle are separate module graphs, and a write in one must reach both.
 */
export class LocalAccountChanges {
  /** Session id → the cookie's expiry (s since the epoch). */
  readonly #signedOut = new Map<string, number>();
  /** Writes of a user's row acknowledged in this process so far. */
  changes = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  signedOut(sessionId: string, expiresAt = Math.floor(this.#now() / 1000) + SESSION_TTL_SECONDS): void {
    this.#signedOut.set(sessionId, expiresAt);
    if (this.#signedOut.size > 10_000) for (const [id, until] of this.#signedOut) if (until * 1000 <= this.#now()) this.#signedOut.delete(id);
  }

  isSignedOut(sessionId: string): boolean {
    const until = this.#signedOut.get(sessionId);
    return until !== undefined && until * 1000 > this.#now();
  }

  /** Called once the write of a user's row was acknowledged. */
  userChanged(): void {
    this.changes++;
  }
}

const CHANGES_KEY = Symbol.for('customer-intelligence.web.local-account-changes');

/** This process's own account changes (shared by every module graph in it). */
export function localAccountChanges(): LocalAccountChanges {
  const holder = globalThis as { [CHANGES_KEY]?: LocalAccountChanges };
  return (holder[CHANGES_KEY] ??= new LocalAccountChanges());
}

/**
 * Live-session checks answered from this process's memory (issue 17). Every page view, action,
 * export and Cube request through the dashboard's proxy checks its session; under 50 users with data
 * arriving, those per-session warehouse reads (two bound point reads each, once per session per
 * second) queued in the engine behind Cube's queries, a load's writes and the parameter lock, and
 * carried the page's first byte. Now every check reads one snapshot of all accounts and signed-out
 * sessions (lib/accounts/account-snapshots.ts, the rule the semantic port's dashboard-token check
 * uses): at most one read every 2 s for any number of sessions, the old snapshot answering while
 * the next is read, a request waiting only when it is older than 5 s. So a change made by another
 * process (the users CLI, another dashboard) takes effect within 5 s plus one read; one made by this
 * process (LocalAccountChanges: sign-out, deactivation, password, role, owner) at its next request.
 * A refusal by a snapshot read before the session began (an account created, re-activated or
 * re-roled just before it signed in) is checked again on a new read.
 */
export class LiveSessions {
  readonly #snapshots: AccountSnapshots;
  readonly #local: LocalAccountChanges;
  /** Of each snapshot, this process's writes of users' rows counted when its read began. */
  readonly #writesBefore = new WeakMap<AccountSnapshot, number>();

  constructor(read: () => Promise<AccountSnapshot>, opts: { now?: () => number; freshMs?: number; maxAgeMs?: number; local?: LocalAccountChanges } = {}) {
    const local = (this.#local = opts.local ?? localAccountChanges());
    const counted = async (): Promise<AccountSnapshot> => {
      const writes = local.changes;
      const snapshot = await read();
      this.#writesBefore.set(snapshot, writes);
      return snapshot;
    };
    this.#snapshots = new AccountSnapshots(counted, { now: opts.now, freshMs: opts.freshMs, maxAgeMs: opts.maxAgeMs });
  }

  /** Throws when the snapshot is too old and cannot be read (callers fail closed). */
  async check(session: Session): Promise<LiveSession | Refusal> {
    if (this.#local.isSignedOut(session.sid)) return 'revoked';
    let { snapshot, readAt } = await this.#snapshots.get();
    const writes = this.#local.changes;
    // A write here since the read began: a read that began after it (one for every check waiting; at most three, then fail closed).
    const seesWrites = (c: { snapshot: AccountSnapshot }): boolean => (this.#writesBefore.get(c.snapshot) ?? -1) >= writes;
    if (!seesWrites({ snapshot })) {
      ({ snapshot, readAt } = await this.#snapshots.readUntil(seesWrites, 3));
      if (!seesWrites({ snapshot })) throw new Error("the accounts could not be read after this process's last change to them");
    }
    let refusal = refusalBy(session, snapshot);
    if (refusal && readAt < session.iat + CLOCK_MARGIN_MS) refusal = refusalBy(session, (await this.#snapshots.readSince(session.iat + CLOCK_MARGIN_MS)).snapshot);
    return refusal ?? (session as LiveSession);
  }
}

/** How far the clock of the process that issued a session may run ahead of this one's. */
const CLOCK_MARGIN_MS = 2_000;

function refusalBy(session: Session, snapshot: AccountSnapshot): Refusal | undefined {
  const row = snapshot.users.get(session.sub);
  const account = row && { role: row.role, ownerId: row.ownerId, active: row.active, updatedAt: row.updatedMs };
  return sessionRefusal(session, account, snapshot.revoked.has(sessionTag(session.sid)));
}

const SESSIONS_KEY = Symbol.for('customer-intelligence.web.live-sessions');

/**
 * The checks of the warehouse the web context names, one per warehouse connection: a process that
 * serves one dashboard after another (the test stacks) never judges a session by another
 * warehouse's accounts.
 */
export function liveSessions(): LiveSessions {
  const { client } = getWebContext().warehouse;
  const holder = globalThis as { [SESSIONS_KEY]?: WeakMap<object, LiveSessions> };
  const all = (holder[SESSIONS_KEY] ??= new WeakMap());
  let live = all.get(client);
  if (!live) {
    // Statements without parameters: the embedded warehouse runs bound ones one at a time process-wide.
    const rows = async (query: string): Promise<Record<string, unknown>[]> => (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    live = new LiveSessions(async () => {
      const [users, revoked] = await Promise.all([rows(USERS_SQL), rows(REVOKED_SQL)]);
      return snapshotOf(users, revoked);
    });
    all.set(client, live);
  }
  return live;
}

/** Whether the signed session is still live, by this process's accounts snapshot (LiveSessions). */
export function checkLiveSession(session: Session, sessions: LiveSessions = liveSessions()): Promise<LiveSession | Refusal> {
  return sessions.check(session);
}

/** The revocation list, with a revoked session refused by this process before the write is even sent. */
export function forgettingRevocations(sessions: SessionRevocations, local: () => LocalAccountChanges = localAccountChanges): SessionRevocations {
  return {
    isRevoked: (sessionId) => sessions.isRevoked(sessionId),
    async revoke(entry) {
      local().signedOut(entry.sessionId, entry.expiresAt);
      await sessions.revoke(entry);
    },
  };
}
