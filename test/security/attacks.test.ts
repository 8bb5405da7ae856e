/**
 * The standing attack suite (`npm run test:security`): the whole product on demo data — embedded
 * warehouse, ingest, derived tables, scoring, Cube and the dashboard, all real (test/web/stack.ts)
 * — with attack payloads planted through the ingest jobs in every text field the dashboard shows,
 * then attacked the way an outsider with one account would: every route as every role (and
 * encoded variants of each path), stolen and stale sessions, redirects, password spraying, error
 * bodies, CSV formula injection, the warehouse users' reach, file modes, and a stored-XSS sweep in
 * Chromium that visits every page and hovers every chart.
 *
 * Each attack here worked against the product before issue 11 was fixed.
 * Needs /usr/bin/chromium for the XSS sweep (apt-get install -y chromium; CI installs it).
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEFAULT_TODAY } from '../../ingest/demo/world.ts';
import { ROUTES } from '../../web/src/lib/auth/access.ts';
import { setUserActive, setUserPassword, upsertUser } from '../../web/server/users.ts';
import { chromiumMissing, launchChromium, settled, signIn } from '../web/browser.ts';
import { startProductStack, type ProductStack } from '../web/stack.ts';
import { excelSemicolonCells, parseCsv } from '../support/csv.ts';
import { postForm, raw, setCookieLine, signInCookie, type RawResponse } from './http.ts';
import { FORMULA_CUSTOMER, OWNER, plantPayloads, SEMICOLON_FORMULA, xss } from './plant.ts';
import { loadAlertsConfig, runAlerts } from '../../alerts/index.ts';

const PASSWORD = 'demo1234';
const ROLES = ['executive', 'marketer', 'analyst', 'owner', 'admin'] as const;
type Role = (typeof ROLES)[number];
const ALL: readonly Role[] = ROLES;

let stack: ProductStack;
let base: string;
let customerId: string;
const cookies = {} as Record<Role, string>;
/** Each role's known-device cookie from its sign-in (what its browser keeps for the sign-in form). */
const devices = {} as Record<Role, string | undefined>;

const emailOf = (role: Role): string => {
  const u = stack.demoUsers.find((d) => d.role === role && (role !== 'owner' || d.ownerId === OWNER));
  assert.ok(u, `a demo ${role}`);
  return u.email;
};

const get = (path: string, cookie?: string, extra: Record<string, string> = {}): Promise<RawResponse> => raw(base, path, { cookie, headers: extra });
const show = (r: RawResponse): string => `${r.status} ${r.body.slice(0, 300).replace(/\s+/g, ' ')}`;

/** An error body an attacker may read: no stack frames, server paths, generated SQL or engine text. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat [\w.<>$]+ \(|\n\s+at /],
  ['a server path', /\/work\/|\/home\/|node_modules|\/tmp\/|\.(ts|js|mjs):\d+/],
  ['generated SQL', /\bSELECT\b[\s\S]*\bFROM\b|\bGROUP BY\b/],
  ['a ClickHouse exception', /Code: \d+\.|DB::Exception/],
];
function assertNoLeak(body: string, what: string): void {
  for (const [name, re] of LEAKS) assert.doesNotMatch(body, re, `${what} shows ${name}: ${body.slice(0, 400)}`);
}

before(async () => {
  stack = await startProductStack({ plant: (wh) => plantPayloads(wh, DEFAULT_TODAY) });
  base = stack.baseUrl;
  for (const role of ROLES) {
    const { cookie, device, res } = await signInCookie(base, emailOf(role), PASSWORD);
    assert.ok(cookie, `${role} signs in: ${show(res)}`);
    cookies[role] = cookie;
    devices[role] = device;
  }
  const rows = await stack.load(
    { dimensions: ['customer_base.customer_id'], filters: [{ member: 'customer_base.email', operator: 'equals', values: [`${FORMULA_CUSTOMER}@attack.example`] }] },
    stack.token('admin'),
  );
  assert.equal(rows.length, 1, 'the planted customer is in the semantic layer');
  customerId = String(rows[0]['customer_base.customer_id']);
  // The texts that do not come through ingest, planted through the product's own paths too: a
  // saved segment (the marketer's form) and the owner's churn digest (the alerts run).
  const saved = await postForm(base, '/segments?/save', { name: xss('segment.name'), description: xss('segment.description'), definition: JSON.stringify(EMEA) }, { cookie: cookies.marketer });
  assert.ok(saved.status < 400, `the payload segment is saved: ${show(saved)}`);
  const writer = await stack.tw.connectAs('writer');
  try {
    await runAlerts({ warehouse: writer, dataDir: stack.tw.dir, config: loadAlertsConfig(stack.tw.dir, {}), ownerId: OWNER, today: DEFAULT_TODAY, rescore: false });
  } finally {
    await writer.close();
  }
});

after(async () => {
  await stack?.close();
});

// ─── 1. Authorization on what the router resolves ────────────────────────────────────────────

/** The roles × pages policy (docs/security.md), written here independently of the app's table. */
const POLICY: [path: string, roles: readonly Role[]][] = [
  ['/', ALL],
  ['/lost-orders', ['executive', 'analyst', 'owner', 'admin']],
  ['/pipeline', ['executive', 'analyst', 'owner', 'admin']],
  ['/customers', ALL],
  ['/churn-risk', ALL],
  ['/churn-risk/export.csv', ALL],
  ['/models', ['analyst', 'admin']],
  ['/segments', ['executive', 'marketer', 'analyst', 'admin']],
  ['/segments/export.csv', ['executive', 'marketer', 'analyst', 'admin']],
  ['/alerts', ['owner', 'admin']],
  ['/alerts/rules', ['admin']],
  ['/audit', ['admin']],
  ['/privacy', ['admin']],
  ['/definitions', ALL],
  ['/api/cube-token', ALL],
];

const EMEA = { match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: ['EMEA'] }] }] };
const SEGMENT_QUERY = `?definition=${encodeURIComponent(JSON.stringify(EMEA))}`;
const withQuery = (path: string): string => (path.startsWith('/segments/export.csv') ? path + SEGMENT_QUERY : path);

