import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isRole, type Role } from '../auth/roles.ts';

/**
 * Signed session cookies: `<payload base64url>.<HMAC-SHA256 base64url>`, keyed with the
 * sessionSecret from lib/config.ts. The payload is not secret (it is what the page shows anyway:
 * who you are and your role) but cannot be forged or extended. Expiry is inside the signed part.
 *
 * A valid signature only says the server once issued this cookie: hooks.server.ts also checks on
 * every request that the session is still live (session-check.ts) — the random session id is what
 * sign-out revokes, and the issue time is compared with the account's last change.
 */
export type { Role };

export interface SessionUser {
  /** users.user_id */
  sub: string;
  email: string;
  name: string;
  role: Role;
  /** Set for role owner: the id customers.owner_id refers to. */
  ownerId?: string;
}

export interface Session extends SessionUser {
  /** Random session id (sign-out revokes it server-side). */
  sid: string;
  /** Issued at, milliseconds since the epoch (compared with users.updated_at, which has ms). */
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export const SESSION_COOKIE = 'crm_session';
/**
 * The name over HTTPS (eighth security review). A page on a sibling subdomain (same site) can set a
 * cookie for the parent domain, and a plain `crm_session` from there reached us like our own: the
 * attacker's session planted in the victim's browser (what they type, save or export goes to the
 * attacker's account). A `__Host-` cookie can only come from this exact origin, over HTTPS, with
 * `Path=/` and no `Domain`, so over HTTPS only this name is read. Plain HTTP keeps `crm_session`:
 * Chromium would take a `__Host-` cookie from http://127.0.0.1 too, other browsers not, and served
 * directly the dashboard answers only IP literals and localhost, which have no sibling subdomains.
 */
export const SECURE_SESSION_COOKIE = '__Host-crm_session';

/** The session cookie's name for a request over HTTPS (`secure`) or plain HTTP: the only one read for it. */
export const sessionCookieName = (secure: boolean): string => (secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE);
/** Eight hours: a working day. */
export const SESSION_TTL_SECONDS = 8 * 3600;

const sign = (data: string, secret: string): string => createHmac('sha256', secret).update(data).digest('base64url');

export const newSessionId = (): string => randomBytes(18).toString('base64url');

/**
 * `issuedAt` (ms) defaults to now; sign-in passes max(now, the account's updated_at) so a clock
 * behind the warehouse's cannot make a fresh session look older than the account it was checked against.
 */
export function signSession(user: SessionUser, secret: string, opts: { now?: number; ttlSeconds?: number; issuedAt?: number; sid?: string } = {}): string {
  if (!secret || secret.length < 16) throw new Error('session secret must be at least 16 characters');
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const session: Session = { ...user, sid: opts.sid ?? newSessionId(), iat: opts.issuedAt ?? now * 1000, exp: now + (opts.ttlSeconds ?? SESSION_TTL_SECONDS) };
  if (!session.ownerId) delete session.ownerId;
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/** The session in a cookie value, or undefined when it is missing, forged, malformed or expired. */
export function verifySession(value: string | undefined, secret: string, now = Math.floor(Date.now() / 1000)): Session | undefined {
  if (!value || value.length > 4096) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(payload, secret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let s: Partial<Session>;
  try {
    s = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Session>;
  } catch {
    return undefined;
  }
  if (typeof s.exp !== 'number' || s.exp <= now) return undefined;
  // Cookies from before session ids existed cannot be revoked: refuse them.
  if (typeof s.sid !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(s.sid) || typeof s.iat !== 'number' || !Number.isFinite(s.iat)) return undefined;
  if (typeof s.sub !== 'string' || typeof s.email !== 'string' || typeof s.name !== 'string' || !isRole(s.role)) return undefined;
  if (s.role === 'owner' && (typeof s.ownerId !== 'string' || s.ownerId === '')) return undefined;
  return { sub: s.sub, email: s.email, name: s.name, role: s.role, ownerId: s.role === 'owner' ? s.ownerId : undefined, sid: s.sid, iat: s.iat, exp: s.exp };
}
