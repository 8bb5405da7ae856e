import jwt from 'jsonwebtoken';
import { expect, test } from 'vitest';
import { issueCubeToken } from './cube-token.ts';

const secret = 'cube-secret-cube-secret';

test('a 15-minute HS256 token with sub, role, name and the owner id for owners', () => {
  const { token, expiresAt } = issueCubeToken({ sub: 'U-OWN-01', email: 'o@x', name: 'Olga', role: 'owner', ownerId: 'U-OWN-01' }, secret, { now: 1_800_000_000 });
  expect(expiresAt).toBe(1_800_000_000 + 900);
  const header = jwt.decode(token, { complete: true })!.header;
  expect(header.alg).toBe('HS256');
  const claims = jwt.verify(token, secret, { algorithms: ['HS256'], clockTimestamp: 1_800_000_100 }) as Record<string, unknown>;
  expect(claims).toMatchObject({ sub: 'U-OWN-01', role: 'owner', owner_id: 'U-OWN-01', name: 'Olga', exp: expiresAt });
});

test('non-owners get no owner_id; owners without one get no token', () => {
  const { token } = issueCubeToken({ sub: 'U-EXEC-01', email: 'e@x', name: 'Eva', role: 'executive', ownerId: 'U-OWN-01' }, secret);
  expect((jwt.decode(token) as Record<string, unknown>).owner_id).toBeUndefined();
  expect(() => issueCubeToken({ sub: 'u', email: 'e', name: 'n', role: 'owner' }, secret)).toThrow(/owner id/);
});

test("a session's token carries a digest of its id (never the id) and its issue time", () => {
  const session = { sub: 'U-1', email: 'a@x', name: 'A', role: 'analyst' as const, sid: 'session-id-0123456789', iat: 1_800_000_000_123 };
  const claims = jwt.decode(issueCubeToken(session, secret).token) as Record<string, unknown>;
  expect(claims.siat).toBe(1_800_000_000_123);
  expect(typeof claims.sid).toBe('string');
  expect(claims.sid).not.toContain('session-id');
  expect(claims.sid).toHaveLength(22);
  // Another session of the same user: another digest.
  expect((jwt.decode(issueCubeToken({ ...session, sid: 'session-id-other' }, secret).token) as Record<string, unknown>).sid).not.toBe(claims.sid);
});