/** Ways to spell a path that a router may decode to the same route. */
function pathVariants(path: string): string[] {
  const hex = (c: string, upper: boolean): string => `%${c.charCodeAt(0).toString(16)[upper ? 'toUpperCase' : 'toLowerCase']()}`;
  const out = new Set<string>();
  for (let i = 1; i < path.length; i++) {
    if (path[i] === '/') continue;
    out.add(path.slice(0, i) + hex(path[i], false) + path.slice(i + 1));
    out.add(path.slice(0, i) + hex(path[i], true) + path.slice(i + 1));
  }
  out.add(
    path
      .split('/')
      .map((seg) => [...seg].map((c) => hex(c, true)).join(''))
      .join('/'),
  );
  out.add(`${path}/`);
  out.add(`/${path}`);
  out.add(`/.${path}`);
  out.add(`/x/..${path}`);
  out.add(`/%2e${path}`);
  out.add(path.replace(/\//g, '%2F').replace(/^%2F/, '/'));
  if (!path.endsWith('.csv')) out.add(`${path === '/' ? '' : path}/__data.json`);
  return [...out];
}

describe('the role gate decides on the route the router resolves', () => {
  test("the suite's policy covers every route the app declares, with the same roles", () => {
    const declared = Object.entries(ROUTES as Record<string, { roles: readonly string[] | 'public' }>)
      .filter(([, a]) => a.roles !== 'public')
      .map(([id, a]) => [id.replace(/^\/\(app\)/, '') || '/', [...a.roles].sort().join(',')] as const)
      .filter(([path]) => path !== '/customers/[id]');
    const policy = POLICY.map(([path, roles]) => [path, [...roles].sort().join(',')] as const);
    assert.deepEqual(new Map(declared), new Map(policy));
  });

  test('every role opens what the policy allows', async () => {
    for (const [path, roles] of POLICY) {
      for (const role of roles) {
        const r = await get(withQuery(path), cookies[role]);
        assert.equal(r.status, 200, `${role} ${path}: ${show(r)}`);
      }
    }
    for (const role of ALL) {
      const r = await get(`/customers/${encodeURIComponent(customerId)}`, cookies[role === 'owner' ? 'owner' : role]);
      assert.equal(r.status, 200, `${role} customer 360: ${show(r)}`);
    }
  });

  test('no role opens any spelling of a page the policy refuses', async () => {
    const leaks: string[] = [];
    let tried = 0;
    for (const [path, roles] of POLICY) {
      for (const role of ALL.filter((r) => !roles.includes(r))) {
        for (const variant of [path, ...pathVariants(path)]) {
          const r = await get(withQuery(variant), cookies[role]);
          tried++;
          if (r.status >= 200 && r.status < 300) leaks.push(`${role} GET ${variant} → ${r.status}`);
        }
      }
    }
    assert.ok(tried > 150, `tried ${tried} requests`);
    assert.deepEqual(leaks, [], `refused pages answered:\n${leaks.join('\n')}`);
  });

  test("form actions on a refused page are refused, whatever the spelling (an owner cannot push or delete a marketer's segment)", async () => {
    const save = await postForm(base, '/segments?/save', { name: 'Marketing list', description: '', definition: JSON.stringify({ match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: ['EMEA'] }] }] }) }, { cookie: cookies.marketer });
    assert.ok(save.status < 400, `marketer saves a segment: ${show(save)}`);
    const list = await get('/segments/__data.json', cookies.marketer);
    const id = /"(seg-[^"]+|[0-9a-f-]{16,})"/.exec(list.body)?.[1] ?? '';
    const leaks: string[] = [];
    for (const action of ['save', 'delete', 'push']) {
      for (const path of ['/segments', '/%73egments', '/segments/', '/./segments', '/%73%65%67%6D%65%6E%74%73']) {
        const r = await postForm(base, `${path}?/${action}`, { id, name: 'owned', definition: '{"match":"all","groups":[]}', campaign: 'x' }, { cookie: cookies.owner });
        // A 308 to the canonical path is the router normalising, not the action running.
        if (r.status < 300 || r.status === 303) leaks.push(`owner POST ${path}?/${action} → ${show(r)}`);
      }
    }
    assert.deepEqual(leaks, []);
  });

  test("consent and privacy actions (issue 16): refused roles, another owner's customer, encoded paths, cross-site posts and GETs change nothing", async () => {
    const db = stack.tw.config.database;
    const count = async (sql: string): Promise<number> => {
      const rs = await stack.tw.warehouse.client.query({ query: sql, format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    };
    const state = async (): Promise<[number, number]> => [await count(`SELECT count() AS n FROM ${db}.consent_events`), await count(`SELECT count() AS n FROM ${db}.privacy_erasures`)];
    const [other] = await stack.load(
      { dimensions: ['customer_base.customer_id'], filters: [{ member: 'customer_base.owner_id', operator: 'equals', values: ['U-OWN-02'] }], limit: 1 },
      stack.token('admin'),
    );
    const otherId = encodeURIComponent(String(other?.['customer_base.customer_id'] ?? ''));
    assert.ok(otherId, 'a customer of another owner');
    const own = encodeURIComponent(customerId);
    // A customer the erase attempts name (not the one other tests read, should an attempt get through).
    const victim = 'atk-29@attack.example';
    const before = await state();
    const consent = { purpose: 'marketing_email', status: 'withdrawn' };
    const leaks: string[] = [];
    // A 308 to the canonical path is the router normalising, not the action running.
    const refused = (r: RawResponse): boolean => r.status >= 400 || r.status === 308;
    // The owner on another owner's customer, however the path is spelt.
    for (const path of [`/customers/${otherId}`, `/%63ustomers/${otherId}`, `/customers/${otherId}/`, `//customers/${otherId}`, `/customers/./${otherId}`, `/x/../customers/${otherId}`, `/Customers/${otherId}`, `/customers/${otherId};x`])
      for (const action of ['consent', 'Consent', '%63onsent']) {
        const r = await postForm(base, `${path}?/${action}`, consent, { cookie: cookies.owner });
        if (!refused(r)) leaks.push(`owner POST ${path}?/${action} → ${show(r)}`);
      }
    // Roles without the action, on a customer they may view.
    for (const role of ['executive', 'marketer', 'analyst'] as const) {
      for (const path of [`/customers/${own}`, `/%63ustomers/${own}`, `/customers/${own}/`]) {
        const r = await postForm(base, `${path}?/consent`, consent, { cookie: cookies[role] });
        if (!refused(r)) leaks.push(`${role} POST ${path}?/consent → ${show(r)}`);
      }
    }
    // Non-admins on the Privacy page's actions.
    for (const role of ['executive', 'marketer', 'analyst', 'owner'] as const)
      for (const path of ['/privacy', '/%70rivacy', '/privacy/', '/./privacy', '/PRIVACY'])
        for (const action of ['erase', 'lookup']) {
          const r = await postForm(base, `${path}?/${action}`, { who: victim, confirm: 'ERASE' }, { cookie: cookies[role] });
          if (!refused(r) || r.body.includes('atk-29')) leaks.push(`${role} POST ${path}?/${action} → ${show(r)}`);
        }
    // Cross-site: the admin's own cookie, posted from another origin (or with none), as a form a page elsewhere would send.
    for (const origin of ['https://evil.example', 'null', undefined])
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'])
        for (const [path, fields] of [[`/customers/${own}?/consent`, consent], ['/privacy?/erase', { who: victim, confirm: 'ERASE' }]] as const) {
          const body = type.startsWith('multipart') ? `--x\r\nContent-Disposition: form-data; name="who"\r\n\r\n${victim}\r\n--x\r\nContent-Disposition: form-data; name="confirm"\r\n\r\nERASE\r\n--x--\r\n` : new URLSearchParams(fields).toString();
          const r = await raw(base, path, { method: 'POST', cookie: cookies.admin, body, headers: { 'content-type': type, accept: 'text/html', ...(origin === undefined ? {} : { origin }) } });
          if (r.status !== 403) leaks.push(`admin cross-site (origin ${origin}, ${type}) POST ${path} → ${show(r)}`);
        }
    // Method confusion: the actions as GET (a link or an <img>) only load the page.
    for (const path of [`/customers/${own}?/consent&purpose=marketing_email&status=withdrawn`, `/privacy?/erase&who=${encodeURIComponent(victim)}&confirm=ERASE`]) {
      const r = await get(path, cookies.admin);
      if (r.status >= 500) leaks.push(`admin GET ${path} → ${show(r)}`);
    }
    assert.deepEqual(leaks, []);
    assert.deepEqual(await state(), before, 'consent events and erasure receipts after the refused attempts');
    const still = await stack.load({ dimensions: ['customer_base.customer_id'], filters: [{ member: 'customer_base.email', operator: 'equals', values: [victim] }] }, stack.token('admin'));
    assert.equal(still.length, 1, 'the customer named in the refused erasures is still there');
  });

  test("an owner's alerts inbox is theirs whatever ?owner= says, and a marketer has none", async () => {
    // The owners by name, as the semantic layer gives them to an admin: the admin's picker lists
    // them; the owner's page names none but the owner (the picker is an admin's only).
    const names = new Map((await stack.load({ dimensions: ['customer_base.owner_id', 'customer_base.owner_name'], filters: [{ member: 'customer_base.owner_id', operator: 'set' }] }, stack.token('admin')))
      .map((r) => [String(r['customer_base.owner_id']), String(r['customer_base.owner_name'] ?? '')]));
    const otherName = names.get('U-OWN-02');
    assert.ok(otherName && names.get(OWNER), `the demo owners have names: ${JSON.stringify([...names])}`);
    const picker = await get('/alerts/__data.json', cookies.admin);
    assert.equal(picker.status, 200, show(picker));
    for (const [id, name] of names) assert.ok(picker.body.includes(id) && picker.body.includes(JSON.stringify(name)), `the admin's owner picker lists ${id} "${name}"`);
    const own = await get('/alerts/__data.json?owner=U-OWN-02', cookies.owner);
    assert.equal(own.status, 200, show(own));
    assert.match(own.body, new RegExp(OWNER));
    assert.doesNotMatch(own.body, /U-OWN-02/, 'the page data names the other owner');
    assert.ok(!own.body.includes(JSON.stringify(otherName)), `the owner's page data names the other owner, ${otherName}`);
    for (const path of ['/alerts?owner=U-OWN-02', '/%61lerts?owner=U-OWN-02', '/alerts/__data.json?owner=U-OWN-02']) {
      const r = await get(path, cookies.marketer);
      assert.ok(r.status >= 400, `marketer ${path}: ${show(r)}`);
    }
  });

  test('signed-out requests get nothing but the sign-in page', async () => {
    for (const [path] of POLICY) {
      for (const variant of [path, ...pathVariants(path).slice(0, 4)]) {
        const r = await get(withQuery(variant));
        assert.ok(r.status === 401 || r.status === 303 || r.status === 404 || r.status === 403 || r.status === 308, `signed out ${variant}: ${show(r)}`);
      }
    }
    const token = await get('/api/cube-token');
    assert.equal(token.status, 401, show(token));
  });
});

