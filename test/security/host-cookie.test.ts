/**
 * Eighth security review: the session cookie's name over HTTPS. A page on a sibling subdomain of
 * the dashboard's (same site: `shop.example.test` beside `crm.example.test`) can set a cookie for
 * the parent domain. A plain `crm_session` set that way reached the dashboard like its own, so an
 * attacker with an account of their own could put their session into a colleague's browser: what
 * the colleague then typed, saved or exported happened in the attacker's account.
 *
 * Over HTTPS the session is now `__Host-crm_session` (Secure, Path=/, no Domain: a cookie only this
 * origin can set) and it is the only one read, by the pages, /api/cube-token and the dashboard's
 * gate to the semantic layer. Plain HTTP (npm start on 127.0.0.1) keeps `crm_session`: the attack
 * suite checks that one's flags.
 *
 * adapter-node reads its origin from the environment when its handler is first imported, so this
 * file serves only the HTTPS origin (one process per test file).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../lib/config/schema.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { postForm, raw, type RawResponse } from './http.ts';

const ORIGIN = 'https://crm.example.test';
let tw: TestWarehouse;
let web: WebServer;
const ATTACKER = { email: 'mallory@cookie.example', password: 'mallory-own-password' };

before(async () => {
  process.env.CRM_WEB_ORIGIN = ORIGIN;
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  const writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-MALLORY', email: ATTACKER.email, name: 'Mallory', role: 'marketer' });
  await setUserPassword(writer.client, ATTACKER.email, ATTACKER.password);
  web = await startDashboardOnly(tw, writer.client, { config: loadConfig({ ...process.env, CRM_WEB_ORIGIN: ORIGIN, CRM_WEB_PROTOCOL_HEADER: '' }) });
});
after(async () => {
  await web?.close();
  await tw?.close();
});

const setCookies = (r: RawResponse): string[] => [r.headers['set-cookie'] ?? []].flat();
/** The value of the session cookie a sign-in set, whatever its name, with its Set-Cookie line. */
function sessionSet(r: RawResponse): { name: string; value: string; line: string } | undefined {
  for (const line of setCookies(r)) {
    const m = /^([^=]*crm_session)=([^;]+)/.exec(line);
    if (m) return { name: m[1], value: m[2], line };
  }
  return undefined;
}

test('over HTTPS the session is a __Host- cookie, and a plain crm_session (a sibling subdomain can set one) is not read', { timeout: 300_000 }, async () => {
  const signIn = await postForm(web.url, '/signin', ATTACKER, { headers: { origin: ORIGIN } });
  assert.equal(signIn.status, 303, `the attacker signs in to their own account: ${signIn.status} ${signIn.body.slice(0, 200)}`);
  const set = sessionSet(signIn);
  assert.ok(set, `a session cookie is set: ${setCookies(signIn).join(' | ')}`);
  assert.equal(set.name, '__Host-crm_session', `the session cookie's name over HTTPS: ${set.line}`);
  assert.match(set.line, /;\s*Secure/i);
  assert.match(set.line, /;\s*Path=\/(;|$)/i);
  assert.doesNotMatch(set.line, /;\s*Domain=/i);

  // The attacker's own session value, set for the parent domain by a page they control.
  const planted = `crm_session=${set.value}`;
  const token = await raw(web.url, '/api/cube-token', { cookie: planted, headers: { accept: 'application/json' } });
  assert.equal(token.status, 401, `a planted plain crm_session got a Cube token: ${token.status} ${token.body.slice(0, 120)}`);
  const page = await raw(web.url, '/segments', { cookie: planted, headers: { accept: 'text/html' } });
  assert.equal(page.status, 303, `a planted plain crm_session opened a page: ${page.status}`);
  assert.match(String(page.headers.location), /^\/signin/);
  const gate = await raw(web.url, '/cubejs-api/v1/meta', { cookie: planted });
  assert.equal(gate.status, 401, `the semantic layer's gate took a planted plain crm_session: ${gate.status}`);

  // The same value under the __Host- name is the session the browser really has: it works.
  const own = `__Host-crm_session=${set.value}`;
  const ownToken = await raw(web.url, '/api/cube-token', { cookie: own, headers: { accept: 'application/json' } });
  assert.equal(ownToken.status, 200, `the __Host- session gets its token: ${ownToken.status} ${ownToken.body.slice(0, 120)}`);
  const cubeToken = (JSON.parse(ownToken.body) as { token: string }).token;
  const forwarded = await raw(web.url, '/cubejs-api/v1/meta', { cookie: own, headers: { authorization: `Bearer ${cubeToken}` } });
  // The test's Cube address answers nothing: anything but the gate's 401 means the gate let it through.
  assert.notEqual(forwarded.status, 401, `the gate refused the __Host- session: ${forwarded.body.slice(0, 160)}`);

  // Both at once (the browser sends the sibling's cookie too): the __Host- one decides.
  const signOut = await postForm(web.url, '/signout', {}, { cookie: `${planted}; ${own}`, headers: { origin: ORIGIN } });
  assert.equal(signOut.status, 303);
  const cleared = setCookies(signOut).find((l) => l.startsWith('__Host-crm_session='));
  assert.ok(cleared && /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(cleared) && /;\s*Secure/i.test(cleared), `sign-out clears the __Host- cookie: ${setCookies(signOut).join(' | ')}`);
});
