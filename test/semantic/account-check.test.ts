/**
 * The dashboard-token check's snapshot (semantic/security/account-check.ts): how often it reads the
 * warehouse, and which claims it refuses. Pure: a counting reader and a manual clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccountSnapshots, FRESH_MS, MAX_AGE_MS, sessionTag, sessionTokenRefusal, snapshotOf, type AccountSnapshot } from '../../semantic/security/account-check.ts';

const snapshot = (active = 1, role = 'executive', ownerId = '', updatedMs = 1_000, revoked: string[] = []): AccountSnapshot =>
  snapshotOf([{ user_id: 'U-1', role, owner_id: ownerId, active, updated_ms: String(updatedMs) }], revoked.map((session_id) => ({ session_id })));

test('one read per freshness window however many requests; past the window the old snapshot answers while the next is read; past the age a request waits', async () => {
  let now = 0;
  let reads = 0;
  let release: (() => void) | undefined;
  const snapshots = new AccountSnapshots(
    async () => {
      reads++;
      if (reads > 1) await new Promise<void>((r) => (release = r));
      return snapshot();
    },
    { now: () => now },
  );
  await Promise.all(Array.from({ length: 100 }, () => snapshots.get()));
  assert.equal(reads, 1);
  now = FRESH_MS - 1;
  await snapshots.get();
  assert.equal(reads, 1);
  now = FRESH_MS + 1;
  const served = await snapshots.get();
  assert.equal(served.readAt, 0, 'the old snapshot answers while the new read runs');
  assert.equal(reads, 2);
  await snapshots.get();
  assert.equal(reads, 2, 'one read in flight at a time');
  now = MAX_AGE_MS + 1;
  let waited = false;
  const late = snapshots.get().then((s) => ((waited = true), s));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(waited, false, 'past the age a request waits for the read');
  release?.();
  assert.equal((await late).readAt, FRESH_MS + 1);
});

test('readSince reads again when the snapshot began before the given time', async () => {
  let now = 0;
  let reads = 0;
  const snapshots = new AccountSnapshots(async () => (reads++, snapshot()), { now: () => now });
  await snapshots.get();
  now = 500;
  assert.equal((await snapshots.readSince(400)).readAt, 500);
  assert.equal(reads, 2);
  await snapshots.readSince(400);
  assert.equal(reads, 2);
});

test('the refusals: deactivated, another role, another owner id, changed after the session, signed out; live otherwise', () => {
  const claims = { sub: 'U-1', role: 'executive', sid: sessionTag('s1'), siat: 2_000 };
  assert.equal(sessionTokenRefusal(claims, snapshot()), undefined);
  assert.match(String(sessionTokenRefusal({ ...claims, sub: 'U-2' }, snapshot())), /does not exist/);
  assert.match(String(sessionTokenRefusal(claims, snapshot(0))), /deactivated/);
  assert.match(String(sessionTokenRefusal(claims, snapshot(1, 'owner', 'U-OWN-1'))), /role is no longer executive/);
  const owner = { ...claims, role: 'owner', owner_id: 'U-OWN-1' };
  assert.equal(sessionTokenRefusal(owner, snapshot(1, 'owner', 'U-OWN-1')), undefined);
  assert.match(String(sessionTokenRefusal(owner, snapshot(1, 'owner', 'U-OWN-2'))), /owner id changed/);
  assert.match(String(sessionTokenRefusal(claims, snapshot(1, 'executive', '', 2_001))), /changed .* after its session began/);
  assert.match(String(sessionTokenRefusal(claims, snapshot(1, 'executive', '', 1_000, ['s1']))), /signed out/);
  assert.equal(sessionTokenRefusal(claims, snapshot(1, 'executive', '', 1_000, ['s2'])), undefined);
});
