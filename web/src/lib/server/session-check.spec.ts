import { describe, expect, test } from 'vitest';
import type { UserRecord } from './context.ts';
import { FRESH_MS, MAX_AGE_MS, snapshotOf, type AccountSnapshot } from '../../../../lib/accounts/account-snapshots.ts';
import { LiveSessions, LocalAccountChanges, forgettingRevocations, sessionRefusal } from './session-check.ts';
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

describe("the page views' and Cube proxy's session check: one accounts snapshot per process (issue 17)", () => {
  /** The warehouse as the snapshot reads it: mutable rows, counted reads, a read that can be held open. */
  function world() {
    const state = { account: account as UserRecord | undefined, revoked: new Set<string>(), reads: 0, fail: false };
    const held: (() => void)[] = [];
    const hold = { next: false };
    const read = async (): Promise<AccountSnapshot> => {
      state.reads++;
      // The rows as they are when the read begins (a change during it may be missing, as in the warehouse).
      const rows = state.account ? [{ user_id: state.account.userId, role: state.account.role, owner_id: state.account.ownerId, active: state.account.active ? 1 : 0, updated_ms: String(state.account.updatedAt) }] : [];
      const revoked = [...state.revoked].map((session_id) => ({ session_id }));
      if (hold.next) await new Promise<void>((r) => held.push(r));
      if (state.fail) throw new Error('warehouse down');
      return snapshotOf(rows, revoked);
    };
    const c = { t: issued + 10_000 };
    const local = new LocalAccountChanges(() => c.t);
    const live = new LiveSessions(read, { now: () => c.t, local });
    return { state, live, local, clock: c, hold, release: () => held.splice(0).forEach((r) => r()) };
  }
  const sessionOf = (i: number): Session => ({ ...session, sid: `session-${String(i).padStart(20, '0')}` });

  test('a hundred sessions checked at once, and again within the freshness window: one warehouse read', async () => {
    const w = world();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => w.live.check(sessionOf(i))));
    expect(answers.every((a) => typeof a !== 'string')).toBe(true);
    w.clock.t += FRESH_MS - 1;
    await Promise.all(Array.from({ length: 100 }, (_, i) => w.live.check(sessionOf(i))));
    // The per-session check read the warehouse twice per session per second (200 reads here).
    expect(w.state.reads).toBe(1);
  });

  test('a deactivation by another process ends the session within MAX_AGE_MS plus one read, with requests arriving or not', async () => {
    expect(FRESH_MS).toBeLessThanOrEqual(2_000);
    expect(MAX_AGE_MS).toBeLessThanOrEqual(5_000);
    // Requests keep arriving: the first one past the freshness window starts the read, a later one sees its answer.
    const w = world();
    expect(await w.live.check(session)).toMatchObject({ sid: session.sid });
    w.state.account = { ...account, active: false };
    w.clock.t += FRESH_MS + 1;
    expect(await w.live.check(session), 'the old snapshot answers while the next is read').toMatchObject({ sid: session.sid });
    await Promise.resolve();
    expect(await w.live.check(session)).toBe('inactive');
    // No request for a while: the first one after MAX_AGE_MS waits for a read.
    const quiet = world();
    await quiet.live.check(session);
    quiet.state.account = { ...account, active: false };
    quiet.clock.t += MAX_AGE_MS + 1;
    expect(await quiet.live.check(session)).toBe('inactive');
  });

  test("a write of the user's row in this process counts at the next request, not after the freshness window", async () => {
    const w = world();
    await w.live.check(session);
    w.state.account = { ...account, active: false };
    w.local.userChanged();
    w.clock.t += 1;
    expect(await w.live.check(session)).toBe('inactive');
    expect(w.state.reads).toBe(2);
  });

  test('a read in flight when the row was written does not count as seeing the write', async () => {
    const w = world();
    await w.live.check(session);
    w.clock.t += FRESH_MS + 1;
    w.hold.next = true;
    // A request past the freshness window starts a read, which is held open while the account changes.
    expect(await w.live.check(session)).toMatchObject({ sid: session.sid });
    w.clock.t += 1;
    w.state.account = { ...account, active: false };
    w.local.userChanged();
    w.hold.next = false;
    const after = w.live.check(session);
    w.release();
    expect(await after).toBe('inactive');
  });

  test('sign-out in this process refuses the session at once, before any read sees it', async () => {
    const w = world();
    await w.live.check(session);
    const sessions = forgettingRevocations({ isRevoked: async () => false, revoke: async () => {} }, () => w.local);
    await sessions.revoke({ sessionId: session.sid, userId: 'U-1', expiresAt: session.exp });
    expect(await w.live.check(session)).toBe('revoked');
    expect(w.state.reads).toBe(1);
    expect(await w.live.check(sessionOf(7)), 'another session of the same user').toMatchObject({ sub: 'U-1' });
  });

  test('a sign-out elsewhere is refused from the snapshot', async () => {
    const w = world();
    w.state.revoked.add(session.sid);
    expect(await w.live.check(session)).toBe('revoked');
  });

  test('a session that began after the snapshot was read, of an account the snapshot does not know yet, is checked on a new read', async () => {
    const w = world();
    w.state.account = undefined;
    await w.live.check(sessionOf(1)).catch(() => undefined);
    w.state.account = { ...account, updatedAt: w.clock.t };
    w.clock.t += 100;
    const fresh = { ...session, iat: w.clock.t };
    expect(await w.live.check(fresh)).toMatchObject({ sid: fresh.sid });
    expect(w.state.reads).toBe(2);
  });

  test('a snapshot that cannot be read: the old one answers up to MAX_AGE_MS, then the check throws (callers fail closed)', async () => {
    const w = world();
    await w.live.check(session);
    w.state.fail = true;
    w.clock.t += MAX_AGE_MS - 1;
    expect(await w.live.check(session)).toMatchObject({ sid: session.sid });
    w.clock.t += 2;
    await expect(w.live.check(session)).rejects.toThrow('warehouse down');
  });

  test('role and owner changes refuse through the snapshot too', async () => {
    const w = world();
    w.state.account = { ...account, ownerId: 'U-OWN-02' };
    expect(await w.live.check(session)).toBe('owner-changed');
    const v = world();
    v.state.account = { ...account, role: 'admin' };
    expect(await v.live.check(session)).toBe('role-changed');
  });
});
