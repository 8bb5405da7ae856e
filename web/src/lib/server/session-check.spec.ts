import { expect, test } from 'vitest';
import type { UserRecord } from './context.ts';
import { checkLiveSession, sessionRefusal } from './session-check.ts';
import type { Session } from './session.ts';

const issued = 1_800_000_000_000;
const session: Session = { sub: 'U-1', email: 'o@x.example', name: 'O', role: 'owner', ownerId: 'U-OWN-01', sid: 'abcdefghijklmnopqrstuvwx', iat: issued, exp: issued / 1000 + 3600 };
const account: UserRecord = { userId: 'U-1', email: 'o@x.example', name: 'O', role: 'owner', ownerId: 'U-OWN-01', region: '', passwordHash: 'h', active: true, updatedAt: issued - 5000 };

test.each([
  ['live', account, false, undefined],
  ['signed out', account, true, 'revoked'],
  ['account gone', undefined, false, 'no-account'],
  ['deactivated', { ...account, active: false }, false, 'inactive'],
  ['role changed', { ...account, role: 'admin' as const }, false, 'role-changed'],
  ['owner id changed', { ...account, ownerId: 'U-OWN-02' }, false, 'owner-changed'],
  ['password changed after sign-in', { ...account, updatedAt: issued + 1 }, false, 'account-changed'],
  ['changed in the same instant it was issued', { ...account, updatedAt: issued }, false, undefined],
] as const)('%s', (_, acc, revoked, refusal) => expect(sessionRefusal(session, acc, revoked)).toBe(refusal));

test('non-owner roles carry no owner id', () => {
  const exec = { ...session, role: 'executive' as const, ownerId: undefined };
  expect(sessionRefusal(exec, { ...account, role: 'executive', ownerId: 'stale' }, false)).toBeUndefined();
});

test('reads the account and the revocation list for the session', async () => {
  const asked: string[] = [];
  const ctx = {
    users: { byEmail: async () => undefined, byId: async (id: string) => (asked.push(`user ${id}`), account) },
    sessions: { isRevoked: async (sid: string) => (asked.push(`sid ${sid}`), sid === session.sid), revoke: async () => {} },
  };
  expect(await checkLiveSession(session, ctx)).toBe('revoked');
  expect(asked.sort()).toEqual([`sid ${session.sid}`, 'user U-1']);
  expect(await checkLiveSession({ ...session, sid: 'another-session-id-xyz' }, ctx)).toMatchObject({ sub: 'U-1' });
  await expect(checkLiveSession(session, { ...ctx, users: { ...ctx.users, byId: () => Promise.reject(new Error('down')) } })).rejects.toThrow('down');
});
