import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * A token bound to one source (ninth security review). The ingest token reaches every source: a
 * web shop's webhook holding it could rewrite the CRM's customers — their e-mail, their owner id,
 * which moves them into another account owner's scope. A source token is `src1.<source>.<mac>`,
 * the mac an HMAC of the source with the ingest token, so nothing new is stored or configured:
 * the endpoint recomputes it, and rotating the ingest token revokes every source token with it.
 */
const SOURCE_TOKEN = /^src1\.([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})\.([A-Za-z0-9_-]{43})$/;

const sourceMac = (master: string, source: string): string => createHmac('sha256', master).update(`crm-ingest-source\0${source}`).digest('base64url');

/** The token that lets its holder send batches of `source` only (`npm run ingest -- source-token <source>`). */
export function sourceToken(master: string, source: string): string {
  return `src1.${source}.${sourceMac(master, source)}`;
}

/**
 * Checks the bearer token and says what it may write: undefined for the ingest token (every
 * source), else the one source a source token names. Throws the 401 otherwise.
 */
export function requireTokenScope(authorization: string | undefined, master: string, expected: TokenDigest, tokenHint: string): string | undefined {
  const given = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1];
  const scoped = given ? SOURCE_TOKEN.exec(given) : null;
  if (!scoped) {
    requireBearer(authorization, expected, tokenHint);
    return undefined;
  }
  const [, source, mac] = scoped;
  if (!timingSafeEqual(Buffer.from(mac!), Buffer.from(sourceMac(master, source!)))) {
    throw new HttpError(401, 'invalid_token', `The bearer token is not valid. ${tokenHint}`, {
      'WWW-Authenticate': 'Bearer realm="ingest", error="invalid_token"',
    });
  }
  return source;
}

/** A source token's holder naming another source: refused before anything is read or loaded. */
export function requireSourceInScope(scope: string | undefined, source: string | undefined): void {
  if (scope === undefined || source === undefined || source === scope) return;
  throw new HttpError(403, 'forbidden_source', `This token sends batches of source "${scope}" only; the batch names "${source.slice(0, 80)}".`);
}
