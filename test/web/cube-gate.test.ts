/**
 * The dashboard's door to the semantic layer (web/server/cube-gate.ts): what it forwards and what it
 * refuses. In memory: the gate is a function of the request; the accounts snapshot it judges sessions
 * by is read from a plain list (test/support/live-sessions.ts).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import jwt from 'jsonwebtoken';
import { cubeGate } from '../../web/server/cube-gate.ts';
import { liveSessionsOf } from '../support/live-sessions.ts';
import { SESSION_COOKIE, signSession } from '../../web/src/lib/server/session.ts';
import type { UserRecord } from '../../web/src/lib/server/context.ts';

const sessionSecret = 'gate-session-secret-0123456789';
const account: UserRecord = { userId: 'U-1', email: 'e@x.example', name: 'E', role: 'executive', ownerId: '', region: '', passwordHash: 'h', active: true, updatedAt: 0 };
const ctx = {
  secrets: { sessionSecret },
  liveSessions: liveSessionsOf(account),
} as unknown as Parameters<typeof cubeGate>[0];

function call(headers: Record<string, string>) {
  const forwarded: IncomingMessage[] = [];
  const answer: { status?: number; body?: string; headers: Record<string, string> } = { headers: {} };
  const req = { headers: { ...headers } } as unknown as IncomingMessage;
  const res = {
    setHeader(name: string, value: string) {
      answer.headers[name.toLowerCase()] = value;
      return this;
    },
    writeHead(status: number, more: Record<string, string> = {}) {
      answer.status = status;
      for (const [k, v] of Object.entries(more)) answer.headers[k.toLowerCase()] = v;
      return this;
    },
    end(body: string) {
      answer.body = body;
    },
  } as unknown as ServerResponse;
  return cubeGate(ctx, (r) => forwarded.push(r))(req, res).then(() => ({ forwarded, answer }));
}

const cookie = `${SESSION_COOKIE}=${signSession({ sub: 'U-1', email: account.email, name: 'E', role: 'executive' }, sessionSecret)}`;
const token = (sub: string) => `Bearer ${jwt.sign({ sub, role: 'executive' }, 'any-secret-any-secret', { expiresIn: 60 })}`;

test('a live session with its own token is forwarded, asking for Cube\'s polling protocol (the dashboard polls on "Continue wait")', async () => {
  const { forwarded, answer } = await call({ cookie, authorization: token('U-1') });
  assert.equal(answer.status, undefined);
  assert.equal(forwarded.length, 1);
  assert.equal(forwarded[0].headers['x-cube-continue-wait'], 'allow');
});

test('no session, or another user\'s token: 401, nothing forwarded', async () => {
  const cases: Record<string, string>[] = [{ authorization: token('U-1') }, { cookie, authorization: token('U-2') }];
  for (const headers of cases) {
    const { forwarded, answer } = await call(headers);
    assert.equal(answer.status, 401, JSON.stringify(headers));
    assert.equal(forwarded.length, 0);
    // A refusal is no more cacheable or sniffable than an answer.
    assert.match(answer.headers['cache-control'] ?? '', /no-store/);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
  }
});
