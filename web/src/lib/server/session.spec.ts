import { createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import { signSession, verifySession } from './session.ts';

const secret = 'a-session-secret-of-enough-length';
const user = { sub: 'U-OWN-01', email: 'owner01@demo.local', name: 'Olga Owner', role: 'owner' as const, ownerId: 'U-OWN-01' };
const now = 1_800_000_000;

test('a signed session verifies to the same user until it expires', () => {
  const cookie = signSession(user, secret, { now, ttlSeconds: 60, sid: 'sid-of-sixteen-chars' });
  expect(verifySession(cookie, secret, now + 59)).toEqual({ ...user, sid: 'sid-of-sixteen-chars', iat: now * 1000, exp: now + 60 });
  expect(verifySession(cookie, secret, now + 60)).toBeUndefined();
});

test('forged, tampered, foreign and malformed cookies are refused', () => {
  const cookie = signSession(user, secret, { now });
  const [payload, mac] = cookie.split('.');
  const elevated = Buffer.from(JSON.stringify({ ...user, role: 'admin', exp: now + 9999 })).toString('base64url');
  for (const bad of [
    `${elevated}.${mac}`,
    `${payload}.${mac.slice(0, -2)}AA`,
    signSession(user, 'another-secret-of-enough-length', { now }),
    `${payload}`,
    `${payload}.${mac}.x`,
    '',
    undefined,
    'x'.repeat(5000),
  ]) {
    expect(verifySession(bad, secret, now)).toBeUndefined();
  }
});

test('an owner session without an owner id is refused; other roles carry none', () => {
  const noOwner = signSession({ ...user, ownerId: undefined }, secret, { now });
  expect(verifySession(noOwner, secret, now)).toBeUndefined();
  const exec = signSession({ ...user, role: 'executive', ownerId: 'U-OWN-01' }, secret, { now });
  expect(verifySession(exec, secret, now)?.ownerId).toBeUndefined();
});

test('every session gets its own random id; cookies without one (the old format) are refused', () => {
  const a = verifySession(signSession(user, secret, { now }), secret, now)!;
  const b = verifySession(signSession(user, secret, { now }), secret, now)!;
  expect(a.sid).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(a.sid).not.toBe(b.sid);
  const old = Buffer.from(JSON.stringify({ ...user, exp: now + 60 })).toString('base64url');
  const mac = createHmac('sha256', secret).update(old).digest('base64url');
  expect(verifySession(`${old}.${mac}`, secret, now)).toBeUndefined();
});

test('a short secret is refused', () => {
  expect(() => signSession(user, 'short')).toThrow(/16 characters/);
});
