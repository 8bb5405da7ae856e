import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/**
 * Who may ask the semantic layer what. Tokens are HS256 JWTs signed with the Cube API secret and
 * carry `sub`, `role` and, for account owners, `owner_id`. The security context Cube hands to the
 * models is built here from verified claims only: a claim the role does not use is dropped, so an
 * analyst token that happens to carry an owner_id is not restricted, and an owner token without an
 * owner_id is refused instead of silently seeing everything.
 */
export const ROLES = ['executive', 'marketer', 'analyst', 'owner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface SecurityContext {
  sub: string;
  role: Role;
  name?: string;
  /** Set for role `owner` only: every cube restricts its rows to this owner's customers. */
  owner_id?: string;
}

/** Raised for every refused token; Cube answers 403 with `message`. */
export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

const OWNER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** Tokens may be issued for at most a year; the CLI defaults to 30 days. */
export const MAX_TOKEN_DAYS = 366;

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/**
 * Roles that may read generated SQL (/v1/sql). The SQL names private cubes, warehouse tables,
 * rollup tables and the row-level filter: a map of the warehouse that business users do not need
 * and an owner token should not be able to draw.
 */
export const SQL_ROLES: readonly Role[] = ['analyst', 'admin'];

/** The token in an Authorization header, read exactly as Cube's gateway reads it ("<scheme> <token>" or "<token>"). */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const parts = header.split(' ', 2);
  return parts.length === 1 ? parts[0] : parts[1];
}

/** A signing secret as given (the env's string) or already as a key object. */
export type Secret = string | KeyObject;

const keys = new Map<string, KeyObject>();
/** Secrets a process keeps keys for (the API secret, and a test's few); past this the oldest is rebuilt when asked again. */
const MAX_KEYS = 16;

/**
 * The secret as a KeyObject. jsonwebtoken given a string secret first tries to parse it as a PEM
 * key and fails before using it as an HMAC secret: 2.3 ms per sign or verify on this machine,
 * against about 0.02 ms with a key object (issue 17: paid on every Cube request and every token
 * minted). The same string always gives the same key, so it is made once.
 */
export function secretKey(secret: Secret): KeyObject {
  if (typeof secret !== 'string') return secret;
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(secret, key);
  }
  return key;
}

/**
 * Verifies signature (HS256 only), expiry (required) and claims; returns the security context.
 * Throws AuthError with a reason a caller can act on.
 */
export function verifyToken(token: string | undefined, secret: Secret): SecurityContext {
  if (!token) throw new AuthError('Authorization header is missing: send "Authorization: Bearer <token>" (npm run token -- --help)');
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token.replace(/^Bearer\s+/i, ''), secretKey(secret), { algorithms: ['HS256'] });
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TokenExpiredError') throw new AuthError('Token expired: ask for a new one (npm run token)');
    throw new AuthError(`Invalid token: ${e.message}`);
  }
  if (typeof payload !== 'object' || payload === null) throw new AuthError('Invalid token: payload is not an object');
  if (typeof payload.exp !== 'number') throw new AuthError('Invalid token: it has no expiry (exp)');
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw new AuthError('Invalid token: sub is missing');
  if (!isRole(payload.role)) throw new AuthError(`Invalid token: role must be one of ${ROLES.join(', ')}`);
  const context: SecurityContext = { sub: payload.sub, role: payload.role };
  if (typeof payload.name === 'string') context.name = payload.name;
  if (payload.role === 'owner') {
    if (typeof payload.owner_id !== 'string' || !OWNER_ID.test(payload.owner_id)) {
      throw new AuthError('Invalid token: role owner needs an owner_id');
    }
    context.owner_id = payload.owner_id;
  }
  return context;
}

export interface TokenRequest {
  role: Role;
  name: string;
  /** Defaults to a slug of the name. */
  sub?: string;
  ownerId?: string;
  days?: number;
  secret: Secret;
  /** For tests: seconds since epoch that counts as now. */
  now?: number;
}

export function issueToken(req: TokenRequest): string {
  if (!isRole(req.role)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
  if (!req.secret) throw new Error('no signing secret');
  const days = req.days ?? 30;
  if (!(days > 0 && days <= MAX_TOKEN_DAYS)) throw new Error(`days must be between 0 and ${MAX_TOKEN_DAYS}`);
  if (req.role === 'owner' && !(req.ownerId && OWNER_ID.test(req.ownerId))) {
    throw new Error('role owner needs --owner-id (letters, digits, _ . : @ -)');
  }
  if (req.role !== 'owner' && req.ownerId) throw new Error('--owner-id only applies to role owner');
  const sub = req.sub ?? (req.name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'user');
  const now = req.now ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { sub, role: req.role, name: req.name, iat: now, exp: now + Math.round(days * 86_400) };
  if (req.ownerId) payload.owner_id = req.ownerId;
  return jwt.sign(payload, secretKey(req.secret), { algorithm: 'HS256' });
}
