/**
 * An owner with open deals at risk but no new churn alert still gets a digest — for the deals
 * (issue 18, left over): planned through one non-episode ledger row, delivered over a real SMTP
 * server (smtp-server on loopback) and over the webhook channel (a signed POST to a receiver on
 * loopback) by the embedded engine, exactly once per window.
 *
 * Fixture (support.ts): U-OWN-01 keeps its churn alerts (C-01, C-02); U-OWN-02's customers are put
 * below the threshold, so U-OWN-02 has no churn alert — only the open deals planted here:
 *   O-1 C-05 (U-OWN-02) open 10,000, win probability 0.25 → value at risk 7,500
 *   O-2 C-06 (U-OWN-02) open  4,000, win probability 0.60 → value at risk 1,600
 *   O-3 C-06 (U-OWN-02) won   9,000                       → not open: not listed
 *   O-4 C-01 (U-OWN-01) open  2,000, win probability 0.90 → value at risk   200 (in U-OWN-01's churn digest)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { readLatestEpisodes, readLedger } from '../../alerts/ledger.ts';
import { defaultRules, type AlertRules } from '../../alerts/rules.ts';
import { runAlerts, type RunResult } from '../../alerts/run.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { ManualClock } from './manual-clock.ts';
import { NOW, SCORES, header, insertFixture, setScores, startSmtpSink, startWebhookSink, textPart, truncateAlerts, type SmtpSink, type WebhookSink } from './support.ts';

const DAY = 86_400_000;
let tw: TestWarehouse;
let wh: Warehouse;
let smtp: SmtpSink;
let hook: WebhookSink;
let dataDir: string;
const WEBHOOK_SECRET = 'deals-webhook-secret';

const rules: AlertRules = { ...defaultRules({}), probabilityThreshold: 0.6, minValueAtRisk: 100, owners: ['U-OWN-01', 'U-OWN-02'] };

interface Deal { id: string; customer: string; status: 'open' | 'won'; amount: number; p: number; name: string }
const DEALS: Deal[] = [
  { id: 'O-1', customer: 'C-05', status: 'open', amount: 10000, p: 0.25, name: 'Cedar renewal' },
  { id: 'O-2', customer: 'C-06', status: 'open', amount: 4000, p: 0.6, name: 'Delta <upsell>' },
  { id: 'O-3', customer: 'C-06', status: 'won', amount: 9000, p: 1, name: 'Delta won' },
  { id: 'O-4', customer: 'C-01', status: 'open', amount: 2000, p: 0.9, name: 'Acme add-on' },
];
const RUN = 'winloss-2024-03-10-fixture';
/** Planted by the second test: a deal at risk the first digest did not list (no opportunity row: shown by its id). */
const LATER: Deal = { id: 'O-5', customer: 'C-05', status: 'open', amount: 3000, p: 0.5, name: 'O-5' };

/** E-mail over SMTP; `{ webhook: true }` adds the webhook channel (a run always has a mail channel: SMTP or the outbox). */
function run(at: Date, channels: { webhook?: boolean } = {}): Promise<RunResult> {
  return runAlerts({
    warehouse: wh,
    dataDir,
    rules,
    config: {
      dataDir,
      outboxDir: join(dataDir, 'outbox'),
      smtpUrl: smtp.url,
      ...(channels.webhook ? { webhookUrl: hook.url } : {}),
      from: '"CRM alerts" <alerts@crm.example.test>',
      webhookSecret: WEBHOOK_SECRET,
      publicUrl: 'https://crm.example.test',
    },
    clock: new ManualClock(at),
    at,
    rescore: false,
    retry: { attempts: 2, baseDelayMs: 5, factor: 2 },
    smtpTimeouts: { connectionMs: 2000, socketMs: 5000 },
  });
}

