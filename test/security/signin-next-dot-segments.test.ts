/**
 * Seventh security review: the sign-in's `next` with dot segments. safeNext checked the raw value
 * (one leading "/", no backslashes or control characters) and that it resolved to the same origin,
 * then returned the resolved path — and `/.//evil.example` resolves to the path `//evil.example`,
 * which a browser reads in a Location header as another host. A link
 * `https://crm…/signin?next=/.//evil.example` sent a person who signed in (and at once, anyone
 * already signed in) to a page of the sender's choosing: a copy of the sign-in form, say.
 *
 * The real web server over a real warehouse: the form post and the signed-in visit, as a browser
 * reads the answer's Location.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { cookiesOf, raw } from './http.ts';

let tw: TestWarehouse;
let web: WebServer;
const EMAIL = 'analyst@next.example';
const PASSWORD = 'dot segments 1';

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  const writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-NEXT', email: EMAIL, name: 'Analyst', role: 'analyst' });
  await setUserPassword(writer.client, EMAIL, PASSWORD);
  web = await startDashboardOnly(tw, writer.client);
});
after(async () => {
  await web?.close();
  await tw?.close();
});

// As typed into a link (percent-encoded dots stay encoded on the wire; the server decodes the query).
const EVIL = ['/.//evil.example', '/%252e%252e//evil.example', '/a/..//evil.example', '/a/b/../..//evil.example/x?y=1', '/././/evil.example'];

/** Where a browser goes with this Location, as an origin. */
const goesTo = (location: string | string[] | undefined): string => new URL(String(location ?? '/'), web.url).origin;

test('the sign-in never sends the browser to another host through dot segments in next', { timeout: 300_000 }, async () => {
  const own = new URL(web.url).origin;
  const bad: string[] = [];
  let cookie = '';
  for (const next of EVIL) {
    const res = await raw(web.url, `/signin?next=${next}`, {
      method: 'POST',
      headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, password: PASSWORD }).toString(),
    });
    assert.equal(res.status, 303, `sign-in with next=${next}`);
    if (goesTo(res.headers.location) !== own) bad.push(`POST next=${next} → ${res.headers.location}`);
    cookie = Object.entries(cookiesOf(res))
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }
  // Signed in already: the sign-in page sends the browser on at once.
  for (const next of EVIL) {
    const res = await raw(web.url, `/signin?next=${next}`, { cookie, headers: { accept: 'text/html' } });
    assert.equal(res.status, 303, `signed-in visit with next=${next}`);
    if (goesTo(res.headers.location) !== own) bad.push(`GET next=${next} → ${res.headers.location}`);
  }
  assert.deepEqual(bad, []);
});

// Tenth review: the browser follows the sign-in's Location as a same-origin request (its chain
// began with the dashboard's own form), so a link to sign-in with next= an export or the token
// endpoint started that download right after sign-in, past the Sec-Fetch-Site guard.
test('the sign-in never sends the browser on to a download or the Cube token', { timeout: 300_000 }, async () => {
  const downloads = ['/segments/export.csv?definition=%7B%22match%22%3A%22all%22%2C%22groups%22%3A%5B%5D%7D', '/churn-risk/export.csv', '/api/cube-token', '/%2573egments/export.csv'];
  const bad: string[] = [];
  for (const next of downloads) {
    const res = await raw(web.url, `/signin?next=${next}`, {
      method: 'POST',
      headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, password: PASSWORD }).toString(),
    });
    assert.equal(res.status, 303, `sign-in with next=${next}`);
    if (String(res.headers.location) !== '/') bad.push(`next=${next} → ${res.headers.location}`);
  }
  assert.deepEqual(bad, []);
  // A page still is where the sign-in sends the browser.
  const page = await raw(web.url, '/signin?next=/churn-risk%3Fband%3Dhigh', {
    method: 'POST',
    headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD }).toString(),
  });
  assert.equal(page.headers.location, '/churn-risk?band=high');
});
