/**
 * The audit log end to end (issue 16, item 4): each audited action, done once through the
 * product's own paths — the dashboard over HTTP on the real stack (embedded warehouse, Cube, the
 * built web app), `npm run token` as a child process, `npm run users` through its main() — writes
 * exactly one audit row, with ids, and no row holds a personal value: not the planted customer's
 * name, e-mail or phone, not an account's e-mail, not an address typed at sign-in.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ingestRecords } from '../../ingest/index.ts';
import type { AuditRow } from '../../lib/audit/log.ts';
import { main as usersCli } from '../../web/users-cli.ts';
import { postForm, raw, signInCookie, type RawResponse } from '../security/http.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;
const PLANTED = {
  name: 'Audrey Plantagenet',
  email: 'audrey.plantagenet@example.test',
  phone: '+49 30 5550123',
  sourceId: 'aud-1',
};
const TYPED_UNKNOWN = 'nobody.planted@example.test';
const PASSWORD = 'demo1234';
const EMEA = { match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: ['EMEA'] }] }] };

let stack: ProductStack;
let base: string;
let customerId: string;
let hook: Server;
const cookies: Record<string, string> = {};
const saved = { ...process.env };

async function auditRows(where = '1', params: Record<string, unknown> = {}): Promise<AuditRow[]> {
  const rs = await stack.tw.warehouse.client.query({
    query: `SELECT *, toString(at) AS at FROM audit_log WHERE ${where} ORDER BY at`,
    query_params: params,
    format: 'JSONEachRow',
  });
  return rs.json<AuditRow>();
}

/** The one row the request wrote (its x-request-id), checked for action and outcome. */
async function oneRowOf(res: RawResponse, action: string, outcome = 'ok'): Promise<AuditRow> {
  const requestId = String(res.headers['x-request-id'] ?? '');
  assert.ok(requestId, `no x-request-id on ${res.status}`);
  const rows = await auditRows('request_id = {id:String}', { id: requestId });
  assert.equal(rows.length, 1, `exactly one audit row for request ${requestId}: ${JSON.stringify(rows)}`);
  assert.equal(rows[0].action, action);
  assert.equal(rows[0].outcome, outcome, JSON.stringify(rows[0]));
  return rows[0];
}

const csvLines = (body: string): number =>
  body
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean).length - 1;
const demoEmail = (role: string): string => stack.demoUsers.find((u) => u.role === role)!.email;
const userIdOf = async (email: string): Promise<string> => {
  const rs = await stack.tw.warehouse.client.query({
    query: 'SELECT user_id FROM users FINAL WHERE email = {e:String}',
    query_params: { e: email },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ user_id: string }>())[0].user_id;
};

