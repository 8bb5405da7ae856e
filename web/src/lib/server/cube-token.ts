import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Session, SessionUser } from './session.ts';

/**
 * Short-lived Cube tokens for the browser: HS256 JWTs signed with the Cube API secret, carrying
 * the claims semantic/security/auth.ts verifies (sub, role, name, and owner_id for owners — Cube
 * then restricts every cube to the owner's customers). The browser gets the token, never the secret.
 *
 * Minted for a session, it also carries `sid` (a digest of the session id: the id itself stays in
 * the HttpOnly cookie) and `siat` (the session's issue time, ms), so the semantic layer ends the
 * token with the session — deactivation, a role, owner or password change, sign-out — within
 * seconds on its own port too (semantic/security/account-check.ts), not only at the dashboard's gate.
 */
export const CUBE_TOKEN_TTL_SECONDS = 15 * 60;

export interface CubeToken {
  token: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** semantic/security/account-check.ts sessionTag(): the same digest (test/security/session-token-end.test.ts fails if they part). */
const sessionTag = (sessionId: string): string => createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);

export function issueCubeToken(user: SessionUser & Partial<Pick<Session, 'sid' | 'iat'>>, secret: string, opts: { now?: number; ttlSeconds?: number } = {}): CubeToken {
  if (!secret) throw new Error('no Cube API secret');
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const expiresAt = now + (opts.ttlSeconds ?? CUBE_TOKEN_TTL_SECONDS);
  const payload: Record<string, unknown> = { sub: user.sub, role: user.role, name: user.name, iat: now, exp: expiresAt };
  if (user.role === 'owner') {
    if (!user.ownerId) throw new Error('an owner needs an owner id');
    payload.owner_id = user.ownerId;
  }
  if (user.sid !== undefined && user.iat !== undefined) {
    payload.sid = sessionTag(user.sid);
    payload.siat = user.iat;
  }
  return { token: jwt.sign(payload, secret, { algorithm: 'HS256' }), expiresAt };
}