before(async () => {
  tw = await startTestWarehouse();
  wh = tw.warehouse;
  await applyMigrations(wh.client, { database: wh.database });
  await insertFixture(wh);
  // U-OWN-02's customers below the threshold: no churn alert for them.
  await setScores(wh, SCORES.map((s) => (s.owner === 'U-OWN-02' ? { ...s, p: 0.2 } : s)), NOW);
  const db = wh.database;
  await wh.client.insert({
    table: `${db}.deal_scores`,
    values: DEALS.map((d) => ({
      run_id: RUN, scored_at: '2024-03-10 03:00:00.000', as_of: '2024-03-10', source: 'crm', opportunity_id: d.id, customer_id: d.customer, owner_id: '',
      region: '', product: 'p', status: d.status, stage: d.status === 'open' ? 'proposal' : 'closed', amount: d.amount, created_at: '2024-01-01',
      closed_at: d.status === 'open' ? null : '2024-03-01', stated_reason: '', competitor: '', win_probability: d.p,
      value_at_risk: d.status === 'open' ? d.amount * (1 - d.p) : 0,
      causes: d.id === 'O-1' ? [{ feature: 'silent_14d', text: 'no contact in the last 14 days', effect: 0.2 }] : [], top_cause: '', disagreement: '',
    })),
    format: 'JSONEachRow',
  });
  await wh.client.insert({
    table: `${db}.opportunities`,
    values: DEALS.map((d) => ({ source: 'crm', opportunity_id: d.id, customer_id: d.customer, customer_ref: d.customer, owner_id: '', name: d.name, product: 'p', amount: d.amount, original_amount: d.amount, original_currency: 'EUR', stage: 'proposal', status: d.status, created_at: '2024-01-01', batch_id: 'b', row_hash: 1, version: 1 })),
    format: 'JSONEachRow',
  });
  // The run is published by its model card (written last by the trainer).
  await wh.client.insert({
    table: `${db}.model_cards`,
    values: [{ model_version: RUN, model: 'winloss', created_at: '2024-03-10 03:00:01.000', data_start: '2023-01-01', as_of: '2024-03-10', train_cutoff: '2024-03-09', horizon_days: 0, churn_rate: 0.5, chosen: 'logistic', reason: 'fixture', roc_auc: 0.7, pr_auc: 0.6, brier: 0.2, best_baseline: 'stage_only', best_baseline_roc_auc: 0.6, folds: 3, card: '{}' }],
    format: 'JSONEachRow',
  });
  smtp = await startSmtpSink();
  hook = await startWebhookSink(WEBHOOK_SECRET);
  dataDir = mkdtempSync(join(tmpdir(), 'crm-alerts-deals-'));
});

