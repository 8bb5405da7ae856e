/**
 * Erasure on the whole product (issue 16, "done when"): one person planted through the product's
 * own paths — customer and order files with a rejected row each, a second source record merged by
 * e-mail, consent and an interaction pushed to the HTTP ingest endpoint, churn and CLV scoring,
 * derived tables, a segment saved and pushed to a webhook, an alerts run delivering a digest by
 * SMTP, the 360 page viewed (audited) — then erased from the admin's Privacy page. Afterwards none
 * of their ids, e-mails, phones or names is in any table (every column of every table searched)
 * or any file of the data directory or the rejects CSVs (bytes); revenue and customers drop by
 * exactly their part; re-loading the original files and pushes brings nothing back; owners and
 * marketers get 403 on the page and its actions, and the CLI refuses a non-admin connection.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { runAlerts } from '../../alerts/index.ts';
import { defaultRules } from '../../alerts/rules.ts';
import { ingestFile, ingestRecords } from '../../ingest/index.ts';
import { startIngestServer, type IngestServer } from '../../ingest/http/server.ts';
import { DEFAULT_TODAY } from '../../ingest/demo/world.ts';
import { erasedId } from '../../lib/privacy/erase.ts';
import { rows } from '../../lib/warehouse/sql.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startSmtpSink, type SmtpSink } from '../alerts/support.ts';
import { postForm, raw, signInCookie } from '../security/http.ts';
import { diskHits, sqlHits } from '../support/privacy-search.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;
const KEY = 'e2e-privacy-key-9f8e7d6c5b4a39281706';
const P = {
  name: 'Mireille Ombrelune',
  email: 'mireille.ombrelune@example.test',
  phone: '+49 89 5550142',
  phoneNorm: '+49895550142',
  shopId: 'priv-shop-mireille',
  crmId: 'priv-crm-mireille',
  region: 'PRIVTEST',
  owner: 'OWN-PRIVTEST',
};
const PASSWORD = 'demo1234';
const day = (back: number): string => new Date(Date.parse(`${DEFAULT_TODAY}T00:00:00Z`) - back * 86_400_000).toISOString().slice(0, 10);
// Completed order lines of the person (the rejected line and the refund are not revenue).
const LINES = [
  { id: 'priv-t1', date: day(400), status: 'completed', amount: 310 },
  { id: 'priv-t2', date: day(300), status: 'completed', amount: 190 },
  { id: 'priv-t3', date: day(200), status: 'refunded', amount: 75 },
];
const PERSON_NET = 500;

let stack: ProductStack;
let writer: Warehouse;
let base: string;
let customerId: string;
let dir: string;
let hook: Server;
const hookBodies: string[] = [];
let smtp: SmtpSink;
let ingest: IngestServer;
const files: Record<string, string> = {};
const cookies: Record<string, string> = {};
const saved = { ...process.env };

const q = async <T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> => rows<T>(stack.tw.warehouse.client, { query: sql, query_params: params });
const num = async (sql: string, params: Record<string, unknown> = {}): Promise<number> => Number((await q<{ n: string }>(sql, params))[0].n);
const needles = (): string[] => [customerId, P.name, P.email, P.phone, P.phoneNorm, P.shopId, P.crmId, 'Ombrelune'];
const dbs = (): string[] => [stack.tw.config.database, `${stack.tw.config.database}_pre_aggregations`];

async function loadFiles(wh: Warehouse): Promise<number> {
  let skipped = 0;
  for (const [entity, file, source] of [
    ['customers', files.shop, 'shop'],
    ['customers', files.crm, 'crm'],
    ['transactions', files.orders, 'shop'],
  ] as const) {
    const s = await ingestFile(wh, { entity, file, source });
    assert.equal(s.status, 'completed', JSON.stringify(s));
    skipped += s.erasedSkipped ?? 0;
  }
  return skipped;
}

async function push(entity: string, key: string, records: Record<string, unknown>[]): Promise<Record<string, unknown>> {
  const res = await fetch(`${ingest.url}/v1/ingest/${entity}`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-ingest-token', 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ source: 'shop', records }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

describe('erasure on the whole product', { timeout: 2_400_000 }, () => {
  before(async () => {
    process.env.CRM_PRIVACY_KEY = KEY;
    dir = mkdtempSync(join(tmpdir(), 'crm-privacy-e2e-'));
    const w = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    files.shop = w(
      'shop-customers.csv',
      'source_id,name,email,phone,country,region,owner_id,signup_date\n' +
        `${P.shopId},${P.name},${P.email},${P.phone},DE,${P.region},${P.owner},${day(500)}\n` +
        `priv-shop-mireille-bad,${P.name},${P.email},${P.phone},DE,${P.region},${P.owner},31.02.2024x\n`,
    );
    files.crm = w('crm-customers.csv', `source_id,name,email,country,region\n${P.crmId},M. Ombrelune,${P.email.toUpperCase()},DE,${P.region}\n`);
    files.orders = w(
      'shop-orders.csv',
      'transaction_id,order_id,customer_ref,order_date,status,amount\n' +
        LINES.map((l) => `${l.id},${l.id}-o,${P.shopId},${l.date}T10:00:00,${l.status},${l.amount}`).join('\n') +
        `\npriv-t-bad,priv-t-bad-o,${P.shopId},${day(100)}T10:00:00,completed,lots\n`,
    );
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hookBodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    smtp = await startSmtpSink();
    stack = await startProductStack({
      plant: async (wh) => {
        assert.equal(await loadFiles(wh), 0);
        const owner = await ingestRecords(wh, 'users', [{ user_id: 'u-privtest-owner', email: 'privtest.owner@crm.example.test', name: 'Privtest Owner', role: 'owner', owner_id: P.owner }], { source: 'test', batchLabel: 'privacy-e2e' });
        assert.equal(owner.rejected, 0, JSON.stringify(owner.rejects));
      },
    });
    base = stack.baseUrl;
    writer = await stack.tw.connectAs('writer');
    Object.assign(process.env, {
      CAMPAIGN_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      CLICKHOUSE_URL: stack.tw.warehouse.url,
      CLICKHOUSE_USER: stack.tw.config.user,
      CLICKHOUSE_PASSWORD: stack.tw.config.password,
      CLICKHOUSE_DATABASE: stack.tw.config.database,
    });
    ingest = await startIngestServer({ warehouse: writer, token: 'test-ingest-token', port: 0, log: () => {} });
    const [c] = await q<{ customer_id: string }>("SELECT customer_id FROM customer_records FINAL WHERE source = 'shop' AND source_id = {s:String}", { s: P.shopId });
    customerId = c.customer_id;
    for (const role of ['admin', 'marketer', 'owner']) {
      const email = stack.demoUsers.find((u) => u.role === role)!.email;
      const s = await signInCookie(base, email, PASSWORD);
      assert.ok(s.cookie, `${role} signs in`);
      cookies[role] = s.cookie!;
    }
  });

  after(async () => {
    process.env = saved;
    await ingest?.close();
    await stack?.close();
    await smtp?.close();
    await new Promise((r) => hook?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let revenueBefore = 0;
  let customersBefore = 0;

  test('the person is planted everywhere through the product', async () => {
    assert.equal(await num('SELECT uniqExact(customer_id) AS n FROM customer_records FINAL WHERE source_id IN {ids:Array(String)}', { ids: [P.shopId, P.crmId] }), 1, 'the crm record merged by e-mail');
    await push('consents', 'priv-consent-1', [{ consent_id: 'priv-c1', customer_ref: P.shopId, purpose: 'marketing_email', status: 'granted', occurred_at: `${day(30)}T09:00:00`, channel: 'web_form', evidence: `form for ${P.email}` }]);
    await push('interactions', 'priv-int-1', [{ interaction_id: 'priv-i1', customer_ref: P.shopId, occurred_at: `${day(20)}T09:00:00`, type: 'support_ticket', subject: `Call ${P.name} back on ${P.phone}` }]);
    // The 360 page, audited with the customer id.
    const view = await raw(base, `/customers/${encodeURIComponent(customerId)}`, { cookie: cookies.admin });
    assert.equal(view.status, 200);
    // A segment of just this person, saved and pushed to the campaign webhook.
    const def = { match: 'all', groups: [{ match: 'all', rules: [{ field: 'region', op: 'is', values: [P.region] }] }] };
    const savedSeg = await postForm(base, '/segments?/save', { name: 'Privacy e2e', description: '', definition: JSON.stringify(def) }, { cookie: cookies.marketer });
    assert.ok(savedSeg.status < 400, savedSeg.body.slice(0, 300));
    const [seg] = await q<{ segment_id: string }>("SELECT segment_id FROM segments FINAL WHERE name = 'Privacy e2e'");
    const pushed = await postForm(base, '/segments?/push', { id: seg.segment_id, campaign: 'Privacy e2e campaign' }, { cookie: cookies.marketer });
    assert.ok(pushed.status < 400, pushed.body.slice(0, 300));
    const consent = await q<Record<string, unknown>>('SELECT * FROM consent_current WHERE customer_id = {c:String}', { c: customerId });
    const golden = await q<Record<string, unknown>>('SELECT region, owner_id FROM customers_resolved WHERE customer_id = {c:String}', { c: customerId });
    assert.ok(
      hookBodies.some((b) => b.includes(customerId)),
      `the webhook received the person: ${hookBodies.map((b) => b.slice(0, 300)).join(' | ')}; push page: ${(/[^<>]*match[^<>]*/.exec(pushed.body) ?? [''])[0]}; consent ${JSON.stringify(consent)}; golden ${JSON.stringify(golden)}`,
    );
    assert.equal(await num('SELECT count() AS n FROM campaign_members WHERE customer_id = {c:String}', { c: customerId }), 1);
    // An alerts run delivers a digest about the person to their owner by SMTP.
    const run = await runAlerts({
      warehouse: writer,
      dataDir: stack.tw.dir,
      config: { dataDir: stack.tw.dir, outboxDir: join(stack.tw.dir, 'outbox'), smtpUrl: smtp.url, from: 'alerts@crm.example.test', webhookSecret: 'x', publicUrl: 'https://crm.example.test' },
      rules: { ...defaultRules({}), probabilityThreshold: 0.0001, minValueAtRisk: 0, owners: [P.owner] },
      ownerId: P.owner,
      rescore: false,
      today: DEFAULT_TODAY,
    });
    const mine = run.deliveries.filter((d) => d.customers.some((c) => c.customerId === customerId));
    assert.ok(mine.length >= 1, JSON.stringify(run.deliveries));
    assert.ok(mine.some((d) => d.channel === 'email') && smtp.messages.length >= 1, 'the digest went out by SMTP');
    for (const t of ['alert_ledger', 'paid_orders', 'customer_value', 'segment_members', 'consent_events', 'interactions'])
      assert.ok((await num(`SELECT count() AS n FROM ${t} WHERE customer_id = {c:String}`, { c: customerId })) > 0, `${t} holds the person`);
    assert.equal(await num("SELECT count() AS n FROM audit_log WHERE action = 'customer.view' AND has(target_ids, {c:String})", { c: customerId }), 1);
    assert.ok((await num('SELECT count() AS n FROM rejects WHERE position(raw, {s:String}) > 0', { s: P.shopId })) >= 2);
    const hits = await sqlHits(stack.tw.warehouse.client, dbs(), needles());
    assert.ok(hits.length >= 15, hits.join(', '));
    // Scores (wherever the scoring run keeps them): churn and CLV both name the customer.
    assert.ok(hits.some((h) => /churn/.test(h)) && hits.some((h) => /clv/.test(h)), hits.join(', '));
    revenueBefore = await num('SELECT sum(net_revenue) AS n FROM paid_orders_current');
    customersBefore = await num('SELECT count() AS n FROM customers_resolved');
    assert.equal(await num('SELECT sum(net_revenue) AS n FROM paid_orders_current WHERE customer_id = {c:String}', { c: customerId }), PERSON_NET);
  });

  test('owners and marketers cannot erase: 403 on the page and its actions; the CLI refuses a non-admin connection', async () => {
    for (const role of ['owner', 'marketer']) {
      assert.equal((await raw(base, '/privacy', { cookie: cookies[role] })).status, 403, role);
      for (const action of ['lookup', 'erase']) {
        const res = await postForm(base, `/privacy?/${action}`, { who: P.email, confirm: 'ERASE' }, { cookie: cookies[role] });
        assert.equal(res.status, 403, `${role} ${action}`);
      }
    }
    const cli = await promisify(execFile)('npm', ['run', '-s', 'privacy', '--', 'erase', P.email], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CLICKHOUSE_USER: stack.tw.users.writer.user, CLICKHOUSE_PASSWORD: stack.tw.users.writer.password },
      encoding: 'utf8',
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /administrator/);
    assert.equal(await num('SELECT count() AS n FROM customer_records WHERE email = {e:String}', { e: P.email }), 1, 'nothing was erased');
  });

  test("the admin looks the person up, then erases them: nothing left in any table or file; aggregates drop by exactly their part", async () => {
    const look = await postForm(base, '/privacy?/lookup', { who: P.email }, { cookie: cookies.admin });
    assert.equal(look.status, 200, look.body.slice(0, 500));
    assert.match(look.body, /Would erase/);
    const erase = await postForm(base, '/privacy?/erase', { who: P.email, confirm: 'ERASE' }, { cookie: cookies.admin });
    assert.equal(erase.status, 200, erase.body.slice(0, 500));
    assert.match(erase.body, /Erased/);
    // The page leaves the rollups' full rebuild to the next refresh; this is that refresh.
    await refreshDerived(writer.client, stack.tw.config.database);
    assert.deepEqual(await sqlHits(stack.tw.warehouse.client, dbs(), needles()), []);
    // The page waits up to 90 s for the engine to drop the replaced parts and says how many were still
    // on disk when it answered ("the engine removes them shortly"); on a busy machine that happens.
    // Hold it to that: the bytes must be gone within the CLI's own limit (300 s) of the answer.
    const pending = /(\d+) replaced parts were still on disk/.exec(erase.body);
    const deadline = Date.now() + (pending ? 300_000 : 0);
    let hits = diskHits(stack.tw.dir, needles());
    while (hits.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      hits = diskHits(stack.tw.dir, needles());
    }
    assert.deepEqual(hits, [], pending ? `${pending[1]} parts pending when the page answered` : 'none pending when the page answered');
    assert.deepEqual(diskHits(dir, needles()).filter((h) => h.includes('.rejects.csv')), []);
    assert.equal(await num('SELECT sum(net_revenue) AS n FROM paid_orders_current'), revenueBefore - PERSON_NET);
    assert.equal(await num('SELECT count() AS n FROM customers_resolved'), customersBefore - 1);
    const views = await q<{ ids: string[] }>("SELECT target_ids AS ids FROM audit_log WHERE action = 'customer.view' AND has(target_ids, {e:String})", { e: erasedId(KEY, customerId) });
    assert.equal(views.length, 1, 'the 360 view stays in the audit log, with the tombstone');
    assert.equal(await num("SELECT count() AS n FROM audit_log WHERE action = 'privacy.erase'"), 2, 'the look-up and the erasure');
  });

  test('re-loading the original files and pushes brings nobody back', async () => {
    assert.equal(await loadFiles(writer), 2 + 1 + 4, 'both shop rows, the crm row, all four order lines');
    const consent = await push('consents', 'priv-consent-2', [{ consent_id: 'priv-c1', customer_ref: P.shopId, purpose: 'marketing_email', status: 'granted', occurred_at: `${day(30)}T09:00:00` }]);
    assert.equal(consent.erased_skipped, 1);
    await refreshDerived(writer.client, stack.tw.config.database);
    assert.deepEqual(await sqlHits(stack.tw.warehouse.client, dbs(), needles()), []);
    assert.equal(await num('SELECT sum(net_revenue) AS n FROM paid_orders_current'), revenueBefore - PERSON_NET);
  });
});
