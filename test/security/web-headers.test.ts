/**
 * Ninth security review's follow-up: the same security headers on every answer of the web server.
 * Only what SvelteKit answered carried them; the build's static files (`/_app/…`, `/favicon.svg`)
 * went without `nosniff` and a CSP, and a static 404 without a content type besides.
 *
 * The real web server (its production build) over a real warehouse and a real Cube (the semantic
 * fixture), asked over plain HTTP for: a static script and the favicon, a static 404, the favicon
 * redirect, the sign-in page and a signed-in page, an unknown page and a customer id no customer
 * can have (error pages), and a segment CSV export (a download).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startSemanticFixture, type SemanticFixture } from '../semantic/support.ts';
import { cookiesOf, raw, type RawResponse } from './http.ts';

let fx: SemanticFixture;
let web: WebServer;
let cookie: string;
const EMAIL = 'marketer@headers.example';
const PASSWORD = 'headers test 1';

before(async () => {
  fx = await startSemanticFixture();
  const writer = await fx.tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-HDR-01', email: EMAIL, name: 'Marketer', role: 'marketer' });
  await setUserPassword(writer.client, EMAIL, PASSWORD);
  // The fixture's Cube secret, so the dashboard's tokens are Cube's.
  web = await startDashboardOnly(fx.tw, writer.client, { cubeUrl: fx.semantic.url, secrets: { sessionSecret: randomBytes(24).toString('base64url'), cubeApiSecret: fx.secret } });
  const signIn = await raw(web.url, '/signin', {
    method: 'POST',
    headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD }).toString(),
  });
  assert.equal(signIn.status, 303, signIn.body.slice(0, 300));
  cookie = Object.entries(cookiesOf(signIn))
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
});
after(async () => {
  await web?.close();
  await fx?.close();
});

const header = (r: RawResponse, name: string): string => String(r.headers[name] ?? '');

function secured(r: RawResponse, what: string): void {
  const csp = header(r, 'content-security-policy');
  assert.equal(header(r, 'x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP "${csp}"`);
  assert.match(csp, /object-src 'none'/, `${what}: CSP "${csp}"`);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, `${what}: CSP "${csp}"`);
  assert.equal(header(r, 'x-frame-options'), 'DENY', `${what}: x-frame-options`);
  assert.equal(header(r, 'referrer-policy'), 'same-origin', `${what}: referrer-policy`);
  assert.notEqual(header(r, 'content-type'), '', `${what}: no content type (status ${r.status})`);
}

test('static files, their 404s and the favicon redirect carry the headers pages carry', { timeout: 300_000 }, async () => {
  const page = await raw(web.url, '/signin');
  assert.equal(page.status, 200);
  secured(page, 'the sign-in page');
  assert.match(header(page, 'content-security-policy'), /script-src 'self' 'nonce-/, 'the page keeps its own CSP with the nonce');
  // A script the page itself loads, by the name the build gave it.
  const script = /\/_app\/immutable\/[^"' ]+\.js/.exec(page.body)?.[0];
  assert.ok(script, 'the sign-in page names a script of the build');
  const asset = await raw(web.url, script);
  assert.equal(asset.status, 200, script);
  assert.match(header(asset, 'content-type'), /javascript/);
  secured(asset, `static ${script}`);
  const icon = await raw(web.url, '/favicon.svg');
  assert.equal(icon.status, 200);
  secured(icon, '/favicon.svg');
  for (const path of ['/_app/immutable/chunks/no-such-chunk.js', '/_app/immutable/assets/no-such-style.css', '/_app/version.json.bak']) {
    const missing = await raw(web.url, path);
    assert.equal(missing.status, 404, `${path}: ${missing.status}`);
    secured(missing, `static 404 ${path}`);
  }
  const redirect = await raw(web.url, '/favicon.ico');
  assert.equal(redirect.status, 301);
  assert.equal(header(redirect, 'x-content-type-options'), 'nosniff', 'the favicon redirect');
  assert.match(header(redirect, 'content-security-policy'), /frame-ancestors 'none'/, 'the favicon redirect');
});

test('pages, error pages and a download, signed in', { timeout: 300_000 }, async () => {
  const home = await raw(web.url, '/', { cookie });
  assert.equal(home.status, 200, home.body.slice(0, 200));
  secured(home, 'the cockpit');
  const unknown = await raw(web.url, '/no-such-page', { cookie });
  assert.equal(unknown.status, 404);
  secured(unknown, 'an unknown page');
  // SvelteKit's own error page (+error.svelte): a customer id no customer can have.
  const customer = await raw(web.url, `/customers/${'X'.repeat(201)}`, { cookie, headers: { accept: 'text/html' } });
  assert.equal(customer.status, 404, customer.body.slice(0, 200));
  assert.match(customer.body, /No such customer/);
  secured(customer, 'the error page of a customer id no customer has');
  const definition = JSON.stringify({ match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: ['North'] }] }] });
  const csv = await raw(web.url, `/segments/export.csv?definition=${encodeURIComponent(definition)}`, { cookie, headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(csv.status, 200, csv.body.slice(0, 300));
  assert.match(header(csv, 'content-disposition'), /attachment/);
  assert.match(header(csv, 'content-type'), /text\/csv/);
  secured(csv, 'the segment export');
});
