/**
 * Sixth security review: a flood of sign-in posts at a throttled account. Once the account's
 * counter was spent, every further refusal still looked the account up and wrote an audit row
 * (the audit log is append-only: nobody may delete them), so an outsider without an account could
 * fill the disk and keep the warehouse busy at the rate the web process took posts.
 *
 * Now a window's first refusal is recorded and the rest are counted (refusal-tally.ts): a flood of
 * refusals is one row per spent counter and window (real warehouse, real web server over HTTP).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { raw } from './http.ts';

let tw: TestWarehouse;
let writer: TestWarehouse['warehouse'];
let web: WebServer;
const EMAIL = 'admin@flood.example';
const FLOOD = 150;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-FLOOD', email: EMAIL, name: 'Admin', role: 'admin' });
  await setUserPassword(writer.client, EMAIL, 'the right one 1');
  web = await startDashboardOnly(tw, writer.client);
});
after(async () => {
  await web?.close();
  await tw?.close();
});

const post = (password: string) =>
  raw(web.url, '/signin', {
    method: 'POST',
    headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password }).toString(),
  });

async function signInRows(): Promise<{ detail: string; n: string }[]> {
  const rs = await writer.client.query({
    query: `SELECT detail, toString(count()) AS n FROM ${tw.config.database}.audit_log WHERE action = 'auth.sign_in' GROUP BY detail ORDER BY detail`,
    format: 'JSONEachRow',
  });
  return rs.json();
}

test('refusals of a throttled account are counted, not written one row each', { timeout: 600_000 }, async () => {
  const statuses: number[] = [];
  // 8 wrong passwords spend the account's counter (each a real check and a row), then the flood.
  for (let i = 0; i < 8; i++) statuses.push((await post(`wrong guess ${i}`)).status);
  const t = performance.now();
  for (let i = 8; i < 8 + FLOOD; i++) statuses.push((await post(`wrong guess ${i}`)).status);
  // A figure for the review (docs/security.md), not a check: timing depends on the machine's load.
  console.log(`${FLOOD} throttled refusals in ${Math.round(performance.now() - t)} ms`);
  assert.deepEqual(statuses.slice(0, 8), Array(8).fill(400), 'the first 8 are checked');
  assert.deepEqual(statuses.slice(8), Array(FLOOD).fill(429), 'the rest are refused');
  // The right password too, while throttled: refused, and not a row of its own.
  assert.equal((await post('the right one 1')).status, 429);
  assert.deepEqual(await signInRows(), [
    { detail: 'too many failed attempts', n: '1' },
    { detail: 'wrong password', n: '8' },
  ]);
});