describe('audit log', { timeout: 1_800_000 }, () => {
  before(async () => {
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    stack = await startProductStack({
      plant: async (wh) => {
        const day = (d: number): string => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10);
        const c = await ingestRecords(
          wh,
          'customers',
          [
            {
              source_id: PLANTED.sourceId,
              name: PLANTED.name,
              email: PLANTED.email,
              phone: PLANTED.phone,
              region: 'EMEA',
              country: 'DE',
              signup_date: day(0),
            },
          ],
          { source: 'audit', batchLabel: 'audit-test' },
        );
        assert.equal(c.rejected, 0, JSON.stringify(c.rejects));
        const t = await ingestRecords(
          wh,
          'transactions',
          [0, 1].map((k) => ({
            transaction_id: `aud-t${k}`,
            order_id: `aud-o${k}`,
            customer_ref: PLANTED.sourceId,
            order_date: `${day(30 + k * 40)}T10:00:00`,
            status: 'completed',
            amount: '120',
          })),
          { source: 'audit', batchLabel: 'audit-test' },
        );
        assert.equal(t.rejected, 0, JSON.stringify(t.rejects));
        // Marketing e-mail consent (issue 16): without it the segment export and push leave her out.
        const k = await ingestRecords(
          wh,
          'consents',
          [
            {
              consent_id: 'aud-c1',
              customer_ref: PLANTED.sourceId,
              purpose: 'marketing_email',
              status: 'granted',
              occurred_at: `${day(1)}T10:00:00`,
            },
          ],
          { source: 'audit', batchLabel: 'audit-test' },
        );
        assert.equal(k.rejected, 0, JSON.stringify(k.rejects));
      },
    });
    base = stack.baseUrl;
    Object.assign(process.env, {
      CAMPAIGN_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      CLICKHOUSE_URL: stack.tw.warehouse.url,
      CLICKHOUSE_USER: stack.tw.config.user,
      CLICKHOUSE_PASSWORD: stack.tw.config.password,
      CLICKHOUSE_DATABASE: stack.tw.config.database,
    });
    const found = await stack.load(
      {
        dimensions: ['customer_base.customer_id'],
        filters: [{ member: 'customer_base.email', operator: 'equals', values: [PLANTED.email] }],
      },
      stack.token('admin'),
    );
    assert.equal(found.length, 1, 'the planted customer is in the semantic layer');
    customerId = String(found[0]['customer_base.customer_id']);
  });

  after(async () => {
    process.env = saved;
    await stack?.close();
    await new Promise((r) => hook?.close(r));
  });

  test('sign-in: a failure for an unknown address (hashed, never the address), a wrong password, a success', async () => {
    const unknown = await signInCookie(base, TYPED_UNKNOWN, 'whatever1');
    assert.equal(unknown.res.status, 400);
    const u = await oneRowOf(unknown.res, 'auth.sign_in', 'denied');
    assert.match(u.actor, /^unknown-account:[0-9a-f]{16}$/);
    assert.deepEqual(u.target_ids, []);

    const wrong = await signInCookie(base, demoEmail('analyst'), 'not-the-password');
    const w = await oneRowOf(wrong.res, 'auth.sign_in', 'denied');
    const analystId = await userIdOf(demoEmail('analyst'));
    assert.deepEqual([w.actor, w.target_ids, w.detail], [analystId, [analystId], 'wrong password']);

    for (const role of ['marketer', 'admin', 'owner']) {
      const ok = await signInCookie(base, demoEmail(role), PASSWORD);
      assert.ok(ok.cookie, `${role} signs in`);
      cookies[role] = ok.cookie!;
      const r = await oneRowOf(ok.res, 'auth.sign_in');
      const id = await userIdOf(demoEmail(role));
      assert.deepEqual([r.actor, r.actor_role, r.target_ids], [id, role, [id]]);
    }
  });

  test("customer 360: one row with the customer id; an owner's refused view of another's customer is one denied row", async () => {
    const view = await raw(base, `/customers/${encodeURIComponent(customerId)}`, { cookie: cookies.marketer });
    assert.equal(view.status, 200);
    const r = await oneRowOf(view, 'customer.view');
    assert.deepEqual([r.target_kind, r.target_ids, r.actor_role], ['customer', [customerId], 'marketer']);
    // The planted customer has no owner: not one of the owner's.
    const refused = await raw(base, `/customers/${encodeURIComponent(customerId)}`, { cookie: cookies.owner });
    assert.equal(refused.status, 404);
    assert.deepEqual((await oneRowOf(refused, 'customer.view', 'denied')).target_ids, [customerId]);
  });

  test('exports: one row each, with the rows in the file and the filter', async () => {
    const churn = await raw(base, '/churn-risk/export.csv?band=high', { cookie: cookies.marketer });
    assert.equal(churn.status, 200, churn.body.slice(0, 300));
    const c = await oneRowOf(churn, 'export.churn_risk');
    assert.equal(Number(c.row_count), csvLines(churn.body));
    assert.match(c.filter, /customer_risk\.risk_band equals \["high"\]/);

    const seg = await raw(base, `/segments/export.csv?definition=${encodeURIComponent(JSON.stringify(EMEA))}`, {
      cookie: cookies.marketer,
    });
    assert.equal(seg.status, 200, seg.body.slice(0, 300));
    const s = await oneRowOf(seg, 'export.segment');
    const lines = csvLines(seg.body);
    assert.ok(lines > 0);
    assert.equal(Number(s.row_count), lines);
    assert.equal(s.filter, 'customer_base.region equals ["EMEA"]');
    assert.ok(
      seg.body.includes(PLANTED.email) || seg.body.includes(PLANTED.name),
      'the planted EMEA customer is in the file (so the check below means something)',
    );
  });

  test('segment push: one row with the segment and campaign ids and the members sent', async () => {
    const savedSeg = await postForm(
      base,
      '/segments?/save',
      { name: 'Audit EMEA', description: '', definition: JSON.stringify(EMEA) },
      { cookie: cookies.marketer },
    );
    assert.ok(savedSeg.status < 400, savedSeg.body.slice(0, 300));
    const rs = await stack.tw.warehouse.client.query({
      query: "SELECT segment_id FROM segments FINAL WHERE name = 'Audit EMEA'",
      format: 'JSONEachRow',
    });
    const [segment] = await rs.json<{ segment_id: string }>();
    assert.ok(segment, 'the segment was saved');
    const push = await postForm(
      base,
      '/segments?/push',
      { id: segment.segment_id, campaign: 'Audit campaign' },
      { cookie: cookies.marketer },
    );
    assert.ok(push.status < 400, push.body.slice(0, 300));
    const p = await oneRowOf(push, 'segment.push');
    assert.equal(p.target_ids[0], segment.segment_id);
    const [pushed] = await (
      await stack.tw.warehouse.client.query({
        query: 'SELECT campaign_id, members FROM campaign_pushes WHERE segment_id = {s:String}',
        query_params: { s: segment.segment_id },
        format: 'JSONEachRow',
      })
    ).json<{ campaign_id: string; members: number }>();
    assert.deepEqual([p.target_ids[1], Number(p.row_count)], [pushed.campaign_id, Number(pushed.members)]);
  });

  test('token issuance: the dashboard endpoint and npm run token, one row each, never the token', async () => {
    const res = await raw(base, '/api/cube-token', { cookie: cookies.marketer });
    assert.equal(res.status, 200);
    const token = (JSON.parse(res.body) as { token: string }).token;
    const r = await oneRowOf(res, 'token.issue');
    assert.deepEqual([r.target_kind, r.target_ids], ['token', [await userIdOf(demoEmail('marketer'))]]);
    assert.ok(!JSON.stringify(r).includes(token));

    const before = (await auditRows("action = 'token.issue' AND actor LIKE 'cli:%'")).length;
    // Not spawnSync: the embedded warehouse the CLI writes to runs in this process and must keep answering.
    const cli = await promisify(execFile)(
      'npm',
      ['run', '-s', 'token', '--', '--role', 'analyst', '--name', 'Audit Analyst', '--days', '2'],
      { cwd: PROJECT_ROOT, env: { ...process.env, CUBEJS_API_SECRET: stack.cubeSecret }, encoding: 'utf8' },
    );
    assert.doesNotMatch(cli.stderr, /not recorded/);
    const rows = await auditRows("action = 'token.issue' AND actor LIKE 'cli:%'");
    assert.equal(rows.length, before + 1);
    assert.deepEqual(
      [rows.at(-1)!.target_ids, rows.at(-1)!.actor_role, rows.at(-1)!.detail],
      [['audit-analyst'], 'cli', 'npm run token: role analyst, 2 days'],
    );
    assert.ok(!JSON.stringify(rows).includes(cli.stdout.trim()));
  });

  test('account changes through npm run users: one row per command, with the account id', async () => {
    const io = { out: () => {}, err: (l: string) => assert.fail(l), readPassword: async () => 'correct horse battery' };
    const count = async (action: string) => (await auditRows('action = {a:String}', { a: action })).length;
    for (const [argv, action] of [
      [
        ['add', '--email', 'new.hire@example.test', '--name', 'New Hire', '--role', 'analyst', '--id', 'U-AUDIT'],
        'user.add',
      ],
      [['set-password', 'new.hire@example.test'], 'user.set_password'],
      [['deactivate', 'new.hire@example.test'], 'user.deactivate'],
      [['activate', 'new.hire@example.test'], 'user.activate'],
    ] as const) {
      const n = await count(action);
      assert.equal(await usersCli([...argv], io), 0);
      const rows = await auditRows('action = {a:String}', { a: action });
      assert.equal(rows.length, n + 1, action);
      assert.deepEqual([rows.at(-1)!.target_ids, rows.at(-1)!.actor_role], [['U-AUDIT'], 'cli']);
      assert.match(rows.at(-1)!.actor, /^cli:/);
    }
  });

  test('sign-out: one row', async () => {
    const out = await postForm(base, '/signout', {}, { cookie: cookies.marketer });
    assert.equal(out.status, 303);
    const r = await oneRowOf(out, 'auth.sign_out');
    assert.deepEqual(r.target_ids, [await userIdOf(demoEmail('marketer'))]);
  });

  test('the Audit page: admins see the rows newest first and filter them; nobody else opens it', async () => {
    const page = await raw(base, '/audit?action=customer.view', { cookie: cookies.admin });
    assert.equal(page.status, 200);
    assert.ok(page.body.includes(customerId));
    assert.ok(!page.body.includes('Sign-out</td>'), 'filtered to 360 views');
    const refused = await raw(base, '/audit', { cookie: cookies.owner });
    assert.equal(refused.status, 403);
  });

  test('no audit row holds a personal value: names, e-mails, phones, typed addresses', async () => {
    const all = JSON.stringify(await auditRows());
    for (const value of [
      PLANTED.name,
      PLANTED.email,
      PLANTED.phone,
      '5550123',
      TYPED_UNKNOWN,
      'new.hire',
      'New Hire',
      'Audit Analyst',
      '@',
    ]) {
      assert.ok(!all.includes(value), `an audit row holds ${value}`);
    }
  });
});