// ─── 3. Sessions end when they should ────────────────────────────────────────────────────────

describe('sessions are revocable', () => {
  let n = 0;
  /** A fresh analyst account (so other tests keep theirs), signed in; returns its e-mail and cookie. */
  async function freshAnalyst(): Promise<{ email: string; cookie: string; token: string }> {
    const email = `sec-analyst-${++n}@security.test`;
    await upsertUser(stack.tw.warehouse.client, { userId: `U-SEC-${n}`, email, name: `Security analyst ${n}`, role: 'analyst' });
    await setUserPassword(stack.tw.warehouse.client, email, 'correct horse 1');
    const { cookie, res } = await signInCookie(base, email, 'correct horse 1');
    assert.ok(cookie, `fresh analyst signs in: ${show(res)}`);
    const ok = await get('/churn-risk/export.csv', cookie);
    assert.equal(ok.status, 200, `the live session exports: ${show(ok)}`);
    const token = (JSON.parse((await get('/api/cube-token', cookie)).body) as { token: string }).token;
    const through = await cubeThroughDashboard(cookie, token);
    assert.equal(through.status, 200, `the live session reads the semantic API through the dashboard: ${show(through)}`);
    return { email, cookie, token };
  }
  const cubeThroughDashboard = (cookie: string, token: string): Promise<RawResponse> =>
    raw(base, `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify({ measures: ['sales.net_revenue'] }))}`, { cookie, headers: { authorization: token } });
  async function assertDead(cookie: string, what: string, token?: string): Promise<void> {
    // The Cube token the browser already holds stops working through the dashboard too.
    if (token) {
      const r = await cubeThroughDashboard(cookie, token);
      assert.equal(r.status, 401, `after ${what}, the semantic API through the dashboard answered ${show(r)}`);
    }
    for (const path of ['/churn-risk/export.csv', `/customers/${encodeURIComponent(customerId)}`, '/api/cube-token', '/', '/customers/__data.json']) {
      const r = await get(path, cookie);
      // A data request (__data.json) answers a redirect as JSON: to sign-in is a refusal.
      const toSignIn = r.status === 200 && /^\{"type":"redirect","location":"\/signin/.test(r.body);
      assert.ok(r.status === 401 || r.status === 303 || toSignIn, `after ${what}, ${path} answered ${show(r)}`);
    }
  }

  test('deactivating an account ends its sessions at once, exports and server-side Cube calls included', async () => {
    const { email, cookie, token } = await freshAnalyst();
    await setUserActive(stack.tw.warehouse.client, email, false);
    await assertDead(cookie, 'deactivation', token);
    // Re-activating the account does not revive the sessions it had.
    await setUserActive(stack.tw.warehouse.client, email, true);
    await assertDead(cookie, 'deactivation and re-activation');
  });

  test('signing out ends that session even for a copied cookie', async () => {
    const { cookie, token } = await freshAnalyst();
    const out = await postForm(base, '/signout', {}, { cookie });
    assert.ok(out.status === 303 || out.status === 200, show(out));
    await assertDead(cookie, 'sign-out', token);
  });

  test('a password change ends existing sessions', async () => {
    const { email, cookie } = await freshAnalyst();
    await setUserPassword(stack.tw.warehouse.client, email, 'a new password 2');
    await assertDead(cookie, 'a password change');
  });

  test('a role change ends existing sessions', async () => {
    const { email, cookie } = await freshAnalyst();
    await upsertUser(stack.tw.warehouse.client, { userId: `U-SEC-${n}`, email, name: `Security analyst ${n}`, role: 'marketer' });
    await assertDead(cookie, 'a role change');
  });

  test("the dashboard's semantic API needs a live session and the session's own token", async () => {
    const token = (JSON.parse((await get('/api/cube-token', cookies.executive)).body) as { token: string }).token;
    assert.equal((await cubeThroughDashboard('', token)).status, 401, 'a token alone');
    assert.equal((await cubeThroughDashboard(cookies.owner, token)).status, 401, "an owner's cookie with an executive's token");
    assert.equal((await cubeThroughDashboard(cookies.executive, token)).status, 200, 'the executive with their own token');
    // Third review: the executive's token behind a made-up scheme whose dotted part carries the
    // owner's own claims (the gate once read those, Cube the executive's token).
    const ownerToken = (JSON.parse((await get('/api/cube-token', cookies.owner)).body) as { token: string }).token;
    const smuggled = `x.${ownerToken.split('.')[1]}.y ${token}`;
    assert.equal((await cubeThroughDashboard(cookies.owner, smuggled)).status, 401, "an owner's cookie with an executive's token behind the owner's own claims");
  });

  test('a forged or tampered cookie is refused', async () => {
    const [name, value] = cookies.marketer.split('=');
    const dot = value.indexOf('.');
    const payload = JSON.parse(Buffer.from(value.slice(0, dot > 0 ? dot : undefined), 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url');
    const r = await get('/alerts/rules', `${name}=${forged}${dot > 0 ? value.slice(dot) : ''}`);
    assert.ok(r.status === 303 || r.status === 401, show(r));
  });
});

// ─── 4. Redirects stay on the site ───────────────────────────────────────────────────────────

describe('redirects after sign-in stay on the site', () => {
  const EVIL = [
    '//evil.example',
    '/\\evil.example',
    '/%09/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '/%5Cevil.example',
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '\\/evil.example',
    ' //evil.example',
    'https://evil.example',
    'http:evil.example',
    'javascript:alert(1)',
    '/%0D%0ALocation:%20https://evil.example',
    '//%65vil.example',
    // Seventh review: dot segments that resolve to "//evil.example".
    '/.//evil.example',
    '/%2e%2e//evil.example',
    '/a/..//evil.example',
  ];
  const sameSite = (location: string | undefined): boolean => {
    if (!location) return true;
    try {
      return new URL(location, base).origin === new URL(base).origin;
    } catch {
      return false;
    }
  };

  test('the sign-in form never sends the browser to another origin', async () => {
    const bad: string[] = [];
    for (const next of EVIL) {
      // The "next" both as the form field and as the page's query parameter, as the page posts it.
      for (const [path, fields] of [
        ['/signin', { email: emailOf('analyst'), password: PASSWORD, next }],
        [`/signin?next=${encodeURIComponent(next)}`, { email: emailOf('analyst'), password: PASSWORD }],
        [`/signin?next=${next.replace(/[\s\\]/g, encodeURIComponent)}`, { email: emailOf('analyst'), password: PASSWORD }],
      ] as const) {
        const r = await postForm(base, path, fields);
        const location = r.headers.location as string | undefined;
        if (!sameSite(location)) bad.push(`${JSON.stringify(next)} via ${path.slice(0, 40)} → ${location}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test('a signed-in visit to /signin?next= never leaves the site', async () => {
    const bad: string[] = [];
    for (const next of EVIL) {
      const r = await get(`/signin?next=${encodeURIComponent(next)}`, cookies.analyst);
      const location = r.headers.location as string | undefined;
      if (!sameSite(location)) bad.push(`${JSON.stringify(next)} → ${location}`);
    }
    assert.deepEqual(bad, []);
  });

  test('a same-site next still works', async () => {
    const r = await postForm(base, '/signin', { email: emailOf('analyst'), password: PASSWORD, next: '/churn-risk?band=high' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/churn-risk?band=high');
  });
});

// ─── 2. Headers every page carries ───────────────────────────────────────────────────────────

describe('security headers', () => {
  test('a strict CSP and the other headers on pages, the sign-in page and refusals', async () => {
    for (const [what, r] of [
      ['cockpit', await get('/', cookies.executive)],
      ['sign-in', await get('/signin')],
      ['refused page', await get('/alerts/rules', cookies.marketer)],
    ] as const) {
      const csp = String(r.headers['content-security-policy'] ?? '');
      assert.ok(csp, `${what} has a Content-Security-Policy`);
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? '';
      assert.ok(scriptSrc, `${what}: CSP restricts scripts: ${csp}`);
      assert.doesNotMatch(scriptSrc, /'unsafe-inline'|'unsafe-eval'|\*|https?:/, `${what}: script-src ${scriptSrc}`);
      assert.match(csp, /frame-ancestors 'none'/, `${what}: ${csp}`);
      assert.match(csp, /object-src 'none'/, `${what}: ${csp}`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
      assert.ok(r.headers['referrer-policy'], `${what}: Referrer-Policy`);
    }
  });
});

describe('answers that carry data are not kept, sniffed or framed', () => {
  test("pages, data requests, exports, the Cube token and the semantic API through the dashboard say no-store and nosniff", async () => {
    const token = (JSON.parse((await get('/api/cube-token', cookies.executive)).body) as { token: string }).token;
    const load = `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify({ dimensions: ['customer_base.email'], limit: 3 }))}`;
    const bad: string[] = [];
    for (const [what, r] of [
      ['cockpit', await get('/', cookies.executive)],
      ['customers data request', await get('/customers/__data.json', cookies.executive)],
      ['churn-risk export', await get('/churn-risk/export.csv', cookies.executive)],
      ['cube token', await get('/api/cube-token', cookies.executive)],
      ['semantic API answer', await raw(base, load, { cookie: cookies.executive, headers: { authorization: token } })],
      ['semantic API refusal', await raw(base, load, { cookie: cookies.owner, headers: { authorization: token } })],
      ['semantic API unknown path', await raw(base, '/cubejs-api/v1/run-scheduled-refresh', { cookie: cookies.executive, headers: { authorization: token } })],
    ] as const) {
      const cache = String(r.headers['cache-control'] ?? '');
      if (!/\bno-store\b/.test(cache)) bad.push(`${what} (${r.status}): Cache-Control "${cache}"`);
      if (r.headers['x-content-type-options'] !== 'nosniff') bad.push(`${what} (${r.status}): no nosniff`);
      if (r.headers['x-frame-options'] !== 'DENY' && !/frame-ancestors 'none'/.test(String(r.headers['content-security-policy'] ?? ''))) bad.push(`${what} (${r.status}): may be framed`);
      if (r.headers['x-powered-by']) bad.push(`${what}: X-Powered-By ${String(r.headers['x-powered-by'])}`);
    }
    assert.deepEqual(bad, []);
  });

  test('the session cookie is HttpOnly and SameSite, with a new session id at every sign-in (no fixation)', async () => {
    const a = await signInCookie(base, emailOf('analyst'), PASSWORD);
    const b = await signInCookie(base, emailOf('analyst'), PASSWORD, { cookie: a.cookie });
    const line = setCookieLine(b.res, 'crm_session') ?? '';
    assert.match(line, /;\s*HttpOnly/i, line);
    assert.match(line, /;\s*SameSite=(Lax|Strict)/i, line);
    const sid = (cookie: string | undefined): string => (JSON.parse(Buffer.from(String(cookie).split('=')[1].split('.')[0], 'base64url').toString('utf8')) as { sid: string }).sid;
    assert.notEqual(sid(a.cookie), sid(b.cookie), 'signing in again (with the old cookie sent) issues a new session id');
    const device = setCookieLine(b.res, 'crm_device') ?? '';
    assert.match(device, /;\s*HttpOnly/i, device);
    assert.match(device, /;\s*SameSite=Strict/i, device);
    assert.match(device, /;\s*Path=\/signin/i, device);
  });
});

// ─── 6. Fail closed, and errors without internals ────────────────────────────────────────────

describe('errors fail closed and show no internals', () => {
  test('a segment rule with a non-numeric value is an error, not a dropped condition', async () => {
    for (const values of [['abc'], ['1e999'], [''], ['12abc'], ['NaN']]) {
      const def = { match: 'all', groups: [{ match: 'all', rules: [{ field: 'clv', op: 'gte', values }] }] };
      const r = await get(`/segments/export.csv?definition=${encodeURIComponent(JSON.stringify(def))}`, cookies.marketer);
      assert.ok(r.status >= 400 && r.status < 500, `clv ≥ ${JSON.stringify(values)} exported: ${show(r)}`);
      assert.match(r.body, /clv|CLV/, `the error names the rule: ${r.body}`);
      assertNoLeak(r.body, 'segment export error');
    }
  });

  test('bad semantic queries through the dashboard answer a message and a request id, never internals', async () => {
    const tokenRes = await get('/api/cube-token', cookies.analyst);
    const token = (JSON.parse(tokenRes.body) as { token: string }).token;
    const auth = { authorization: token, 'content-type': 'application/json', cookie: cookies.analyst };
    const bad: [string, string, string][] = [
      ['unknown member', 'POST', JSON.stringify({ query: { measures: ['orders.nope'] } })],
      ['malformed json', 'POST', '{"query": {'],
      ['bad operator', 'POST', JSON.stringify({ query: { measures: ['sales.net_revenue'], filters: [{ member: 'sales.order_date', operator: 'explode', values: ['x'] }] } })],
      ['bad date range', 'POST', JSON.stringify({ query: { measures: ['sales.net_revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: ['2024-13-45', "'; DROP"] }] } })],
      ['wrong type', 'POST', JSON.stringify({ query: { measures: 'sales.net_revenue', limit: 'all' } })],
    ];
    for (const [what, method, body] of bad) {
      const r = await raw(base, '/cubejs-api/v1/load', { method, headers: auth, body });
      assert.ok(r.status >= 400, `${what}: ${show(r)}`);
      assertNoLeak(r.body, `/v1/load (${what})`);
      assert.ok(r.headers['x-request-id'] || /request.?id/i.test(r.body), `${what}: a request id to quote: ${show(r)}`);
    }
    const gql = await raw(base, '/cubejs-api/graphql', { method: 'POST', headers: auth, body: JSON.stringify({ query: '{ cube { nope { x } } }' }) });
    assertNoLeak(gql.body, 'GraphQL error');
  });

  test('/sql is for analysts and admins only', async () => {
    for (const role of ROLES) {
      const tokenRes = await get('/api/cube-token', cookies[role]);
      const token = (JSON.parse(tokenRes.body) as { token: string }).token;
      const q = encodeURIComponent(JSON.stringify({ measures: ['sales.net_revenue'] }));
      const r = await raw(base, `/cubejs-api/v1/sql?query=${q}`, { headers: { authorization: token }, cookie: cookies[role] });
      if (role === 'analyst' || role === 'admin') assert.equal(r.status, 200, `${role}: ${show(r)}`);
      else assert.equal(r.status, 403, `${role} reads generated SQL: ${show(r)}`);
    }
  });

  test('dashboard endpoints answer bad input without internals', async () => {
    for (const path of [
      '/segments/export.csv?definition=%7B',
      '/segments/export.csv?id=nope%27%22',
      '/churn-risk/export.csv?band=%27%3BDROP&from=2024-13-45&to=x',
      '/customers/C-does-not-exist',
      '/customers/%00%27',
      '/lost-orders?from=x&to=%27',
    ]) {
      const r = await get(path, cookies.admin);
      assertNoLeak(r.body.replace(/<script[\s\S]*?<\/script>/g, ''), path);
    }
    // An unknown band is refused, not answered with every band's customers.
    const band = await get('/churn-risk/export.csv?band=hihg', cookies.admin);
    assert.equal(band.status, 400, show(band));
    assert.match(band.body, /Unknown band "hihg": use one of high, medium, low, lapsed/);
  });
});

// ─── 7. CSV exports neutralise formulas ──────────────────────────────────────────────────────

describe('CSV exports', () => {
  const formulaCells = (csv: string): string[] =>
    parseCsv(csv)
      .flat()
      .filter((cell) => /^[=+\-@\t\r]/.test(cell) && !/^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(cell));

  test('the churn-risk and segment exports hold the planted formula only as text', async () => {
    const churn = await get('/churn-risk/export.csv', cookies.admin);
    assert.equal(churn.status, 200, show(churn));
    assert.match(churn.body, /HYPERLINK/, 'the planted customer is in the churn-risk export');
    assert.deepEqual(formulaCells(churn.body), [], 'churn-risk export');
    const seg = await get(`/segments/export.csv${SEGMENT_QUERY}`, cookies.marketer);
    assert.equal(seg.status, 200, show(seg));
    assert.match(seg.body, /HYPERLINK/, 'the planted customer is in the segment export');
    assert.deepEqual(formulaCells(seg.body), [], 'segment export');
  });

  test('fourth review: opened by Excel in a `;` locale, no export has a formula cell', async () => {
    const files = [
      ['churn-risk', await get('/churn-risk/export.csv', cookies.admin)],
      ['segment', await get(`/segments/export.csv${SEGMENT_QUERY}`, cookies.marketer)],
    ] as const;
    for (const [what, r] of files) {
      assert.equal(r.status, 200, show(r));
      assert.ok(r.body.includes(SEMICOLON_FORMULA.split(';')[0]), `the planted ; customer is in the ${what} export`);
      const live = r.body.replace(/^\uFEFF/, '').split(/\r?\n/).flatMap(excelSemicolonCells).filter((c) => /^ *[=+\-@]/.test(c) && !/^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(c));
      assert.deepEqual(live, [], `${what} export`);
    }
  });
});

// ─── Fourth review: what another site can start; one request, bounded work ─────────────────────

describe('fourth review: cross-site downloads and fan-out', () => {
  test('a download or token started by another site is refused; the dashboard\'s own link works', async () => {
    for (const [path, role] of [['/churn-risk/export.csv', 'executive'], [`/segments/export.csv${SEGMENT_QUERY}`, 'marketer'], ['/api/cube-token', 'owner']] as const) {
      for (const site of ['cross-site', 'same-site']) {
        const r = await get(path, cookies[role], { 'sec-fetch-site': site, 'sec-fetch-mode': 'navigate' });
        assert.equal(r.status, 403, `${path} from ${site}: ${show(r)}`);
        assert.doesNotMatch(String(r.headers['content-type']), /csv|json/, `${path} from ${site} sends no data`);
      }
      const own = await get(path, cookies[role], { 'sec-fetch-site': 'same-origin' });
      assert.equal(own.status, 200, `${path} from the dashboard: ${show(own)}`);
    }
  });

  test("an owner's request of many queries through the dashboard is a 400, not a thousand queries", async () => {
    const tokenRes = await get('/api/cube-token', cookies.owner);
    const token = (JSON.parse(tokenRes.body) as { token: string }).token;
    const ranges = Array.from({ length: 400 }, (_, i) => [`2020-01-${String((i % 28) + 1).padStart(2, '0')}`, '2024-12-31']);
    const query = { measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'day', compareDateRange: ranges }] };
    const r = await raw(base, '/cubejs-api/v1/load', { method: 'POST', headers: { authorization: token, 'content-type': 'application/json', cookie: cookies.owner }, body: JSON.stringify({ query }) });
    assert.equal(r.status, 400, show(r));
    assert.match(r.body, /asks for 400 queries; one request may run at most \d+/);
  });
});

// ─── 5. The warehouse users' reach ───────────────────────────────────────────────────────────

describe('warehouse users hold only their own rights', () => {
  const ESCAPES: [string, string][] = [
    ['file() as a table', "SELECT * FROM file('/etc/passwd', 'LineAsString') LIMIT 1"],
    ['file() as a scalar', "SELECT file('/etc/passwd')"],
    ['FILE() in capitals behind a comment', "SELECT * FROM FILE/**/('/etc/hostname', 'LineAsString')"],
    ['the secrets file', `SELECT * FROM file('${'__DIR__'}/secrets.json', 'RawBLOB')`],
    ['url()', "SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')"],
    ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/b/k.csv', 'CSV')"],
    ['remote()', "SELECT * FROM remote('127.0.0.1:9000', system.one)"],
    ['executable()', "SELECT * FROM executable('id', 'LineAsString', 'x String')"],
    ['INSERT INTO FUNCTION file()', "INSERT INTO FUNCTION file('/tmp/crm-attack.txt', 'LineAsString', 'x String') VALUES ('owned')"],
    ['INTO OUTFILE', "SELECT 1 INTO OUTFILE '/tmp/crm-attack-2.txt'"],
    ['another database', 'SELECT * FROM system.processes'],
    ['a subquery on a table function', "SELECT (SELECT count() FROM file('/etc/passwd', 'LineAsString'))"],
    // Third review: text the check's lexer reads differently from ClickHouse's (a # comment, a $ inside
    // a word, Unicode whitespace) once hid a second statement or split INTO OUTFILE.
    ['a second statement behind a # comment', "SELECT 1 # '\n; SELECT * FROM file('/etc/passwd', 'LineAsString')"],
    ['a second statement behind a $ inside a word', "SELECT 1 AS a$x$ ; SELECT * FROM file('/etc/passwd', 'LineAsString') -- $x$"],
    ['INTO OUTFILE with a no-break space', "SELECT 1 INTO\u00a0OUTFILE '/tmp/crm-attack-3.txt'"],
  ];

  test('every non-admin user is refused every way out of the database, and keeps its own work', async () => {
    const { createClient } = await import('@clickhouse/client');
    const escaped: string[] = [];
    const users = Object.entries(stack.tw.users);
    assert.ok(users.length >= 2, `non-admin warehouse users: ${users.map(([r]) => r).join(', ')}`);
    for (const [role, cred] of users) {
      const client = createClient({ url: stack.tw.server.url, username: cred.user, password: cred.password, database: stack.tw.config.database });
      try {
        for (const [what, sql] of ESCAPES) {
          const query = sql.replace('__DIR__', stack.tw.dir);
          try {
            if (/^INSERT|OUTFILE/.test(query)) await client.command({ query });
            else await (await client.query({ query, format: 'TabSeparated' })).text();
            escaped.push(`${role}: ${what} ran`);
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code !== '497' && code !== '164') escaped.push(`${role}: ${what} failed with code ${code}, not ACCESS_DENIED/READONLY: ${(err as Error).message.slice(0, 160)}`);
          }
        }
        const own = await (await client.query({ query: 'SELECT count() AS n FROM customers', format: 'JSONEachRow' })).json<{ n: string }>();
        assert.ok(Number(own[0].n) > 0, `${role} reads the product's tables`);
      } finally {
        await client.close();
      }
    }
    assert.deepEqual(escaped, []);
  });
});

// ─── 7. Files in the data directory ──────────────────────────────────────────────────────────

describe('data directory', () => {
  test("the product's own files are 0600 in 0700 folders", () => {
    const dir = stack.tw.dir;
    const loose: string[] = [];
    const mode = (p: string): number => statSync(p).mode & 0o777;
    if (mode(dir) & 0o077) loose.push(`${dir} ${mode(dir).toString(8)}`);
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      // The engine's own store is inside the 0700 directory; the product's files are checked one by one.
      // `status` is the engine's own lock file (chdb writes it), protected by the 0700 directory.
      if (st.isFile() && name !== 'status' && mode(p) & 0o077) loose.push(`${name} ${mode(p).toString(8)}`);
      if (st.isDirectory() && ['store', 'outbox', 'insert-spool'].includes(name) && mode(p) & 0o077) loose.push(`${name}/ ${mode(p).toString(8)}`);
    }
    assert.deepEqual(loose, []);
  });
});

// ─── 2. Stored XSS: every page, every chart, in a real browser ───────────────────────────────

const WATCH_FOR_PAYLOADS = `
  window.__xssSeen = [];
  window.__cspViolations = [];
  new MutationObserver(function (records) {
    for (const r of records) for (const node of r.addedNodes) {
      if (!(node instanceof Element)) continue;
      for (const el of [node, ...node.querySelectorAll('[xssmark]')]) {
        const f = el.getAttribute('xssmark');
        if (f) window.__xssSeen.push(f);
      }
    }
  }).observe(document, { childList: true, subtree: true });
  document.addEventListener('securitypolicyviolation', function (e) {
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
  });
`;

describe('stored XSS sweep in Chromium', { skip: chromiumMissing() }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('no planted payload is inserted as HTML or runs, on any page, in any tooltip or drill-down', async () => {
    const fired: string[] = [];
    const inserted = new Set<string>();
    const violations: string[] = [];
    /** Planted fields the pages showed (as text, escaped): proof the sweep reached them. */
    const shown = new Set<string>();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.exposeBinding('xssfired', ({ page }, field: string) => {
      fired.push(`${page.url()}: ${field}`);
    });
    // Watches the whole document (ECharts tooltips are divs appended outside the chart) for any
    // element a payload would create, even one whose handler the CSP blocks. A string, not a
    // function: tsx wraps named inner functions in a __name() helper the page does not have, and
    // the script would die silently.
    await context.addInitScript(WATCH_FOR_PAYLOADS);
    const page = await context.newPage();
    await signIn(page, base, emailOf('admin'), PASSWORD);
    await settled(page);
    const collect = async (where: string): Promise<void> => {
      const seen = await page.evaluate(() => {
        const w = window as unknown as { __xssSeen: string[]; __cspViolations: string[] };
        const shownAsText = [...document.body.innerText.matchAll(/X ([a-z]+\.[a-z]+)<img/gi)].map((m) => m[1]);
        const out = { seen: [...w.__xssSeen, ...[...document.querySelectorAll('[xssmark]')].map((e) => e.getAttribute('xssmark') ?? '')], csp: [...w.__cspViolations], shown: shownAsText };
        w.__xssSeen = [];
        w.__cspViolations = [];
        return out;
      });
      for (const f of seen.seen) inserted.add(`${where}: ${f}`);
      for (const f of seen.shown) shown.add(f);
      violations.push(...seen.csp.map((v) => `${where}: ${v}`));
    };
    const pages = ['/', '/lost-orders', '/customers', `/customers?q=${encodeURIComponent('attack.example')}`, `/customers/${encodeURIComponent(customerId)}`, '/churn-risk', '/segments', `/alerts?owner=${OWNER}`, '/alerts/rules', '/pipeline', '/models', '/definitions', '/audit', '/privacy'];
    let hovers = 0;
    for (const path of pages) {
      await page.goto(`${base}${path}`);
      await settled(page).catch((err: Error) => {
        throw new Error(`${path} did not settle (a view stayed busy or a chart never drew): ${err.message}`);
      });
      await collect(path);
      // Hover every chart on a grid (tooltips are built on hover)…
      const count = (await page.$$('[data-chart]')).length;
      for (let i = 0; i < count; i++) {
        const chart = (await page.$$('[data-chart]'))[i];
        await chart.scrollIntoViewIfNeeded();
        const box = await chart.boundingBox();
        if (!box) continue;
        // Every 10 px down (a category band is ~20 px) and 40 px across.
        for (let y = 4; y < box.height; y += 10) {
          for (let x = 4; x < box.width; x += 40) {
            await page.mouse.move(box.x + x, box.y + y);
            hovers++;
          }
        }
        await collect(`${path} chart ${i} hover`);
      }
      // …then click each one (drill-downs list the underlying rows), one at a time.
      for (let i = 0; i < count; i++) {
        const chart = (await page.$$('[data-chart]'))[i];
        if (!chart) break;
        await chart.scrollIntoViewIfNeeded();
        const box = await chart.boundingBox();
        if (!box) continue;
        await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
        const dialog = await page.waitForSelector('dialog[open]', { timeout: 1_500 }).catch(() => null);
        if (dialog) {
          await settled(page).catch(() => undefined);
          await collect(`${path} chart ${i} drill-down`);
          await page.keyboard.press('Escape');
          await page.waitForSelector('dialog[open]', { state: 'detached', timeout: 5_000 }).catch(() => undefined);
        }
        await collect(`${path} chart ${i} click`);
        if (new URL(page.url()).pathname !== new URL(`${base}${path}`).pathname) {
          await page.goto(`${base}${path}`);
          await settled(page);
        }
      }
    }
    await context.close();
    assert.ok(hovers > 2000, `hovered ${hovers} points`);
    assert.deepEqual(fired, [], 'planted script ran');
    assert.deepEqual([...inserted], [], 'planted HTML was inserted into the page');
    assert.deepEqual(violations, [], 'CSP violations (an inline script or handler tried to run, or the policy blocks the app)');
    // The sweep proves something only where the payloads were on screen.
    console.log(`payload fields shown as text: ${[...shown].sort().join(', ')}`);
    for (const f of ['customer.name', 'customer.company', 'deal.lossreason', 'deal.notes', 'deal.stage', 'interaction.subject', 'segment.name', 'consent.channel']) assert.ok(shown.has(f), `the sweep saw ${f} on some page (shown: ${[...shown].join(', ')})`);
  });
});

