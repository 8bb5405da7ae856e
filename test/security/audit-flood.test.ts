/**
 * Eighth security review: audit rows a signed-in user writes at will. Each `/api/cube-token` was
 * one append-only audit row (no query, only the INSERT), so a script holding any session cookie
 * wrote rows as fast as the web process answered — rows nobody may delete, and the administrator's
 * Audit page buried under them. The customer 360 page had the same shape (one row per view).
 *
 * Now repeats of the same action and target in a 10-minute window are counted into one row, and a
 * user's rows of one action per window are bounded (web/src/lib/server/audit-repeats.ts). Real
 * warehouse, real web server over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { raw, signInCookie } from './http.ts';

let tw: TestWarehouse;
let writer: TestWarehouse['warehouse'];
let web: WebServer;
const EMAIL = 'analyst@audit-flood.example';
const PASSWORD = 'audit-flood-password';
const FLOOD = 300;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-FLOODER', email: EMAIL, name: 'Analyst', role: 'analyst' });
  await setUserPassword(writer.client, EMAIL, PASSWORD);
  web = await startDashboardOnly(tw, writer.client);
});
after(async () => {
  await web?.close();
  await tw?.close();
});

test('a signed-in script asking for Cube tokens in a loop writes one audit row, not one per token', { timeout: 600_000 }, async () => {
  const { cookie, res } = await signInCookie(web.url, EMAIL, PASSWORD);
  assert.ok(cookie, `signed in: ${res.status}`);
  const statuses = new Map<number, number>();
  for (let i = 0; i < FLOOD; i++) {
    const r = await raw(web.url, '/api/cube-token', { cookie, headers: { accept: 'application/json' } });
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  // Every request still gets its token: the bound is on the rows, not on the user.
  assert.deepEqual([...statuses], [[200, FLOOD]]);
  const rs = await writer.client.query({
    query: `SELECT toString(count()) AS n, toString(sum(ifNull(row_count, 0))) AS counted FROM ${tw.config.database}.audit_log WHERE action = 'token.issue' AND actor = 'U-FLOODER'`,
    format: 'JSONEachRow',
  });
  const [{ n }] = await rs.json<{ n: string; counted: string }>();
  // One row now; the other 299 are counted into the window's summary row when the window ends.
  assert.equal(n, '1', `${FLOOD} token requests wrote ${n} audit rows`);
});
