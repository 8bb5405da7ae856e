import type { SessionRevocations, UserRecord, WebContext } from './context.ts';
import type { Session } from './session.ts';

/**
 * Whether a correctly signed session is still live. The cookie alone cannot say: the account may
 * have been deactivated, its role or owner id changed, its password reset, or the session signed
 * out since the cookie was issued. hooks.server.ts runs this on every request (pages, actions,
 * endpoints, exports), so everything downstream — including the Cube tokens minted for the user —
 * only ever sees a live session.
 */
export type Refusal = 'no-account' | 'inactive' | 'role-changed' | 'owner-changed' | 'account-changed' | 'revoked';

export function sessionRefusal(session: Session, account: UserRecord | undefined, revoked: boolean): Refusal | undefined {
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
 * A session this request verified as live. Only checkLiveSession makes one, and the functions that
 * mint Cube tokens for a user (cube.ts, /api/cube-token) take nothing else, so no code path can
 * reach Cube on behalf of a cookie that was merely well signed.
 */
export type LiveSession = Session & { readonly [live]: true };

/** Reads the account and the revocation list; throws when the warehouse cannot answer (callers fail closed). */
export async function checkLiveSession(session: Session, ctx: Pick<WebContext, 'users' | 'sessions'>): Promise<LiveSession | Refusal> {
  const [account, revoked] = await Promise.all([ctx.users.byId(session.sub), ctx.sessions.isRevoked(session.sid)]);
  return sessionRefusal(session, account, revoked) ?? (session as LiveSession);
}

/**
 * Live-session answers remembered for a moment (issue 17). The dashboard's Cube proxy
 * (web/server/cube-gate.ts) checks the session on every Cube request: two warehouse queries each,
 * 13 per cockpit view, which under 50 users competed with the analytics on the same embedded
 * warehouse. A session found live is trusted for at most `ttlMs` (1 s); anything that can end a
 * session in this process — sign-out, and every write of a user's row (deactivation, password, role,
 * owner) — forgets it at once. Changes made by another process (the users CLI) take effect within
 * the ttl. Only live answers are kept: a refusal is asked again every time.
 *
 * One memo per process on globalThis, like the web context (context.ts): web/server.ts (tsx) and
 * the adapter-node bundle are separate module graphs, and an invalidation in one must reach both.
 */
export class LiveSessionMemo {
  readonly #entries = new Map<string, { session: LiveSession; until: number }>();
  /** Bumped by every forget: a check that started before one must not store its (possibly stale) answer. */
  #generation = 0;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(opts: { ttlMs?: number; now?: () => number; maxEntries?: number } = {}) {
    this.#ttlMs = opts.ttlMs ?? 1000;
    this.#now = opts.now ?? Date.now;
    this.#maxEntries = opts.maxEntries ?? 10_000;
  }

  /** Same session id, same signed claims, still within the ttl. */
  get(session: Session): LiveSession | undefined {
    const e = this.#entries.get(session.sid);
    if (!e) return undefined;
    if (e.until <= this.#now() || !sameSession(e.session, session)) {
      this.#entries.delete(session.sid);
      return undefined;
    }
    return e.session;
  }

  generation(): number {
    return this.#generation;
  }

  /** Kept only when nothing was forgotten since `generation` (taken before the check read the warehouse). */
  set(session: LiveSession, generation: number): void {
    if (generation !== this.#generation) return;
    this.#entries.delete(session.sid);
    this.#entries.set(session.sid, { session, until: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  readonly #pending = new Map<string, { session: Session; generation: number; check: Promise<LiveSession | Refusal> }>();

  /** The check under way for this session, if it began in this generation. */
  pending(session: Session, generation: number): Promise<LiveSession | Refusal> | undefined {
    const p = this.#pending.get(session.sid);
    return p && p.generation === generation && sameSession(p.session, session) ? p.check : undefined;
  }

  track(session: Session, generation: number, check: Promise<LiveSession | Refusal>): void {
    const entry = { session, generation, check };
    this.#pending.set(session.sid, entry);
    const done = (): void => {
      if (this.#pending.get(session.sid) === entry) this.#pending.delete(session.sid);
    };
    check.then(done, done);
  }

  forgetSession(sessionId: string): void {
    this.#generation++;
    this.#entries.delete(sessionId);
  }

  forgetUser(userId: string): void {
    this.#generation++;
    for (const [sid, e] of this.#entries) if (e.session.sub === userId) this.#entries.delete(sid);
  }
}

function sameSession(a: Session, b: Session): boolean {
  return a.sid === b.sid && a.sub === b.sub && a.role === b.role && a.ownerId === b.ownerId && a.iat === b.iat && a.exp === b.exp;
}

const MEMO_KEY = Symbol.for('customer-intelligence.web.live-session-memo');

/** This process's memo (shared by every module graph in it). */
export function liveSessionMemo(): LiveSessionMemo {
  const holder = globalThis as { [MEMO_KEY]?: LiveSessionMemo };
  return (holder[MEMO_KEY] ??= new LiveSessionMemo());
}

/** checkLiveSession, answered from the memo when the session was found live within the last second. */
export async function checkLiveSessionMemo(session: Session, ctx: Pick<WebContext, 'users' | 'sessions'>, memo: LiveSessionMemo = liveSessionMemo()): Promise<LiveSession | Refusal> {
  const known = memo.get(session);
  if (known) return known;
  // A page's queries arrive together: they share one check (unless something was forgotten since it began).
  const generation = memo.generation();
  const inFlight = memo.pending(session, generation);
  if (inFlight) return inFlight;
  const check = checkLiveSession(session, ctx).then((live) => {
    if (typeof live !== 'string') memo.set(live, generation);
    return live;
  });
  memo.track(session, generation, check);
  return check;
}

/** The revocation list, forgetting a revoked session in this process's memo before anything else. */
export function forgettingRevocations(sessions: SessionRevocations, memo: () => LiveSessionMemo = liveSessionMemo): SessionRevocations {
  return {
    isRevoked: (sessionId) => sessions.isRevoked(sessionId),
    async revoke(entry) {
      memo().forgetSession(entry.sessionId);
      await sessions.revoke(entry);
    },
  };
}
