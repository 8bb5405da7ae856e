import type { Session } from './session.ts';

/**
 * Whether a Cube token belongs to the live session it comes with: the same user, and the scope the
 * session has now — the role, and for an account owner the owner id. The web's Cube door
 * (web/server/cube-gate.ts) forwards nothing else. The subject alone is not enough: a token lives
 * 15 minutes and keeps the role and owner id it was minted with, so after a role change (an
 * executive made an account owner) or a move to another book the user's old token, signed in
 * again, kept reading with the old scope until it expired.
 *
 * The claims are read unverified: Cube verifies the signature and expiry itself; here they only
 * have to match the session. Returns why it does not belong, or undefined when it does.
 */
export function tokenMismatch(token: string | undefined, session: Pick<Session, 'sub' | 'role' | 'ownerId'>): string | undefined {
  const claims = claimsOf(token);
  if (!claims) return 'This request carries no readable Cube token: fetch one from /api/cube-token.';
  if (claims.sub !== session.sub) return 'This token does not belong to the signed-in user: fetch a new one from /api/cube-token.';
  // Cube ignores owner_id for every role but owner (semantic/security/auth.ts), so only an owner's is compared.
  if (claims.role !== session.role || (session.role === 'owner' && claims.owner_id !== session.ownerId)) {
    return 'This token was issued for another role or book of accounts than your session has now: fetch a new one from /api/cube-token.';
  }
  return undefined;
}

/**
 * The token Cube takes from an Authorization header, read exactly as Cube 0.33 reads it (the
 * gateway's extractAuthorizationHeaderWithSchema: the second of two space-separated parts, or the
 * whole header; then semantic/security/auth.ts drops a leading "Bearer "). Reading it any other
 * way let a header carry one token for this check and another for Cube: `x.<own claims>.y
 * <someone else's token>` passed a check that stripped only a leading "Bearer " and took the
 * second dot-separated part of the whole header.
 */
export function cubeTokenOf(authorization: string | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const parts = authorization.split(' ', 2);
  const token = (parts.length === 1 ? parts[0] : parts[1]).replace(/^Bearer\s+/i, '');
  return token || undefined;
}

function claimsOf(token: string | undefined): { sub?: unknown; role?: unknown; owner_id?: unknown } | undefined {
  const payload = (token ?? '').split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as { sub?: unknown; role?: unknown; owner_id?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
