/**
 * Third review: the dashboard's door to the semantic layer (web/server/cube-gate.ts) forwarded any
 * Cube token whose subject was the signed-in user. A token is valid 15 minutes and carries the
 * role and owner id it was minted with; a user whose role or book changed signs in again (the old
 * session ends) and still holds the old token in a tab or a copy. Through the dashboard that token
 * kept reading with the old scope — an executive demoted to account owner still read every
 * customer, an owner moved to another book still read the old one — until it expired.
 *
 * Pure: the gate with its accounts snapshot read from a plain list (test/support/live-sessions.ts); tokens are signed but the gate
 * does not verify signatures (Cube does), so any key serves.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import jwt from 'jsonwebtoken';
import { cubeGate } from '../../web/server/cube-gate.ts';
import { liveSessionsOf } from '../support/live-sessions.ts';
import type { UserRecord } from '../../web/src/lib/server/context.ts';
import { SESSION_COOKIE, signSession, type SessionUser } from '../../web/src/lib/server/session.ts';

const sessionSecret = 'gate-scope-session-secret-0123456789';

function gateFor(account: UserRecord) {
  const ctx = {
    secrets: { sessionSecret },
    liveSessions: liveSessionsOf(account),
  } as unknown as Parameters<typeof cubeGate>[0];
  return async (user: SessionUser, claims: Record<string, unknown> | string): Promise<{ status?: number; forwarded: number; authorization?: string }> => {
    const forwarded: IncomingMessage[] = [];
    const answer: { status?: number } = {};
    const cookie = `${SESSION_COOKIE}=${signSession(user, sessionSecret, { issuedAt: account.updatedAt + 1000 })}`;
    const authorization = typeof claims === 'string' ? claims : `Bearer ${jwt.sign(claims, 'any-secret-any-secret', { expiresIn: 900 })}`;
    const req = { headers: { cookie, authorization } } as unknown as IncomingMessage;
    const res = {
      setHeader() {
        return this;
      },
      writeHead(status: number) {
        answer.status = status;
        return this;
      },
      end() {},
    } as unknown as ServerResponse;
    await cubeGate(ctx, (r) => forwarded.push(r))(req, res);
    return { status: answer.status, forwarded: forwarded.length, authorization: forwarded[0]?.headers.authorization };
  };
}

test('a token minted before a role change (executive → account owner) reads nothing through the dashboard', async () => {
  const now: UserRecord = { userId: 'U-7', email: 'e7@x.example', name: 'E', role: 'owner', ownerId: 'U-OWN-07', region: '', passwordHash: 'h', active: true, updatedAt: 1_000 };
  const gate = gateFor(now);
  const session: SessionUser = { sub: 'U-7', email: now.email, name: 'E', role: 'owner', ownerId: 'U-OWN-07' };
  const stale = await gate(session, { sub: 'U-7', role: 'executive', name: 'E' });
  assert.equal(stale.status, 401, 'the old executive token was forwarded with the new owner session');
  assert.equal(stale.forwarded, 0);
  const own = await gate(session, { sub: 'U-7', role: 'owner', name: 'E', owner_id: 'U-OWN-07' });
  assert.equal(own.forwarded, 1, 'the token of the current role and book is forwarded');
});

test("a token of the owner's previous book reads nothing through the dashboard", async () => {
  const now: UserRecord = { userId: 'U-8', email: 'e8@x.example', name: 'O', role: 'owner', ownerId: 'U-OWN-02', region: '', passwordHash: 'h', active: true, updatedAt: 1_000 };
  const gate = gateFor(now);
  const session: SessionUser = { sub: 'U-8', email: now.email, name: 'O', role: 'owner', ownerId: 'U-OWN-02' };
  for (const claims of [
    { sub: 'U-8', role: 'owner', name: 'O', owner_id: 'U-OWN-01' },
    { sub: 'U-8', role: 'owner', name: 'O' },
    { sub: 'U-8', role: 'admin', name: 'O' },
  ]) {
    const r = await gate(session, claims);
    assert.equal(r.status, 401, JSON.stringify(claims));
    assert.equal(r.forwarded, 0, JSON.stringify(claims));
  }
});

test('a non-owner session forwards its own role’s token; an owner_id on it changes nothing (Cube drops it for other roles)', async () => {
  const now: UserRecord = { userId: 'U-9', email: 'e9@x.example', name: 'A', role: 'analyst', ownerId: '', region: '', passwordHash: 'h', active: true, updatedAt: 1_000 };
  const gate = gateFor(now);
  const session: SessionUser = { sub: 'U-9', email: now.email, name: 'A', role: 'analyst' };
  assert.equal((await gate(session, { sub: 'U-9', role: 'analyst', name: 'A' })).forwarded, 1);
  assert.equal((await gate(session, { sub: 'U-9', role: 'marketer', name: 'A' })).status, 401);
});

test("another user's token smuggled behind a made-up scheme carrying the signed-in user's claims reads nothing", async () => {
  const now: UserRecord = { userId: 'U-10', email: 'e10@x.example', name: 'M', role: 'owner', ownerId: 'U-OWN-10', region: '', passwordHash: 'h', active: true, updatedAt: 1_000 };
  const gate = gateFor(now);
  const session: SessionUser = { sub: 'U-10', email: now.email, name: 'M', role: 'owner', ownerId: 'U-OWN-10' };
  // Taken from an executive's page: Cube reads the part after the first space (its gateway's rule).
  const stolen = jwt.sign({ sub: 'U-CEO', role: 'executive', name: 'C' }, 'any-secret-any-secret', { expiresIn: 900 });
  const own = Buffer.from(JSON.stringify({ sub: 'U-10', role: 'owner', owner_id: 'U-OWN-10' })).toString('base64url');
  for (const header of [`x.${own}.y ${stolen}`, `Bearer.${own}.y ${stolen}`]) {
    const r = await gate(session, header);
    assert.equal(r.forwarded, 0, `forwarded with ${header.slice(0, 40)}…`);
    assert.equal(r.status, 401);
  }
});

test('what is forwarded is the token that was checked, as Cube reads it', async () => {
  const now: UserRecord = { userId: 'U-11', email: 'e11@x.example', name: 'N', role: 'marketer', ownerId: '', region: '', passwordHash: 'h', active: true, updatedAt: 1_000 };
  const gate = gateFor(now);
  const session: SessionUser = { sub: 'U-11', email: now.email, name: 'N', role: 'marketer' };
  const token = jwt.sign({ sub: 'U-11', role: 'marketer', name: 'N' }, 'any-secret-any-secret', { expiresIn: 900 });
  for (const header of [`Bearer ${token}`, token]) {
    const r = await gate(session, header);
    assert.equal(r.forwarded, 1, header.slice(0, 20));
    assert.equal(r.authorization, `Bearer ${token}`);
  }
});
