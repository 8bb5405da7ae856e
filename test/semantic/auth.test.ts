/** Token issuing and verification, and the token CLI (no server needed). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import jwt from 'jsonwebtoken';
import { PROJECT_ROOT, localSecrets } from '../../lib/config.ts';
import { AuthError, issueToken, verifyToken } from '../../semantic/security/auth.ts';
import { guardQuery, QueryRefused } from '../../semantic/security/query-guard.ts';
import { main as tokenCli } from '../../semantic/token-cli.ts';

const secret = 'test-secret-test-secret-test';

test('an issued token verifies to the security context', () => {
  const owner = verifyToken(issueToken({ role: 'owner', name: 'Ann Owner', ownerId: 'U-OWN-01', secret }), secret);
  assert.deepEqual(owner, { sub: 'ann-owner', role: 'owner', name: 'Ann Owner', owner_id: 'U-OWN-01' });
  const analyst = verifyToken(`Bearer ${issueToken({ role: 'analyst', name: 'Al', sub: 'al@x', secret })}`, secret);
  assert.deepEqual(analyst, { sub: 'al@x', role: 'analyst', name: 'Al' });
});


const refused: [string, () => string | undefined, RegExp][] = [
  ['no token', () => undefined, /missing/],
  ['expired', () => issueToken({ role: 'admin', name: 'x', secret, days: 1, now: Math.floor(Date.now() / 1000) - 2 * 86_400 }), /expired/],
  ['other secret', () => issueToken({ role: 'admin', name: 'x', secret: 'another-secret-another' }), /Invalid token/],
  ['HS512', () => jwt.sign({ sub: 'x', role: 'admin', exp: Math.floor(Date.now() / 1000) + 60 }, secret, { algorithm: 'HS512' }), /Invalid token/],
  ['no exp', () => jwt.sign({ sub: 'x', role: 'admin' }, secret), /expiry/],
  ['no sub', () => jwt.sign({ role: 'admin', exp: Math.floor(Date.now() / 1000) + 60 }, secret), /sub/],
  ['bad role', () => jwt.sign({ sub: 'x', role: 'root', exp: Math.floor(Date.now() / 1000) + 60 }, secret), /role/],
  ['owner without owner_id', () => jwt.sign({ sub: 'x', role: 'owner', exp: Math.floor(Date.now() / 1000) + 60 }, secret), /owner_id/],
  ['owner_id with SQL', () => jwt.sign({ sub: 'x', role: 'owner', owner_id: "x' OR 1=1 --", exp: Math.floor(Date.now() / 1000) + 60 }, secret), /owner_id/],
];
for (const [name, token, reason] of refused) {
  test(`refused: ${name}`, () => {
    assert.throws(() => verifyToken(token(), secret), (err: unknown) => err instanceof AuthError && reason.test(err.message));
  });
}

test('issueToken checks its input', () => {
  assert.throws(() => issueToken({ role: 'owner', name: 'x', secret }), /owner-id/);
  assert.throws(() => issueToken({ role: 'analyst', name: 'x', ownerId: 'U-1', secret }), /only applies/);
  assert.throws(() => issueToken({ role: 'analyst', name: 'x', days: 400, secret }), /days/);
});

test('the query guard refuses a request without a verified context', () => {
  const q = { measures: ['sales.revenue'] };
  assert.equal(guardQuery(q, { sub: 'a', role: 'analyst' }), q);
  assert.throws(() => guardQuery(q, undefined), QueryRefused);
  assert.throws(() => guardQuery(q, { sub: 'a', role: 'owner' }), QueryRefused);
});

test('the query guard lets only zone names through as the timezone (Cube pastes it into the SQL unescaped)', () => {
  const ctx = { sub: 'a', role: 'analyst' };
  for (const timezone of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) assert.doesNotThrow(() => guardQuery({ measures: ['sales.revenue'], timezone }, ctx), timezone);
  for (const timezone of ["UTC') --", "UTC'", 'UTC ', 'Not/AZone', '', 7, ['UTC'], 'A'.repeat(65)]) {
    assert.throws(() => guardQuery({ measures: ['sales.revenue'], timezone }, ctx), (e: Error) => e instanceof QueryRefused && /^Invalid timezone/.test(e.message), String(timezone));
  }
});

test('token CLI: --help, errors, and a token signed with the local secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-token-'));
  try {
    const env = { CRM_DATA_DIR: dir };
    assert.match(tokenCli(['--help'], env).out, /--owner-id/);
    assert.equal(tokenCli(['--role', 'owner', '--name', 'Ann'], env).code, 2);
    assert.equal(tokenCli(['--role', 'boss', '--name', 'Ann'], env).code, 2);
    const { code, out } = tokenCli(['--role', 'owner', '--name', 'Ann', '--owner-id', 'U-OWN-01', '--days', '7'], env);
    assert.equal(code, 0);
    const ctx = verifyToken(out, localSecrets(dir).cubeApiSecret);
    assert.equal(ctx.owner_id, 'U-OWN-01');
    const exp = (jwt.decode(out) as { exp: number; iat: number });
    assert.equal(exp.exp - exp.iat, 7 * 86_400);
    // CUBEJS_API_SECRET wins over the local secret.
    const env2 = { ...env, CUBEJS_API_SECRET: secret };
    assert.equal(verifyToken(tokenCli(['--role', 'analyst', '--name', 'Al'], env2).out, secret).role, 'analyst');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run token prints only the token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-token-'));
  try {
    const run = spawnSync('npm', ['run', '-s', 'token', '--', '--role', 'analyst', '--name', 'Ann'], {
      cwd: PROJECT_ROOT, env: { ...process.env, CRM_DATA_DIR: dir, CUBEJS_API_SECRET: '' }, encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(verifyToken(run.stdout.trim(), localSecrets(dir).cubeApiSecret).role, 'analyst');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
