import jwt from 'jsonwebtoken';
import type { SessionUser } from './session.ts';

/**
 * Short-lived Cube tokens for the browser: HS256 JWTs signed with the Cube API secret, carrying
 * the claims semantic/security/auth.ts verifies (sub, role, name, and owner_id for owners — Cube
 * then restricts every cube to the owner's customers). The browser gets the token, never the secret.
 */
export const CUBE_TOKEN_TTL_SECONDS = 15 * 60;

export interface CubeToken {
  token: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export function issueCubeToken(user: SessionUser, secret: string, opts: { now?: number; ttlSeconds?: number } = {}): CubeToken {
  if (!secret) throw new Error('no Cube API secret');
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const expiresAt = now + (opts.ttlSeconds ?? CUBE_TOKEN_TTL_SECONDS);
  const payload: Record<string, unknown> = { sub: user.sub, role: user.role, name: user.name, iat: now, exp: expiresAt };
  if (user.role === 'owner') {
    if (!user.ownerId) throw new Error('an owner needs an owner id');
    payload.owner_id = user.ownerId;
  }
  return { token: jwt.sign(payload, secret, { algorithm: 'HS256' }), expiresAt };
}
