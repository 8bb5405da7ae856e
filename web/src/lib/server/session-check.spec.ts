import { describe, expect, test } from 'vitest';
import type { UserRecord } from './context.ts';
import { LiveSessionMemo, checkLiveSession, checkLiveSessionMemo, forgettingRevocations, sessionRefusal } from './session-check.ts';
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

describe('the live-session memo of the Cube proxy', () => {
  /** A context that counts warehouse reads and answers from mutable state. */
  function world() {
    const state = { account: account as UserRecord | undefined, revoked: new Set<string>(), reads: 0 };
    let release: (() => void) | undefined;
    const ctx = {
      users: { byEmail: async () => undefined, byId: async () => (state.reads++, state.account) },
      sessions: {
        isRevoked: async (sid: string) => {
          // A test may hold the read open, to change the world while a check is in flight.
          if (release === undefined && hold.next) await new Promise<void>((r) => (release = r));
          return state.revoked.has(sid);
        },
        revoke: async ({ sessionId }: { sessionId: string }) => void state.revoked.add(sessionId),
      },
    };
    const hold = { next: false, release: () => release?.() };
    return { state, ctx, hold };
  }
  const clock = () => {
    const c = { t: 0, now: () => c.t };
    return c;
  };

  test('a live session is read from the warehouse at most once per ttl', async () => {
    const { state, ctx } = world();
    const c = clock();
    const memo = new LiveSessionMemo({ ttlMs: 1000, now: c.now });
    expect(await checkLiveSessionMemo(session, ctx, memo)).toMatchObject({ sid: session.sid });
    c.t = 999;
    expect(await checkLiveSessionMemo(session, ctx, memo)).toMatchObject({ sid: session.sid });
    expect(state.reads).toBe(1);
    c.t = 1000;
    await checkLiveSessionMemo(session, ctx, memo);
    expect(state.reads).toBe(2);
  });

  test('refusals are never remembered', async () => {
    const { state, ctx } = world();
    const memo = new LiveSessionMemo({ now: () => 0 });
    state.account = { ...account, active: false };
    expect(await checkLiveSessionMemo(session, ctx, memo)).toBe('inactive');
    expect(await checkLiveSessionMemo(session, ctx, memo)).toBe('inactive');
    expect(state.reads).toBe(2);
  });

  test('a change of the account ends the remembered session at once, within the ttl', async () => {
    const { state, ctx } = world();
    const memo = new LiveSessionMemo({ now: () => 0 });
    await checkLiveSessionMemo(session, ctx, memo);
    state.account = { ...account, active: false };
    memo.forgetUser('U-OTHER');
    expect(await checkLiveSessionMemo(session, ctx, memo), 'another user forgotten: still remembered').toMatchObject({ sid: session.sid });
    memo.forgetUser(session.sub);
    expect(await checkLiveSessionMemo(session, ctx, memo)).toBe('inactive');
  });

  test('sign-out through the wrapped revocation list ends the remembered session at once', async () => {
    const { ctx } = world();
    const memo = new LiveSessionMemo({ now: () => 0 });
    const sessions = forgettingRevocations(ctx.sessions, () => memo);
    await checkLiveSessionMemo(session, { ...ctx, sessions }, memo);
    await sessions.revoke({ sessionId: session.sid, userId: session.sub, expiresAt: 0 });
    expect(await checkLiveSessionMemo(session, { ...ctx, sessions }, memo)).toBe('revoked');
  });

  test('a check in flight while the account changes does not remember its stale answer', async () => {
    const { state, ctx, hold } = world();
    const memo = new LiveSessionMemo({ now: () => 0 });
    hold.next = true;
    const inFlight = checkLiveSessionMemo(session, ctx, memo);
    // The account is deactivated (and forgotten) while the check's reads are under way.
    state.account = { ...account, active: false };
    memo.forgetUser(session.sub);
    hold.release();
    expect(await inFlight, 'the in-flight check answers what it read').toMatchObject({ sid: session.sid });
    hold.next = false;
    expect(await checkLiveSessionMemo(session, ctx, memo)).toBe('inactive');
  });

  test('a cookie with the same session id but other claims is not answered from the memo', async () => {
    const { state, ctx } = world();
    const memo = new LiveSessionMemo({ now: () => 0 });
    await checkLiveSessionMemo(session, ctx, memo);
    expect(await checkLiveSessionMemo({ ...session, role: 'admin' }, ctx, memo)).toBe('role-changed');
    expect(state.reads).toBe(2);
  });

  test("a page's concurrent requests share one check, but not one begun before a change", async () => {
    const { state, ctx, hold } = world();
    const memo = new LiveSessionMemo({ now: () => 0 });
    hold.next = true;
    const together = [checkLiveSessionMemo(session, ctx, memo), checkLiveSessionMemo(session, ctx, memo), checkLiveSessionMemo(session, ctx, memo)];
    expect(state.reads).toBe(1);
    memo.forgetUser(session.sub);
    state.account = { ...account, active: false };
    const afterChange = checkLiveSessionMemo(session, ctx, memo);
    hold.release();
    for (const r of await Promise.all(together)) expect(r).toMatchObject({ sid: session.sid });
    expect(await afterChange, 'asked after the change: its own check').toBe('inactive');
    expect(state.reads).toBe(2);
  });
});
