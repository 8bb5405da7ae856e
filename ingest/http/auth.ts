import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

/**
 * Bearer-token check. Both sides are hashed first so the comparison is constant-time whatever the
 * lengths (timingSafeEqual needs equal-length inputs and would otherwise leak the token's length).
 */
export type TokenDigest = Buffer;

export function digestToken(token: string): TokenDigest {
  return createHash('sha256').update(token, 'utf8').digest();
}

export type BearerCheck = 'ok' | 'missing' | 'invalid';

export function checkBearer(authorization: string | undefined, expected: TokenDigest): BearerCheck {
  if (authorization === undefined || authorization.trim() === '') return 'missing';
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  // Compare even when the header is malformed, so every refusal costs the same.
  const given = digestToken(m?.[1] ?? '');
  const equal = timingSafeEqual(given, expected);
  return m && equal ? 'ok' : 'invalid';
}

/** Throws the 401 a client should see; `tokenHint` says where an operator finds the token. */
export function requireBearer(authorization: string | undefined, expected: TokenDigest, tokenHint: string): void {
  const result = checkBearer(authorization, expected);
  if (result === 'ok') return;
  if (result === 'missing') {
    throw new HttpError(401, 'unauthorized', `Missing "Authorization: Bearer <token>" header. ${tokenHint}`, {
      'WWW-Authenticate': 'Bearer realm="ingest"',
    });
  }
  // RFC 6750 §3.1: an invalid token is a 401 with error="invalid_token" (403 is for a valid token
  // without enough scope, which this endpoint does not have).
  throw new HttpError(401, 'invalid_token', `The bearer token is not valid. ${tokenHint}`, {
    'WWW-Authenticate': 'Bearer realm="ingest", error="invalid_token"',
  });
}