after(async () => {
  await smtp?.close();
  await hook?.close();
  await tw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const mailTo = (addr: string) => smtp.messages.filter((m) => m.to.includes(addr));
// Value at risk computed here from what was planted: open deals' amount × (1 − win probability), largest first.
const expected = (customers: string[], planted: Deal[] = DEALS) =>
  planted.filter((d) => d.status === 'open' && customers.includes(d.customer))
    .map((d) => ({ ...d, var: d.amount * (1 - d.p) }))
    .sort((a, b) => b.var - a.var);

describe('deals-only digest', () => {
  test('an owner with deals at risk and no churn alert gets one digest of the deals; a second run of the window sends nothing', async () => {
    const first = await run(new Date(NOW));
    const ben = mailTo('ben@example.test');
    assert.equal(ben.length, 1, 'one digest for the owner with deals only');
    const text = textPart(ben[0].raw);
    assert.match(header(ben[0].raw, 'Subject') ?? '', /^Deals at risk: 2 open deals \(2024-03-11\)$/);
    assert.match(text, /No new churn alerts in this run\./);
    assert.doesNotMatch(text, /of your accounts/);
    // The deals, largest value at risk first, with the numbers computed here.
    const want = expected(['C-05', 'C-06']);
    assert.deepEqual(want.map((d) => [d.id, d.var]), [['O-1', 7500], ['O-2', 1600]]);
    const lines = [...text.matchAll(/^\d+\. (.+) - win probability (\d+\.\d)% - value at risk €([\d,]+) of €([\d,]+)$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3].replace(/,/g, '')), Number(m[4].replace(/,/g, ''))]);
    assert.deepEqual(lines, want.map((d) => [`${d.name} (${SCORES.find((s) => s.id === d.customer)!.name})`, Math.round(d.p * 1000) / 10, d.var, d.amount]));
    assert.match(text, /Why: no contact in the last 14 days/);

    // The owner with churn alerts gets the churn digest, with their deal in it — not a second digest.
    const anna = mailTo('anna@example.test');
    assert.equal(anna.length, 1);
    assert.match(header(anna[0].raw, 'Subject') ?? '', /^Churn alerts: 2 customers at risk/);
    assert.match(textPart(anna[0].raw), /Acme add-on \(Acme GmbH\) - win probability 90.0% - value at risk €200 of €2,000/);

    // The deals digest has one ledger row, no customer, and is not an episode.
    const rows = await readLedger(wh, { ownerId: 'U-OWN-02' });
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].customer_id, rows[0].trigger, rows[0].status, rows[0].value_at_risk], ['', 'deals', 'sent', 0]);
    assert.deepEqual(rows[0].reasons.map((r) => r.feature), ['O-1', 'O-2']);
    assert.equal((await readLatestEpisodes(wh, 'U-OWN-02')).length, 0, 'a deals digest is no churn episode');
    assert.equal(first.newEpisodes, 2, 'only the churn customers count as new episodes');
    const benReport = first.deliveries.find((d) => d.ownerId === 'U-OWN-02')!;
    assert.deepEqual([benReport.outcome, benReport.customers.length, benReport.deals], ['sent', 0, 2]);

    // Exactly once: the same window again sends nothing and writes no new digest.
    const again = await run(new Date(NOW));
    assert.equal(again.deliveries.length, 0);
    assert.equal(smtp.messages.length, 2);
    assert.equal((await readLedger(wh, { ownerId: 'U-OWN-02' })).length, 1);
  });

  test('unchanged deals are not sent again; a new deal at risk is; a failed digest is retried once with its Message-ID; the cooldown reminds', async () => {
    const ownerTwo = (r: RunResult) => r.deliveries.filter((d) => d.ownerId === 'U-OWN-02');
    const benMails = () => mailTo('ben@example.test').length;
    const sentBefore = benMails();
    // Next morning, the same deals at risk: nothing for the deals-only owner.
    assert.equal(ownerTwo(await run(new Date(Date.parse(NOW) + DAY))).length, 0);
    assert.equal(benMails(), sentBefore);

    // A new deal at risk (O-5: 3,000 × (1 − 0.5) = 1,500) with the SMTP server down: planned, failed.
    await wh.client.insert({
      table: `${wh.database}.deal_scores`,
      values: [{ run_id: RUN, scored_at: '2024-03-10 03:00:00.000', as_of: '2024-03-10', source: 'crm', opportunity_id: LATER.id, customer_id: LATER.customer, owner_id: '', region: '', product: 'p', status: 'open', stage: 'proposal', amount: LATER.amount, created_at: '2024-01-01', closed_at: null, stated_reason: '', competitor: '', win_probability: LATER.p, value_at_risk: LATER.amount * (1 - LATER.p), causes: [], top_cause: '', disagreement: '' }],
      format: 'JSONEachRow',
    });
    const day2 = new Date(Date.parse(NOW) + 2 * DAY);
    await smtp.stop();
    const failed = ownerTwo(await run(day2));
    assert.deepEqual(failed.map((d) => d.outcome), ['failed']);
    await smtp.start();

    // The next run (a later window) retries it — once, same Message-ID — and plans no second one.
    const later = ownerTwo(await run(new Date(day2.getTime() + 3_600_000)));
    assert.deepEqual(later.map((d) => [d.outcome, d.retry, d.deliveryId]), [['sent', true, failed[0].deliveryId]]);
    const got = mailTo('ben@example.test').slice(sentBefore);
    assert.equal(got.length, 1);
    assert.equal(header(got[0].raw, 'Message-ID'), failed[0].messageId);
    assert.match(header(got[0].raw, 'Subject') ?? '', /^Deals at risk: 3 open deals/);
    const ids = [...textPart(got[0].raw).matchAll(/^\d+\. (.+?) \(/gm)].map((m) => m[1]);
    assert.deepEqual(ids, ['Cedar renewal', 'Delta <upsell>', 'O-5'], 'largest value at risk first: 7,500, 1,600, 1,500 (O-5 has no opportunity row: its id)');
    assert.equal(ownerTwo(await run(new Date(day2.getTime() + 3_600_000))).length, 0, 'delivered: not again');

    // Unchanged deals come again as a reminder once the cooldown has passed since the last deals digest.
    assert.equal(rules.cooldownDays, 14);
    assert.equal(ownerTwo(await run(new Date(day2.getTime() + 13 * DAY))).length, 0);
    assert.deepEqual(ownerTwo(await run(new Date(day2.getTime() + 14 * DAY))).map((d) => d.outcome), ['sent']);
  });
  test('the deals-only digest over the webhook: one signed POST with the deals computed here, no customers; once per window', async () => {
    // A fresh ledger: the webhook's first window (beside e-mail), the deals of both tests above planted.
    await truncateAlerts(wh);
    hook.received.length = 0;
    const benMailsBefore = mailTo('ben@example.test').length;
    const at = new Date(NOW);
    const first = await run(at, { webhook: true });
    const ben = first.deliveries.filter((d) => d.ownerId === 'U-OWN-02');
    assert.deepEqual(
      ben.map((d) => [d.channel, d.outcome, d.customers.length, d.deals, d.recipient]),
      [
        ['email', 'sent', 0, 3, 'ben@example.test'],
        ['webhook', 'sent', 0, 3, `${new URL(hook.url).origin}/…`],
      ],
    );
    assert.equal(mailTo('ben@example.test').length - benMailsBefore, 1, 'the same digest by e-mail, once');
    assert.equal(ben[0].deliveryId, ben[1].deliveryId, 'one digest on both channels');

    const posts = hook.received.filter((h) => (h.json.digest as { owner_id: string }).owner_id === 'U-OWN-02');
    assert.equal(posts.length, 1);
    const [post] = posts;
    assert.equal(post.signatureValid, true, 'HMAC-SHA256 signature verifies with the webhook secret');
    type Data = { delivery_id: string; subject: string; customers: unknown[]; deals_at_risk: { opportunity_id: string; deal_name: string; customer_id: string; amount: number; win_probability: number; value_at_risk: number }[] };
    const digest = post.json.digest as Data;
    assert.equal(post.headers['x-crm-delivery-id'], digest.delivery_id);
    assert.equal(digest.delivery_id, ben[0].deliveryId);
    assert.equal(digest.subject, 'Deals at risk: 3 open deals (2024-03-11)');
    assert.deepEqual(digest.customers, []);
    // Largest value at risk first, amount × (1 − win probability) computed here: 7,500, 1,600, 1,500.
    const want = expected(['C-05', 'C-06'], [...DEALS, LATER]);
    assert.deepEqual(want.map((d) => d.var), [7500, 1600, 1500]);
    assert.deepEqual(
      digest.deals_at_risk.map((d) => [d.opportunity_id, d.customer_id, d.amount, d.win_probability, d.value_at_risk]),
      want.map((d) => [d.id, d.customer, d.amount, d.p, d.var]),
    );
    // Slack's blocks: the subject as the header and the deals as one section, no customer sections.
    const blocks = post.json.blocks as { type: string; text?: { text: string } }[];
    assert.equal(blocks[0].text?.text, 'Deals at risk: 3 open deals (2024-03-11)');
    const sections = blocks.filter((b) => b.type === 'section');
    assert.equal(sections.length, 1);
    assert.match(sections[0].text!.text, /^\*Open deals at risk\*\n• Cedar renewal \(Cedar AG\): win probability 25.0% - value at risk €7,500 of €10,000/);
    assert.match(sections[0].text!.text, /• Delta &lt;upsell&gt; \(Delta Oy\): win probability 60.0% - value at risk €1,600 of €4,000/);
    assert.equal(post.json.text, 'Deals at risk: 3 open deals (2024-03-11) for U-OWN-02');

    // One ledger row per channel, the webhook's with no addressee; the same window again posts nothing.
    const rows = await readLedger(wh, { ownerId: 'U-OWN-02' });
    assert.deepEqual(
      rows.map((r) => [r.channel, r.trigger, r.status, r.recipient, r.customer_id]).sort(),
      [
        ['email', 'deals', 'sent', 'ben@example.test', ''],
        ['webhook', 'deals', 'sent', '', ''],
      ],
    );
    const again = await run(at, { webhook: true });
    assert.equal(again.deliveries.length, 0);
    assert.equal(hook.received.filter((h) => (h.json.digest as { owner_id: string }).owner_id === 'U-OWN-02').length, 1);
    assert.equal(mailTo('ben@example.test').length - benMailsBefore, 1);
  });
});
