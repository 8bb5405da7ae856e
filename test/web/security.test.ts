/**
 * The dashboard's holes of issue 11, against the whole product on demo data (test/web/stack.ts),
 * over plain HTTP as a browser or a script would send it: role gate on the matched route (encoded
 * paths), data scope parameters, live sessions (deactivation, password change, sign-out), the
 * post-sign-in redirect, segment rules that fail closed, error bodies, security headers, and
 * sign-in throttling per account and per client (last: it spends this process's sign-in budget).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setUserActive, setUserPassword } from '../../web/server/users.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const PASSWORD = 'demo1234';
let stack: ProductStack;

async function signIn(email: string, password = PASSWORD, next?: string): Promise<{ status: number; cookie?: string; location: string | null }> {
  const res = await fetch(`${stack.baseUrl}/signin${next === undefined ? '' : `?next=${next}`}`, {
    method: 'POST',
    // As a browser's form post (with */* SvelteKit would answer its JSON action protocol).
    headers: { origin: stack.baseUrl, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ email, password }),
    redirect: 'manual',
  });
  const set = /crm_session=[^;,\s]+/.exec(res.headers.get('set-cookie') ?? '');
  return { status: res.status, cookie: set?.[0], location: res.headers.get('location') };
}

async function cookieOf(email: string, password = PASSWORD): Promise<string> {
  const r = await signIn(email, password);
  assert.ok(r.cookie, `${email} signed in (status ${r.status})`);
  return r.cookie;
}

