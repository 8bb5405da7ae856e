import type { UserRecord, WebContext } from './context.ts';
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
