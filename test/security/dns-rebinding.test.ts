/**
 * Fifth security review: DNS rebinding against the dashboard of `npm start`. Without
 * CRM_WEB_ORIGIN the server takes its origin from the request's Host header, so a page on
 * http://evil.example:3000 whose name an attacker re-points at 127.0.0.1 is, to the dashboard, its
 * own origin: SvelteKit's form check (Origin equals the URL's origin) passes and the sign-in form
 * takes a post from it. `npm start` gives its demo accounts the published password demo1234 and the
 * README loads one's own exports into that same product, so any web page the user visited could
 * sign in as admin@demo.local and read every customer through the user's own browser.
 *
 * Now, serving directly (no CRM_WEB_ORIGIN, no proxy's protocol header), the dashboard answers only
 * to host names that cannot be re-pointed by someone else: IP literals and localhost.
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
let web: WebServer;
const EMAIL = 'admin@rebind.example';
const PASSWORD = 'rebind-demo1234';

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  const writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-REBIND', email: EMAIL, name: 'Admin', role: 'admin' });
  await setUserPassword(writer.client, EMAIL, PASSWORD);
  web = await startDashboardOnly(tw, writer.client);
});
after(async () => {
  await web?.close();
  await tw?.close();
});

const port = () => new URL(web.url).port;
const signIn = (host: string) =>
  raw(web.url, '/signin', {
    method: 'POST',
    headers: { host, origin: `http://${host}`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD }).toString(),
  });
const sessionOf = (r: { headers: Record<string, string | string[] | undefined> }) =>
  [r.headers['set-cookie'] ?? []].flat().some((c) => /^crm_session=[^;]+/.test(c));

test('a page on a re-pointed name neither signs in nor reads the dashboard', { timeout: 300_000 }, async () => {
  const rebound = await signIn(`evil.example:${port()}`);
  assert.equal(sessionOf(rebound), false, `a rebound page got a session: ${rebound.status}`);
  assert.equal(rebound.status, 421, rebound.body.slice(0, 300));
  assert.match(rebound.body, /CRM_WEB_ORIGIN/);
  const page = await raw(web.url, '/signin', { headers: { host: `evil.example:${port()}` } });
  assert.equal(page.status, 421);
});

test('the addresses people use locally still work: 127.0.0.1, [::1] spelled as Host, localhost', { timeout: 120_000 }, async () => {
  for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`]) {
    const r = await signIn(host);
    assert.ok(r.status < 400 && sessionOf(r), `${host}: ${r.status} ${r.body.slice(0, 200)}`);
  }
});
