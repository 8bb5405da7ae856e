/**
 * Churn alert delivery end to end on the embedded engine, a real SMTP server (smtp-server) and a
 * webhook receiver, both on loopback, against the hand-countable fixture of support.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import type { AlertsConfig } from '../../alerts/config.ts';
import { listInbox, readInboxMessage } from '../../alerts/inbox.ts';
import { readLedger, readRuns } from '../../alerts/ledger.ts';
import { defaultRules, writeRules, type AlertRules } from '../../alerts/rules.ts';
import { runAlerts, type RunAlertsOptions, type RunResult } from '../../alerts/run.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import {
  NOW,
  SCORES,
  header,
  insertFixture,
  ledgerCount,
  setScores,
  startSmtpSink,
  startWebhookSink,
  textPart,
  truncateAlerts,
  type SmtpSink,
  type WebhookSink,
} from './support.ts';

const SECRET = 'test-webhook-secret';
const DAY = 86_400_000;

let tw: TestWarehouse;
let wh: Warehouse;
let smtp: SmtpSink;
let hook: WebhookSink;
let dataDir: string;

const rules = (over: Partial<AlertRules> = {}): AlertRules => ({
  ...defaultRules({}),
  probabilityThreshold: 0.6,
  minRiseSinceLastAlert: 0.15,
  cooldownDays: 14,
  minValueAtRisk: 100,
  owners: ['U-OWN-01', 'U-OWN-02'],
  ...over,
});

function config(channels: { smtp?: boolean; webhook?: boolean } = { smtp: true, webhook: true }): AlertsConfig {
  return {
    dataDir,
    outboxDir: join(dataDir, 'outbox'),
    smtpUrl: channels.smtp ? smtp.url : undefined,
    from: '"CRM alerts" <alerts@crm.example.test>',
    webhookUrl: channels.webhook ? hook.url : undefined,
    webhookSecret: SECRET,
    publicUrl: 'https://crm.example.test',
  };
}

function run(opts: Partial<RunAlertsOptions> & { at?: Date } = {}, channels?: { smtp?: boolean; webhook?: boolean }): Promise<RunResult> {
  const at = opts.at ?? new Date(NOW);
  return runAlerts({
    warehouse: wh,
    dataDir,
    config: config(channels),
    clock: new ManualClock(at),
    at,
    rescore: false,
    retry: { attempts: 3, baseDelayMs: 5, factor: 2 },
    smtpTimeouts: { connectionMs: 2000, socketMs: 5000 },
    log: process.env.ALERTS_TEST_LOG ? (l: string) => console.error(`[alerts] ${l}`) : undefined,
    ...opts,
  });
}

const customersIn = (raw: string): string[] => [...textPart(raw).matchAll(/\((C-\d+)\) -/g)].map((m) => m[1]);
const mailTo = (addr: string) => smtp.messages.filter((m) => m.to.includes(addr));

before(async () => {
  tw = await startTestWarehouse();
  wh = tw.warehouse;
  await applyMigrations(wh.client, { database: wh.database });
  await insertFixture(wh);
  smtp = await startSmtpSink();
  hook = await startWebhookSink(SECRET);
  dataDir = mkdtempSync(join(tmpdir(), 'crm-alerts-'));
});

after(async () => {
  await smtp?.close();
  await hook?.close();
  await tw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await truncateAlerts(wh);
  // Scores are ReplacingMergeTree(scored_at): a test that moved them forward is undone only by starting over.
  for (const t of ['churn_scores', 'clv_scores']) await wh.client.command({ query: `TRUNCATE TABLE ${wh.database}.${t}` });
  await setScores(wh, SCORES, NOW);
  rmSync(join(dataDir, 'outbox'), { recursive: true, force: true });
  smtp.messages.length = 0;
  hook.received.length = 0;
  hook.status = 200;
  if (!smtp.running) await smtp.start();
  writeRules(dataDir, rules(), {});
});

describe('a digest per owner', () => {
  test('arrives by SMTP and webhook with the right customers, probabilities, values, reasons, next steps and links', async () => {
    const r = await run();
    assert.equal(r.newEpisodes, 4);
    assert.deepEqual(
      r.deliveries.map((d) => [d.ownerId, d.channel, d.outcome]).sort(),
      [['U-OWN-01', 'email', 'sent'], ['U-OWN-01', 'webhook', 'sent'], ['U-OWN-02', 'email', 'sent'], ['U-OWN-02', 'webhook', 'sent']],
    );

    assert.equal(smtp.messages.length, 2);
    const [anna] = mailTo('anna@example.test');
    assert.equal(anna.from, 'alerts@crm.example.test');
    assert.equal(header(anna.raw, 'Subject'), 'Churn alerts: 2 customers at risk (2024-03-11)');
    const annaReport = r.deliveries.find((d) => d.ownerId === 'U-OWN-01' && d.channel === 'email')!;
    assert.equal(header(anna.raw, 'Message-ID'), annaReport.messageId);
    assert.match(annaReport.messageId, /^<dg-[0-9a-f]{24}\.alerts@crm\.example\.test>$/);
    const text = textPart(anna.raw);
    // Highest value at risk first; only this owner's qualifying customers.
    assert.deepEqual(customersIn(anna.raw), ['C-01', 'C-02']);
    assert.match(text, /1\. Acme GmbH \(C-01\) - new\n {3}Churn probability 85.0% - value at risk €10,200 \(churn probability × 12-month CLV of €12,000\)\n {3}Why: 3 complaints in the last 30 days; no purchase for 140 days\n {3}Next step: Call to resolve the open complaint\.\n {3}Customer page: https:\/\/crm\.example\.test\/customers\/C-01\n/);
    assert.match(text, /2\. Birch & Co <Ltd> \(C-02\) - new\n {3}Churn probability 72.0% - value at risk €3,600 \(churn probability × 12-month CLV of €5,000\)/);
    assert.match(text, /Next step: Call to check in and make an offer tailored to what they used to buy\./);
    assert.match(text, /Churn alerts for Anna Berg - run of 2024-03-11 07:00 UTC/);
    const html = textPart(anna.raw.replace(/text\/plain/g, 'x/plain').replace(/text\/html/, 'text/plain'));
    assert.match(html, /<a href="https:\/\/crm\.example\.test\/customers\/C-01"><strong>Acme GmbH<\/strong><\/a>/);
    assert.match(html, /Birch &amp; Co &lt;Ltd&gt;/);

    const [ben] = mailTo('ben@example.test');
    assert.deepEqual(customersIn(ben.raw), ['C-05', 'C-06']);
    // Value at risk = churn probability × 12-month CLV: 0.66 × 2,000 = 1,320 (the churn page's number).
    assert.match(textPart(ben.raw), /Cedar AG \(C-05\) - new\n {3}Churn probability 66.0% - value at risk €1,320 \(churn probability × 12-month CLV of €2,000\)\n {3}Why: average satisfaction 1\.5\/5\n {3}Next step: Call to ask what went wrong and agree a fix\./);
    assert.match(textPart(ben.raw), /Next step: Stop the automated e-mails and reach out personally\./);

    assert.equal(hook.received.length, 2);
    for (const h of hook.received) {
      assert.equal(h.signatureValid, true, 'HMAC-SHA256 signature verifies with the webhook secret');
      const digest = h.json.digest as { owner_id: string; delivery_id: string; customers: { customer_id: string; url: string; reasons: { text: string }[] }[] };
      assert.equal(h.headers['x-crm-delivery-id'], digest.delivery_id);
      assert.ok(Array.isArray(h.json.blocks) && typeof h.json.text === 'string');
      const expected = digest.owner_id === 'U-OWN-01' ? ['C-01', 'C-02'] : ['C-05', 'C-06'];
      assert.deepEqual(digest.customers.map((c) => c.customer_id), expected);
      assert.equal(digest.customers[0].url, `https://crm.example.test/customers/${expected[0]}`);
    }
    const a = hook.received.find((h) => (h.json.digest as { owner_id: string }).owner_id === 'U-OWN-01')!;
    assert.match(JSON.stringify(a.json.blocks), /<https:\/\/crm\.example\.test\/customers\/C-02\|Birch &amp; Co &lt;Ltd&gt;>/);

    const ledger = await readLedger(wh, {});
    assert.equal(ledger.length, 8, '4 episodes × 2 channels');
    assert.ok(ledger.every((row) => row.status === 'sent' && row.attempts === 1 && row.sent_at));
    const [runRow] = await readRuns(wh);
    assert.equal(runRow.new_episodes, 4);
    assert.equal(runRow.deliveries_sent, 4);
  });

  test('an owner receives only their own customers', async () => {
    const r = await run({ ownerId: 'U-OWN-02' });
    assert.deepEqual([...new Set(r.deliveries.map((d) => d.ownerId))], ['U-OWN-02']);
    assert.equal(smtp.messages.length, 1);
    assert.deepEqual(smtp.messages[0].to, ['ben@example.test']);
    assert.deepEqual(customersIn(smtp.messages[0].raw), ['C-05', 'C-06']);
    assert.equal(hook.received.length, 1);
    // Anna's turn comes in the full run: hers only, Ben's are not repeated.
    const r2 = await run();
    assert.deepEqual(r2.deliveries.map((d) => d.ownerId), ['U-OWN-01', 'U-OWN-01']);
    assert.deepEqual(customersIn(mailTo('anna@example.test')[0].raw), ['C-01', 'C-02']);
    assert.equal(smtp.messages.length, 2);
  });

  test('owners not included by the rules get nothing; an owner without an e-mail address fails and is retried, the others are sent', async () => {
    writeRules(dataDir, rules({ owners: 'all' }), {});
    const r = await run({}, { smtp: true });
    const own3 = r.deliveries.find((d) => d.ownerId === 'U-OWN-03')!;
    assert.equal(own3.outcome, 'failed');
    assert.equal(own3.attempts, 1, 'permanent: not retried within the run');
    assert.match(own3.error!, /no e-mail address for owner U-OWN-03/);
    assert.equal(smtp.messages.length, 2);
    assert.ok(!smtp.messages.some((m) => textPart(m.raw).includes('C-07')), 'a customer without an owner is nobody’s');
    const again = await run({ at: new Date(Date.parse(NOW) + DAY) }, { smtp: true });
    assert.deepEqual(again.deliveries.map((d) => [d.ownerId, d.outcome, d.retry]), [['U-OWN-03', 'failed', true]]);
    assert.equal(smtp.messages.length, 2);
  });
});

describe('exactly once', () => {
  test('running twice (same window) delivers once; the next days send nothing new until cooldown, a rise or a new episode', async () => {
    await run();
    assert.equal(smtp.messages.length, 2);
    const rows = await ledgerCount(wh);
    const second = await run();
    assert.equal(second.newEpisodes, 0);
    assert.deepEqual(second.deliveries, []);
    assert.equal(smtp.messages.length, 2);
    assert.equal(hook.received.length, 2);
    assert.equal(await ledgerCount(wh), rows, 'a re-run writes no ledger rows');

    const day = (n: number): Date => new Date(Date.parse(NOW) + n * DAY);
    assert.equal((await run({ at: day(1) })).newEpisodes, 0, 'still at risk, inside the cooldown, no rise');

    // C-02 rises by 0.18 (≥ 0.15) and C-01 drops below the threshold.
    const moved = SCORES.map((s) => (s.id === 'C-02' ? { ...s, p: 0.9 } : s.id === 'C-01' ? { ...s, p: 0.5 } : s));
    await setScores(wh, moved, day(2).toISOString());
    const r2 = await run({ at: day(2) });
    assert.equal(r2.closedEpisodes, 1);
    assert.deepEqual(r2.deliveries.filter((d) => d.channel === 'email').map((d) => d.customers.map((c) => [c.customerId, c.trigger])), [[['C-02', 'rise']]]);
    assert.match(textPart(smtp.messages[2].raw), /Birch & Co <Ltd> \(C-02\) - risk up from 72.0% at the last alert/);

    // C-01 is back above the threshold: a new episode, although inside the cooldown.
    await setScores(wh, SCORES.map((s) => (s.id === 'C-02' ? { ...s, p: 0.9 } : s)), day(3).toISOString());
    const r3 = await run({ at: day(3) });
    assert.deepEqual(r3.deliveries.filter((d) => d.channel === 'email').map((d) => d.customers.map((c) => [c.customerId, c.trigger])), [[['C-01', 'reopened']]]);

    // 14 days after their first alert, C-05 and C-06 (Ben) are reminded; C-02's cooldown restarted on day 2.
    const r14 = await run({ at: day(14) });
    assert.deepEqual(
      r14.deliveries.filter((d) => d.channel === 'email').map((d) => [d.ownerId, d.customers.map((c) => `${c.customerId}:${c.trigger}`)]),
      [['U-OWN-02', ['C-05:cooldown', 'C-06:cooldown']]],
    );
    assert.equal((await run({ at: day(14) })).deliveries.length, 0);
  });

  test('with the SMTP server down the run records failures; once it is back the next run delivers each missing digest exactly once', async () => {
    await smtp.stop();
    const down = await run();
    const email = down.deliveries.filter((d) => d.channel === 'email');
    assert.deepEqual(email.map((d) => d.outcome), ['failed', 'failed']);
    assert.equal(email[0].attempts, 3, 'retried with backoff');
    assert.equal(email[1].attempts, 1, 'the channel is known to be down: one attempt');
    assert.match(email[0].error!, /ECONNREFUSED/);
    assert.deepEqual(down.deliveries.filter((d) => d.channel === 'webhook').map((d) => d.outcome), ['sent', 'sent'], 'the webhook is independent');
    const failed = await readLedger(wh, { status: ['failed'] });
    assert.equal(failed.length, 4);
    assert.ok(failed.every((r) => r.channel === 'email' && /ECONNREFUSED/.test(r.last_error) && r.sent_at === null));

    // Still down the next day: failed again, nothing lost, nothing new planned.
    const stillDown = await run({ at: new Date(Date.parse(NOW) + DAY) });
    assert.equal(stillDown.newEpisodes, 0);
    assert.deepEqual(stillDown.deliveries.map((d) => [d.channel, d.outcome, d.retry]), [['email', 'failed', true], ['email', 'failed', true]]);

    await smtp.start();
    const back = await run({ at: new Date(Date.parse(NOW) + 2 * DAY) });
    assert.deepEqual(back.deliveries.map((d) => [d.channel, d.outcome, d.retry]), [['email', 'sent', true], ['email', 'sent', true]]);
    assert.equal(smtp.messages.length, 2);
    assert.deepEqual(smtp.messages.map((m) => m.to[0]).sort(), ['anna@example.test', 'ben@example.test']);
    // The same digests as planned on day 0: same Message-ID, same customers.
    assert.deepEqual(smtp.messages.map((m) => header(m.raw, 'Message-ID')).sort(), email.map((d) => d.messageId).sort());
    assert.deepEqual(customersIn(mailTo('anna@example.test')[0].raw), ['C-01', 'C-02']);
    assert.equal(hook.received.length, 2, 'the webhook digests are not sent again');
    const ledger = await readLedger(wh, {});
    assert.ok(ledger.every((r) => r.status === 'sent'));
    assert.ok(ledger.filter((r) => r.channel === 'email').every((r) => r.attempts === (r.owner_id === 'U-OWN-01' ? 3 + 3 + 1 : 1 + 1 + 1)));

    assert.equal((await run({ at: new Date(Date.parse(NOW) + 3 * DAY) })).deliveries.length, 0);
    assert.equal(smtp.messages.length, 2);
  });

  test('a webhook answering 503 is retried with backoff, then on the next run', async () => {
    hook.status = 503;
    const r = await run({}, { webhook: true });
    // Per owner: the outbox copy is written; the webhook fails 3 times, then once more (known to be down).
    assert.deepEqual(r.deliveries.map((d) => [d.ownerId, d.channel, d.outcome, d.attempts]), [
      ['U-OWN-01', 'outbox', 'sent', 1],
      ['U-OWN-01', 'webhook', 'failed', 3],
      ['U-OWN-02', 'outbox', 'sent', 1],
      ['U-OWN-02', 'webhook', 'failed', 1],
    ]);
    assert.match(r.deliveries[1].error!, /HTTP 503/);
    hook.status = 200;
    const r2 = await run({ at: new Date(Date.parse(NOW) + DAY) }, { webhook: true });
    assert.deepEqual(r2.deliveries.map((d) => [d.channel, d.outcome]), [['webhook', 'sent'], ['webhook', 'sent']]);
    assert.equal(hook.received.length, 2);
    assert.ok(hook.received.every((h) => h.signatureValid));
  });

  test('a crash between the send and the ledger write repeats the digest with the same Message-ID (SMTP) and not at all (outbox)', async () => {
    // The ledger write after the first successful send fails, as if the process died there.
    let failNext = true;
    const flaky: Warehouse = {
      ...wh,
      client: new Proxy(wh.client, {
        get(target, prop, receiver) {
          if (prop === 'insert') {
            return async (params: { table: string; values: { status?: string }[] }) => {
              if (failNext && params.table.endsWith('alert_ledger') && params.values.some((v) => v.status === 'sent')) {
                failNext = false;
                throw new Error('simulated crash before the ledger write');
              }
              return target.insert(params as never);
            };
          }
          return Reflect.get(target, prop, receiver);
        },
      }),
    };
    await assert.rejects(run({ warehouse: flaky }, { smtp: true }), /simulated crash/);
    assert.equal(smtp.messages.length, 1, 'one digest went out before the crash');
    const firstId = header(smtp.messages[0].raw, 'Message-ID');
    assert.equal((await readLedger(wh, { status: ['pending'] })).length, 4, 'the ledger still says pending');

    const r = await run({ at: new Date(Date.parse(NOW) + DAY) }, { smtp: true });
    assert.deepEqual(r.deliveries.map((d) => [d.outcome, d.retry]), [['sent', true], ['sent', true]]);
    assert.equal(smtp.messages.length, 3);
    const repeats = smtp.messages.filter((m) => header(m.raw, 'Message-ID') === firstId);
    assert.equal(repeats.length, 2, 'the repeat carries the same Message-ID, so it is recognisable');

    // Outbox: the .eml of a digest is written once; a repeat finds it and writes nothing.
    await truncateAlerts(wh);
    failNext = true;
    await assert.rejects(run({ warehouse: flaky, at: new Date(Date.parse(NOW) + 30 * DAY) }, {}), /simulated crash/);
    const dir = join(dataDir, 'outbox', 'U-OWN-01');
    const [eml] = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    const mtime = statSync(join(dir, eml)).mtimeMs;
    const again = await run({ at: new Date(Date.parse(NOW) + 31 * DAY) }, {});
    // Both digests were planned by the crashed run: both are retries; U-OWN-01's .eml was already written.
    assert.deepEqual(again.deliveries.map((d) => [d.ownerId, d.outcome, d.retry]), [['U-OWN-01', 'sent', true], ['U-OWN-02', 'sent', true]]);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.eml')).length, 1);
    assert.equal(statSync(join(dir, eml)).mtimeMs, mtime, 'not rewritten');
  });
});

describe('dry run, outbox and inbox', () => {
  test('the dry run sends nothing and writes nothing', async () => {
    const r = await run({ dryRun: true });
    assert.equal(r.deliveries.length, 4);
    assert.ok(r.deliveries.every((d) => d.outcome === 'would-send'));
    assert.deepEqual(r.deliveries.filter((d) => d.channel === 'email').map((d) => d.customers.map((c) => c.customerId)), [['C-01', 'C-02'], ['C-05', 'C-06']]);
    assert.equal(smtp.messages.length, 0);
    assert.equal(hook.received.length, 0);
    assert.equal(await ledgerCount(wh), 0);
    assert.equal((await readRuns(wh)).length, 0);
    assert.equal(existsSync(join(dataDir, 'outbox')), false);
    // …and a real run afterwards sends everything.
    assert.equal((await run()).newEpisodes, 4);
  });

  test('without SMTP the digests are .eml files in the outbox, readable for each owner’s inbox', async () => {
    const r = await run({}, {});
    assert.deepEqual(r.deliveries.map((d) => [d.ownerId, d.channel, d.outcome]), [['U-OWN-01', 'outbox', 'sent'], ['U-OWN-02', 'outbox', 'sent']]);
    const files = readdirSync(join(dataDir, 'outbox', 'U-OWN-01'));
    assert.equal(files.filter((f) => f.endsWith('.eml')).length, 1);

    const inbox = await listInbox(dataDir, 'U-OWN-01');
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0].subject, 'Churn alerts: 2 customers at risk (2024-03-11)');
    assert.deepEqual(inbox[0].customers.map((c) => [c.customer_id, c.next_step]), [['C-01', 'Call to resolve the open complaint.'], ['C-02', 'Call to check in and make an offer tailored to what they used to buy.']]);
    assert.equal(inbox[0].customers[0].url, 'https://crm.example.test/customers/C-01');
    const msg = readInboxMessage(dataDir, 'U-OWN-01', inbox[0].delivery_id)!;
    assert.equal(header(msg.eml, 'Message-ID'), inbox[0].message_id);
    assert.equal(header(msg.eml, 'To'), 'anna@example.test');
    assert.match(textPart(msg.eml), /Acme GmbH \(C-01\)/);
    assert.equal(readInboxMessage(dataDir, 'U-OWN-02', inbox[0].delivery_id), null, 'not in another owner’s inbox');
    assert.deepEqual((await listInbox(dataDir, 'U-OWN-02'))[0].customers.map((c) => c.customer_id), ['C-05', 'C-06']);
    assert.deepEqual(await listInbox(dataDir, 'U-OWN-09'), []);

    const fromLedger = await listInbox(wh, 'U-OWN-01', { publicUrl: 'https://crm.example.test' });
    assert.equal(fromLedger.length, 1);
    assert.equal(fromLedger[0].message_id, inbox[0].message_id);
    assert.deepEqual(fromLedger[0].channels?.map((c) => [c.channel, c.status]), [['outbox', 'sent']]);
    assert.deepEqual(fromLedger[0].customers.map((c) => c.customer_id), ['C-01', 'C-02']);
  });

  test('at most maxCustomersPerDigest customers per digest; the rest follow in the next window, not in a re-run', async () => {
    writeRules(dataDir, rules({ maxCustomersPerDigest: 1 }), {});
    const r = await run({}, {});
    assert.deepEqual(r.deliveries.map((d) => [d.ownerId, d.customers.map((c) => c.customerId), d.more]), [['U-OWN-01', ['C-01'], 1], ['U-OWN-02', ['C-05'], 1]]);
    assert.match(readInboxMessage(dataDir, 'U-OWN-01', r.deliveries[0].deliveryId)!.eml, /1 customer more at risk will follow/);
    // One digest per owner per window: a re-run of the window does not send the ones left over.
    assert.deepEqual((await run({}, {})).deliveries, []);
    const r2 = await run({ at: new Date(Date.parse(NOW) + DAY) }, {});
    assert.deepEqual(r2.deliveries.map((d) => [d.ownerId, d.customers.map((c) => c.customerId), d.more]), [['U-OWN-01', ['C-02'], 0], ['U-OWN-02', ['C-06'], 0]]);
  });

  test('stale scores are refreshed before the run (not in a dry run)', async () => {
    await truncateAlerts(wh);
    const calls: string[] = [];
    const score: RunAlertsOptions['score'] = async (_w, o) => {
      calls.push(o.dataDir);
      await setScores(wh, SCORES, new Date(Date.parse(NOW) + 3 * DAY).toISOString());
    };
    const later = new Date(Date.parse(NOW) + 3 * DAY);
    const dry = await run({ at: later, dryRun: true, rescore: true, score }, {});
    assert.equal(calls.length, 0);
    assert.match(dry.warnings.join('\n'), /a real run would re-score first/);
    const r = await run({ at: later, rescore: true, score }, {});
    assert.deepEqual(calls, [dataDir]);
    assert.equal(r.scores.rescored, true);
    assert.equal(r.scores.churnScoredAt?.toISOString(), later.toISOString());
    const fresh = await run({ at: new Date(later.getTime() + 3_600_000), rescore: true, score }, {});
    assert.equal(fresh.scores.rescored, false, 'an hour later the scores are fresh');
    assert.equal(calls.length, 1);
  });
});
