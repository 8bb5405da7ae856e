/**
 * Left open by the eighth security review: a Cube token the dashboard hands a signed-in user read
 * on the semantic layer's own port for up to 15 minutes after the user was deactivated, re-roled or
 * signed out (the dashboard's gate refused it at once; a direct call to the semantic REST API did
 * not, and the answer cache served it kept answers without asking Cube's checkAuth).
 *
 * Now the token carries its session (semantic/security/account-check.ts) and the semantic layer
 * refuses it within its snapshot's age (5 s) plus one read. Real warehouse (the semantic user, as
 * production connects), real dashboard server (sign-in, /api/cube-token, sign-out), real Cube. The
 * same query before and after, so the refusal also covers the answer cache's kept answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { MAX_AGE_MS } from '../../semantic/security/account-check.ts';
import { issueToken } from '../../semantic/security/auth.ts';
import type { SemanticServer } from '../../semantic/server.ts';
import { setUserActive, setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startSemanticOver } from '../support/semantic.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { aliases, customers, loadFixture, OWNER_ANN } from '../semantic/fixture.ts';
import { postForm, raw, signInCookie } from './http.ts';

let tw: TestWarehouse;
let writer: TestWarehouse['warehouse'];
let web: WebServer;
let semantic: SemanticServer;
const cubeApiSecret = randomBytes(24).toString('base64url');
const PASSWORD = 'session-token-end-password';
const COUNT = { measures: ['customer_base.customers'] };
/** The refusal must come within the snapshot's age plus a read; the bound leaves room for a loaded machine's read. */
const BOUND_MS = MAX_AGE_MS + 60_000;

/** Customers per owner from the fixture's rows: each id's latest version, merged aliases left out. */
function fixtureCustomers(owner?: string): number {
  const latest = new Map<string, (typeof customers)[number]>();
  for (const c of customers) if ((latest.get(c.customer_id)?.version ?? 0) < c.version) latest.set(c.customer_id, c);
  const merged = new Set(aliases.map((a) => a.from_id));
  return [...latest.values()].filter((c) => !merged.has(c.customer_id) && (owner === undefined || c.owner_id === owner)).length;
}

before(async () => {
  tw = await startTestWarehouse();
  const { client } = tw.warehouse;
  await applyMigrations(client, { database: tw.config.database });
  await loadFixture(client, tw.config.database);
  await refreshDerived(client, tw.config.database);
  writer = await tw.connectAs('writer');
  semantic = await startSemanticOver(tw, { apiSecret: cubeApiSecret, as: tw.users.semantic });
  web = await startDashboardOnly(tw, writer.client, { secrets: { sessionSecret: randomBytes(24).toString('base64url'), cubeApiSecret } });
});
after(async () => {
  await web?.close();
  await semantic?.close();
  await tw?.close();
});

async function addUser(userId: string, email: string, role: string, ownerId?: string): Promise<void> {
  await upsertUser(writer.client, { userId, email, name: userId, role, ownerId });
  await setUserPassword(writer.client, email, PASSWORD);
}

/** Signs in through the dashboard and takes a Cube token from /api/cube-token, as the browser does. */
async function signInForToken(email: string): Promise<{ cookie: string; token: string }> {
  const { cookie, res } = await signInCookie(web.url, email, PASSWORD);
  assert.ok(cookie, `sign-in of ${email}: ${res.status} ${res.body.slice(0, 200)}`);
  const r = await raw(web.url, '/api/cube-token', { cookie, headers: { accept: 'application/json' } });
  assert.equal(r.status, 200, r.body);
  return { cookie, token: (JSON.parse(r.body) as { token: string }).token };
}

/** POST /v1/load straight to the semantic port. */
async function ask(token: string, query: object = COUNT): Promise<{ status: number; body: { data?: Record<string, unknown>[]; error?: string; type?: string } }> {
  const res = await fetch(`${semantic.url}/v1/load`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>[]; error?: string } };
}

const customersIn = (answer: Awaited<ReturnType<typeof ask>>): number => Number(answer.body.data?.[0]?.['customer_base.customers']);

/** Asks until the token is refused or the bound passes; the last answer. */
async function askUntilRefused(token: string): Promise<Awaited<ReturnType<typeof ask>>> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const answer = await ask(token);
    if (answer.status !== 200 || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 500));
  }
}

test("a deactivated user's dashboard token is refused on the semantic port, its kept answer too", { timeout: 600_000 }, async () => {
  await addUser('U-5e55100d0001', 'exec@session-token-end.example', 'executive');
  const { token } = await signInForToken('exec@session-token-end.example');
  const before = await ask(token);
  assert.equal(before.status, 200, JSON.stringify(before.body));
  assert.equal(customersIn(before), fixtureCustomers());

  await setUserActive(writer.client, 'exec@session-token-end.example', false);
  const afterwards = await askUntilRefused(token);
  assert.equal(afterwards.status, 403, `still answered ${JSON.stringify(afterwards.body)} ${BOUND_MS} ms after the deactivation`);
  assert.match(String(afterwards.body.error), /deactivated/);
  // GraphQL is the same door.
  const gql = await fetch(`${semantic.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ cube { customer_base { customers } } }' }),
  });
  assert.equal(gql.status, 403, await gql.text());
});

test("a re-roled user's token is refused; the new session's token answers with the new scope", { timeout: 600_000 }, async () => {
  await addUser('U-5e55100d0002', 'moved@session-token-end.example', 'executive');
  const { token } = await signInForToken('moved@session-token-end.example');
  const before = await ask(token);
  assert.equal(before.status, 200, JSON.stringify(before.body));
  assert.equal(customersIn(before), fixtureCustomers());

  // The executive becomes Ann's account owner: the old token's whole-company scope must end.
  await upsertUser(writer.client, { userId: 'U-5e55100d0002', email: 'moved@session-token-end.example', name: 'moved', role: 'owner', ownerId: OWNER_ANN });
  const afterwards = await askUntilRefused(token);
  assert.equal(afterwards.status, 403, `still answered ${JSON.stringify(afterwards.body)} ${BOUND_MS} ms after the role change`);
  assert.match(String(afterwards.body.error), /role is no longer executive/);

  const fresh = await signInForToken('moved@session-token-end.example');
  const now = await ask(fresh.token);
  assert.equal(now.status, 200, JSON.stringify(now.body));
  assert.equal(customersIn(now), fixtureCustomers(OWNER_ANN));
  assert.notEqual(fixtureCustomers(OWNER_ANN), fixtureCustomers(), 'the fixture must tell the two scopes apart');
});

test('a signed-out session ends its token; an analyst token from npm run token keeps answering', { timeout: 600_000 }, async () => {
  await addUser('U-5e55100d0003', 'out@session-token-end.example', 'marketer');
  const { cookie, token } = await signInForToken('out@session-token-end.example');
  assert.equal((await ask(token)).status, 200);
  const out = await postForm(web.url, '/signout', {}, { cookie });
  assert.ok(out.status < 400, `sign-out: ${out.status}`);
  const afterwards = await askUntilRefused(token);
  assert.equal(afterwards.status, 403, JSON.stringify(afterwards.body));
  assert.match(String(afterwards.body.error), /signed out/);

  // A CLI token carries no session: its documented life (until it expires) is unchanged.
  const cli = issueToken({ role: 'analyst', name: 'Analyst', secret: cubeApiSecret });
  const answer = await ask(cli);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(customersIn(answer), fixtureCustomers());
});