const get = (path: string, cookie?: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${stack.baseUrl}${path}`, { redirect: 'manual', ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> | undefined) } });

const post = (path: string, cookie: string, form: Record<string, string>): Promise<Response> =>
  get(path, cookie, { method: 'POST', headers: { origin: stack.baseUrl, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams(form) });

describe('dashboard security (issue 11)', { timeout: 900_000 }, () => {
  before(async () => {
    stack = await startProductStack({ scale: 'small', log: (l) => process.env.WEB_E2E_LOG && process.stderr.write(`${l}\n`) });
  });
  after(async () => {
    await stack?.close();
  });

  test('roles are checked on the route the router matched, whatever the encoding', async () => {
    const owner = await cookieOf('owner01@demo.local');
    const marketer = await cookieOf('marketer@demo.local');
    for (const path of ['/segments', '/%73egments', '/%73egments/export.csv?definition=%7B%22match%22%3A%22all%22%2C%22groups%22%3A%5B%5D%7D']) {
      const res = await get(path, owner);
      assert.equal(res.status, 403, `owner ${path}`);
    }
    const del = await post('/%73egments?/delete', owner, { id: 'anything' });
    assert.equal(del.status, 403, 'owner cannot delete a segment through an encoded path');
    for (const path of ['/%61lerts?owner=U-OWN-02', '/alerts?owner=U-OWN-02', '/lost-%6frders', '/alerts/rule%73']) {
      assert.equal((await get(path, marketer)).status, 403, `marketer ${path}`);
    }
    // Allowed pages still open, encoded or not.
    assert.equal((await get('/%63ustomers', owner)).status, 200);
    assert.equal((await get('/churn-risk', marketer)).status, 200);
  });

  test('the 403 page carries the security headers; pages carry a strict CSP', async () => {
    const owner = await cookieOf('owner01@demo.local');
    const refused = await get('/%73egments', owner);
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(refused.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(refused.headers.get('referrer-policy'));
    const page = await get('/', owner);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    assert.match(scriptSrc, /'nonce-[^']+'/, csp);
    assert.doesNotMatch(scriptSrc, /unsafe-inline|unsafe-eval/, csp);
    for (const d of ["object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'self'", "connect-src 'self'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  });

  test('after sign-in only same-site paths are followed', async () => {
    for (const next of ['/%09/evil.example', '//evil.example', '/%5Cevil.example', 'https://evil.example/', '/%2F%2Fevil.example']) {
      const r = await signIn('exec@demo.local', PASSWORD, encodeURIComponent(next));
      assert.equal(r.status, 303, next);
      assert.equal(r.location, '/', `next=${next} goes home`);
    }
    const ok = await signIn('exec@demo.local', PASSWORD, encodeURIComponent('/churn-risk?band=high'));
    assert.equal(ok.location, '/churn-risk?band=high');
  });

  test('a deactivated account loses its open sessions at once; reactivating does not revive them', async () => {
    const db = stack.tw.warehouse.client;
    const analyst = await cookieOf('analyst@demo.local');
    assert.equal((await get('/churn-risk/export.csv', analyst)).status, 200);
    assert.equal((await get('/api/cube-token', analyst)).status, 200);
    await setUserActive(db, 'analyst@demo.local', false);
    try {
      assert.equal((await get('/churn-risk/export.csv', analyst)).status, 401, 'export refused');
      assert.equal((await get('/api/cube-token', analyst)).status, 401, 'no Cube token');
      const page = await get('/customers/C-000001', analyst);
      assert.equal(page.status, 303, 'customer page sends to sign-in');
      assert.match(page.headers.get('location') ?? '', /^\/signin/);
      assert.equal((await signIn('analyst@demo.local')).status, 400, 'and cannot sign in');
    } finally {
      await setUserActive(db, 'analyst@demo.local', true);
    }
    assert.equal((await get('/api/cube-token', analyst)).status, 401, 'the old session stays dead');
    assert.equal((await get('/api/cube-token', await cookieOf('analyst@demo.local'))).status, 200, 'a new sign-in works');
  });

  test('a password change ends the sessions issued before it', async () => {
    const db = stack.tw.warehouse.client;
    const exec = await cookieOf('exec@demo.local');
    assert.equal((await get('/api/cube-token', exec)).status, 200);
    await setUserPassword(db, 'exec@demo.local', 'another-password-1');
    try {
      assert.equal((await get('/api/cube-token', exec)).status, 401);
    } finally {
      await setUserPassword(db, 'exec@demo.local', PASSWORD);
    }
  });

  test('signing out revokes the session: a copy of the cookie stops working', async () => {
    const marketer = await cookieOf('marketer@demo.local');
    assert.equal((await get('/api/cube-token', marketer)).status, 200);
    const out = await post('/signout', marketer, {});
    assert.ok([200, 303].includes(out.status), `sign-out answered ${out.status}`);
    assert.equal((await get('/api/cube-token', marketer)).status, 401);
    assert.equal((await get('/segments/export.csv?definition=%7B%22match%22%3A%22all%22%2C%22groups%22%3A%5B%5D%7D', marketer)).status, 401);
  });

  test('a segment rule that cannot apply is an error naming it, with a request id and no internals', async () => {
    const marketer = await cookieOf('marketer@demo.local');
    const def = { match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: ['North'] }, { field: 'clv', op: 'gte', values: ['abc'] }] }] };
    const res = await get(`/segments/export.csv?definition=${encodeURIComponent(JSON.stringify(def))}`, marketer);
    assert.equal(res.status, 400);
    const body = await res.text();
    assert.match(body, /Group 1, rule 2 \(Predicted CLV \(EUR\)\): "abc" is not a number/);
    assert.match(body, /\(request [0-9a-f]{12}\)/);
    assert.equal(res.headers.get('x-request-id'), /\(request ([0-9a-f]{12})\)/.exec(body)?.[1]);
    // A form action asked for JSON answers 200 with the failure inside (SvelteKit's action protocol).
    const save = await post('/segments?/save', marketer, { name: 'bad', definition: JSON.stringify(def) });
    const saved = JSON.stringify(await save.json());
    assert.match(saved, /"type":"failure"/);
    assert.match(saved, /"status":400/);
    assert.match(saved, /rule 2/);
    assert.doesNotMatch(saved, /at .*\.ts:\d+|SELECT |DB::Exception/);
  });

  test('sign-in is throttled per account across clients and per client across accounts', async () => {
    // Spraying: one client, one password, many accounts (unknown ones cost the same decoy check).
    let status = 0;
    for (let i = 0; i < 25 && status !== 429; i++) status = (await signIn(`nobody${i}@demo.local`, 'Spring2026!')).status;
    assert.equal(status, 429, 'the client is throttled');
    assert.equal((await signIn('admin@demo.local')).status, 429, 'even for a right password, until the window passes');
  });
});
