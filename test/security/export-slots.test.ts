/**
 * Seventh security review: exports per account. An export streams every matching customer from
 * the semantic layer, one query per 10,000 rows; with one signed-in cookie a script started as
 * many as it liked at once, each a chain of scans in the queue every page view shares (left open
 * by the fourth review). Now an account runs at most two at once; the third is a 429 before any
 * query (export-slots.ts).
 *
 * The real web server over a real warehouse (accounts, sessions, the audit log); the semantic
 * layer is a stand-in that holds each export page until the test answers it, because the point is
 * what happens while exports are in flight, which a real Cube finishes at a speed no test controls.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { cookiesOf, raw } from './http.ts';

let tw: TestWarehouse;
let writer: TestWarehouse['warehouse'];
let web: WebServer;
let cube: Server;
const PASSWORD = 'export slots 1';

/** Export pages the stand-in holds: each answered when the test says so. */
const held: { query: Record<string, unknown>; answer: (rows: Record<string, unknown>[]) => void }[] = [];
let heldChanged: () => void = () => {};

function standInCube(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { query } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { query: { dimensions?: string[]; measures?: string[] } };
    const send = (rows: Record<string, unknown>[]) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: rows }));
    // The as-of date every export asks first (dataAsOf): that member alone.
    if (query.dimensions?.length === 1 && query.dimensions[0] === 'customer_base.value_as_of') return send([{ 'customer_base.value_as_of': '2026-12-01' }]);
    // The segment export's two counts (members by the rules, and with consent).
    if (query.measures?.includes('customer_base.customers')) return send([{ 'customer_base.customers': 1 }]);
    held.push({ query, answer: send });
    heldChanged();
  });
}

async function heldCount(n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (held.length < n) {
    if (Date.now() > deadline) throw new Error(`the stand-in holds ${held.length} export pages, expected ${n}`);
    await new Promise<void>((resolve) => {
      heldChanged = resolve;
      setTimeout(resolve, 200);
    });
  }
}

async function signIn(email: string): Promise<string> {
  const res = await raw(web.url, '/signin', {
    method: 'POST',
    headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: PASSWORD }).toString(),
  });
  assert.equal(res.status, 303, `sign-in of ${email}`);
  return Object.entries(cookiesOf(res))
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

before(async () => {
  cube = createServer(standInCube);
  await new Promise<void>((resolve) => cube.listen(0, '127.0.0.1', resolve));
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  writer = await tw.connectAs('writer');
  for (const [userId, email] of [
    ['U-SLOTS-A', 'marketer-a@slots.example'],
    ['U-SLOTS-B', 'marketer-b@slots.example'],
  ]) {
    await upsertUser(writer.client, { userId, email, name: 'Marketer', role: 'marketer' });
    await setUserPassword(writer.client, email, PASSWORD);
  }
  web = await startDashboardOnly(tw, writer.client, { cubeUrl: `http://127.0.0.1:${(cube.address() as AddressInfo).port}/cubejs-api` });
});
after(async () => {
  for (const h of held.splice(0)) h.answer([]);
  await web?.close();
  await tw?.close();
  cube?.closeAllConnections();
  await new Promise<void>((resolve) => cube?.close(() => resolve()) ?? resolve());
});

const CHURN = '/churn-risk/export.csv';
const SEGMENT = `/segments/export.csv?definition=${encodeURIComponent(JSON.stringify({ match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: ['north'] }] }] }))}`;

test('an account runs two exports at once; a third is refused before any query, and the slots come back', { timeout: 300_000 }, async () => {
  const a = await signIn('marketer-a@slots.example');
  const b = await signIn('marketer-b@slots.example');
  const first = raw(web.url, CHURN, { cookie: a });
  const second = raw(web.url, CHURN, { cookie: a });
  await heldCount(2);

  // The same account's third export, churn risk or segment: refused, and nothing asked of the semantic layer.
  const third = await raw(web.url, CHURN, { cookie: a });
  assert.equal(third.status, 429, third.body);
  assert.match(third.body, /2 exports running/);
  assert.equal((await raw(web.url, SEGMENT, { cookie: a })).status, 429);
  assert.equal(held.length, 2, 'the refused exports asked no query');

  // Another account is not held up by A's slots.
  const other = raw(web.url, CHURN, { cookie: b });
  await heldCount(3);
  held.splice(2, 1)[0].answer([{ 'customer_risk.customer_id': 'C-B1' }]);
  const otherRes = await other;
  assert.equal(otherRes.status, 200);
  assert.match(otherRes.body, /C-B1/);

  // A's exports finish (a short page ends the file); its slots are free again.
  for (const h of held.splice(0)) h.answer([{ 'customer_risk.customer_id': 'C-A1' }]);
  for (const res of await Promise.all([first, second])) {
    assert.equal(res.status, 200);
    assert.match(res.body, /C-A1/);
  }
  const again = raw(web.url, SEGMENT, { cookie: a });
  await heldCount(1);
  held.splice(0)[0].answer([]);
  assert.equal((await again).status, 200, 'a slot is free once a download has ended');
});

test('a download the browser gives up on gives its slot back', { timeout: 300_000 }, async () => {
  const a = await signIn('marketer-a@slots.example');
  // Two exports whose clients hang up while the first page is still being asked.
  const gone = [0, 1].map(() => {
    const controller = new AbortController();
    const done = fetch(`${web.url}${CHURN}`, { headers: { cookie: a }, signal: controller.signal }).catch(() => undefined);
    return { controller, done };
  });
  await heldCount(2);
  assert.equal((await raw(web.url, CHURN, { cookie: a })).status, 429, 'both slots held while the pages are asked');
  for (const g of gone) g.controller.abort();
  await Promise.all(gone.map((g) => g.done));
  for (const h of held.splice(0)) h.answer([{ 'customer_risk.customer_id': 'C-A2' }]);
  // The server notices the closed connections when it answers; bounded wait for the slots.
  const deadline = Date.now() + 60_000;
  let status = 0;
  while (Date.now() < deadline) {
    // A refusal answers at once; an admitted export asks for its first page and waits for it.
    let refused: number | undefined;
    const next = raw(web.url, CHURN, { cookie: a });
    void next.then((r) => (refused = r.status));
    while (refused === undefined && held.length === 0) await new Promise((r) => setTimeout(r, 100));
    if (refused === 429) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    held.splice(0)[0]?.answer([]);
    status = (await next).status;
    break;
  }
  assert.equal(status, 200, 'the slots of the abandoned downloads came back');
});