// ─── 3. Throttling (last: it throttles this client) ─────────────────────────────────────────

describe('sign-in throttling', () => {
  test('one account attacked from many addresses gets throttled', async () => {
    const email = emailOf('executive');
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const { res } = await signInCookie(base, email, `wrong-${i}`, { from: `127.0.0.${10 + i}` });
      statuses.push(res.status);
    }
    assert.ok(statuses.slice(-3).every((s) => s === 429), `statuses ${statuses.join(' ')}`);
  });

  test("an attacker who keeps failing on the admin's account locks out new browsers, never the admin's own", async () => {
    const email = emailOf('admin');
    assert.ok(devices.admin, 'the admin kept a known-device cookie from signing in');
    // Every round spends the account's counter again, from ever-new addresses.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10; i++) await signInCookie(base, email, `guess-${round}-${i}`, { from: `127.0.1.${round * 10 + i + 1}` });
      const stranger = await signInCookie(base, email, PASSWORD, { from: '127.0.2.1' });
      assert.equal(stranger.res.status, 429, `a browser that never signed in to the account is throttled: ${show(stranger.res)}`);
      const admin = await signInCookie(base, email, PASSWORD, { from: '127.0.1.1', cookie: devices.admin });
      assert.ok(admin.cookie, `round ${round}: the admin's own browser signs in during the attack: ${show(admin.res)}`);
    }
    // A known-device cookie of another account vouches for nothing here.
    const borrowed = await signInCookie(base, email, PASSWORD, { from: '127.0.2.2', cookie: devices.analyst });
    assert.equal(borrowed.res.status, 429, show(borrowed.res));
  });

  test('one client spraying one password across many accounts gets throttled', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const email = i < ROLES.length ? emailOf(ROLES[i]) : `nobody-${i}@demo.local`;
      const { res } = await signInCookie(base, email, 'Winter2026!', { from: '127.0.0.99' });
      statuses.push(res.status);
    }
    assert.ok(statuses.slice(-3).every((s) => s === 429), `statuses ${statuses.join(' ')}`);
    // Another client is not locked out by it.
    const other = await signInCookie(base, emailOf('analyst'), PASSWORD, { from: '127.0.0.98' });
    assert.ok(other.cookie, `another client signs in: ${show(other.res)}`);
  });
});
