/** Pure parts of the alerts: episode rules, next steps, rule validation, ids, schedules, rendering, signing, lock. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeDelivery, type AlertsConfig } from '../../alerts/config.ts';
import { signWebhook, verifyWebhookSignature } from '../../lib/webhook/index.ts';
import { ownerDirName } from '../../alerts/deliver/outbox-files.ts';
import { withRetry, PermanentDeliveryError } from '../../alerts/deliver/retry.ts';
import { renderHtml, renderText, renderWebhook, type Digest, type DigestItem } from '../../alerts/digest.ts';
import { AlertRulesError, AlertsError } from '../../alerts/errors.ts';
import { closeReason, decideTrigger, deliveryId, episodeId, messageIdFor, shouldClose, valueAtRisk } from '../../alerts/episodes.ts';
import { acquireRunLock, lockPath } from '../../alerts/lock.ts';
import { DEFAULT_NEXT_STEP, nextStepFor } from '../../alerts/next-step.ts';
import { defaultRules, readRules, rulesPath, validateRules, writeRules } from '../../alerts/rules.ts';
import { describeSchedule, lastFire, lastFireOnDay, nextFireTimes, startScheduler } from '../../alerts/schedule.ts';
import { ManualClock } from './manual-clock.ts';

const tmp = mkdtempSync(join(tmpdir(), 'crm-alerts-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());
const DAY = 86_400_000;

describe('episodes', () => {
  const rules = { probabilityThreshold: 0.6, cooldownDays: 14, minRiseSinceLastAlert: 0.15 };
  const w = new Date('2024-03-20T07:00:00Z');
  const prev = (daysAgo: number, probability: number, closed = false) => ({ run_window_at: new Date(w.getTime() - daysAgo * DAY), probability, closed });
  const cases: [string, number, ReturnType<typeof prev> | undefined, string | null][] = [
    ['below the threshold', 0.59, undefined, null],
    ['at the threshold, never alerted', 0.6, undefined, 'first'],
    ['alerted in this very window (a re-run)', 0.99, prev(0, 0.6), null],
    ['alerted yesterday, unchanged', 0.7, prev(1, 0.7), null],
    ['alerted yesterday, closed since', 0.7, prev(1, 0.7, true), 'reopened'],
    ['13 days ago, unchanged', 0.7, prev(13, 0.7), null],
    ['14 days ago: the cooldown has passed', 0.7, prev(14, 0.7), 'cooldown'],
    ['rose by exactly the minimum', 0.85, prev(2, 0.7), 'rise'],
    ['rose by a little less', 0.84, prev(2, 0.7), null],
    ['fell but still above', 0.65, prev(2, 0.9), null],
  ];
  for (const [name, p, previous, expected] of cases) {
    test(`decideTrigger: ${name} → ${expected}`, () => assert.equal(decideTrigger(p, previous, rules, w), expected));
  }
  test('no cooldown and no rise: alerted again only after falling below the threshold', () => {
    const r = { probabilityThreshold: 0.6, cooldownDays: null, minRiseSinceLastAlert: null };
    assert.equal(decideTrigger(0.99, prev(400, 0.6), r, w), null);
    assert.equal(decideTrigger(0.99, prev(400, 0.6, true), r, w), 'reopened');
  });
  test('shouldClose: only an open episode from an earlier window, only below the threshold', () => {
    assert.equal(shouldClose(0.5, prev(1, 0.7), rules, w), true);
    assert.equal(shouldClose(0.6, prev(1, 0.7), rules, w), false);
    assert.equal(shouldClose(0.5, prev(1, 0.7, true), rules, w), false);
    assert.equal(shouldClose(0.5, prev(0, 0.7), rules, w), false);
    assert.equal(shouldClose(0.5, undefined, rules, w), false);
  });
  test('closeReason: a lapsed customer’s open episode closes as lapsed whatever the probability; an active one on the probability', () => {
    assert.equal(closeReason({ probability: 0.95, lapsed: true }, prev(1, 0.7), rules, w), 'lapsed');
    assert.equal(closeReason({ probability: 0.2, lapsed: true }, prev(1, 0.7), rules, w), 'lapsed');
    assert.equal(closeReason({ probability: 0.5, lapsed: false }, prev(1, 0.7), rules, w), 'below_threshold');
    assert.equal(closeReason({ probability: 0.95, lapsed: false }, prev(1, 0.7), rules, w), null);
    // Closed already, opened in this window, or never opened: nothing to close.
    assert.equal(closeReason({ probability: 0.95, lapsed: true }, prev(1, 0.7, true), rules, w), null);
    assert.equal(closeReason({ probability: 0.95, lapsed: true }, prev(0, 0.7), rules, w), null);
    assert.equal(closeReason({ probability: 0.95, lapsed: true }, undefined, rules, w), null);
  });
  test('valueAtRisk: churn probability × 12-month CLV, 0 without a CLV (the semantic layer’s churn_value_at_risk)', () => {
    assert.deepEqual(valueAtRisk({ probability: 0.75, clv_12m: 1200 }), { value: 900, basis: 'clv_12m' });
    assert.deepEqual(valueAtRisk({ probability: 0.75, clv_12m: null }), { value: 0, basis: 'clv_12m' });
  });
  test('ids are stable: episode per (owner, customer, window); digest per (owner, window, episodes in any order)', () => {
    assert.equal(episodeId('U-1', 'C-1', 'w'), episodeId('U-1', 'C-1', 'w'));
    assert.notEqual(episodeId('U-1', 'C-1', 'w'), episodeId('U-2', 'C-1', 'w'));
    assert.equal(deliveryId('U-1', 'w', ['a', 'b']), deliveryId('U-1', 'w', ['b', 'a']));
    assert.notEqual(deliveryId('U-1', 'w', ['a', 'b']), deliveryId('U-1', 'w2', ['a', 'b']));
    assert.equal(messageIdFor('dg-1', '"CRM" <alerts@crm.example.com>'), '<dg-1.alerts@crm.example.com>');
    assert.equal(messageIdFor('dg-1', 'no address'), '<dg-1.alerts@localhost>');
  });
});

describe('next steps', () => {
  const cases: [string | undefined, string][] = [
    ['complaints_30d', 'Call to resolve the open complaint.'],
    ['complaints_90d', 'Call to resolve the open complaint.'],
    ['csat_avg_180d', 'Call to ask what went wrong and agree a fix.'],
    ['support_tickets_90d', 'Check their open support tickets and follow up personally.'],
    ['recency_days', 'Call to check in and make an offer tailored to what they used to buy.'],
    ['overdue_ratio', 'Call to check in and make an offer tailored to what they used to buy.'],
    ['spend_change_90d', 'Review their recent orders and offer a volume or loyalty discount.'],
    ['email_open_rate_90d', 'Stop the automated e-mails and reach out personally.'],
    ['days_since_last_contact', 'Schedule a call or meeting: nobody has spoken to them for a while.'],
    ['lost_deals_365d', 'Review their open and lost deals with them.'],
    ['refunds_365d', 'Check the refunded orders for a product or delivery problem.'],
    ['is_b2b', DEFAULT_NEXT_STEP],
    [undefined, DEFAULT_NEXT_STEP],
  ];
  for (const [feature, step] of cases) test(`${feature} → ${step}`, () => assert.equal(nextStepFor(feature), step));
});

describe('rules', () => {
  test('the defaults are valid; missing fields take the defaults; the time zone default comes from CRM_TIMEZONE', () => {
    const v = validateRules({ probabilityThreshold: 0.7 }, defaultRules({ CRM_TIMEZONE: 'Europe/Berlin' }));
    assert.ok(v.ok);
    assert.equal(v.rules.probabilityThreshold, 0.7);
    assert.deepEqual(v.rules.schedule, { cron: '0 7 * * *', timezone: 'Europe/Berlin' });
    assert.equal(defaultRules({}).schedule.timezone, 'UTC');
  });
  test('every invalid field is reported with its path', () => {
    const v = validateRules({
      probabilityThreshold: 1.5,
      treshold: 0.5,
      cooldownDays: -1,
      minRiseSinceLastAlert: 'x',
      owners: ['U-1', ''],
      valueBasis: 'ltv',
      maxCustomersPerDigest: 0,
      schedule: { cron: '0 7 * *', timezone: 'Mars/Base' },
      rescore: { cron: null, maxScoreAgeHours: 0, extra: 1 },
    });
    assert.equal(v.ok, false);
    const paths = !v.ok ? v.issues.map((i) => i.path).sort() : [];
    assert.deepEqual(paths, [
      'cooldownDays', 'maxCustomersPerDigest', 'minRiseSinceLastAlert', 'owners', 'probabilityThreshold',
      'rescore.extra', 'rescore.maxScoreAgeHours', 'schedule.cron', 'schedule.timezone', 'treshold', 'valueBasis',
    ]);
    assert.equal(validateRules([1]).ok, false);
  });
  test('readRules creates the file with the defaults; writeRules validates, saves and round-trips', () => {
    const dir = join(tmp, 'rules');
    const first = readRules(dir, {});
    assert.deepEqual(first, defaultRules({}));
    assert.ok(existsSync(rulesPath(dir)));
    const saved = writeRules(dir, { ...first, owners: ['U-OWN-01', 'U-OWN-01 '], cooldownDays: null }, {});
    assert.deepEqual(saved.owners, ['U-OWN-01']);
    assert.deepEqual(readRules(dir, {}), saved);
    assert.throws(() => writeRules(dir, { probabilityThreshold: 0 }, {}), (e: unknown) => e instanceof AlertRulesError && e.issues[0].path === 'probabilityThreshold');
    assert.deepEqual(readRules(dir, {}), saved, 'an invalid write leaves the file as it was');
  });
  test('a broken rules file is an error naming the file, not a silent fallback to the defaults', () => {
    const dir = join(tmp, 'broken');
    readRules(dir, {});
    writeFileSync(rulesPath(dir), '{ "probabilityThreshold": 2 }');
    assert.throws(() => readRules(dir, {}), /probabilityThreshold.*|alert-rules\.json/);
    writeFileSync(rulesPath(dir), '{ nope');
    assert.throws(() => readRules(dir, {}), (e: unknown) => e instanceof AlertRulesError && e.message.includes('not valid JSON'));
  });
});

describe('schedule', () => {
  const ny = { cron: '0 7 * * *', timezone: 'America/New_York' };
  test('07:00 in New York is 12:00 UTC before the spring DST change and 11:00 UTC after', () => {
    assert.deepEqual(iso(nextFireTimes(ny, new Date('2024-03-08T00:00:00Z'), 4)), [
      '2024-03-08T12:00:00.000Z',
      '2024-03-09T12:00:00.000Z',
      '2024-03-10T11:00:00.000Z',
      '2024-03-11T11:00:00.000Z',
    ]);
  });
  test('…and back to 12:00 UTC after the autumn change', () => {
    assert.deepEqual(iso(nextFireTimes(ny, new Date('2024-11-02T00:00:00Z'), 3)), ['2024-11-02T11:00:00.000Z', '2024-11-03T12:00:00.000Z', '2024-11-04T12:00:00.000Z']);
  });
  test('a time skipped by the spring change runs at the first valid minute; one repeated in autumn runs once', () => {
    assert.deepEqual(iso(nextFireTimes({ cron: '30 2 * * *', timezone: 'America/New_York' }, new Date('2024-03-09T00:00:00Z'), 3)), ['2024-03-09T07:30:00.000Z', '2024-03-10T07:00:00.000Z', '2024-03-11T06:30:00.000Z']);
    assert.deepEqual(iso(nextFireTimes({ cron: '30 1 * * *', timezone: 'America/New_York' }, new Date('2024-11-02T00:00:00Z'), 3)), ['2024-11-02T05:30:00.000Z', '2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z']);
  });
  test('Europe/Berlin and UTC', () => {
    assert.deepEqual(iso(nextFireTimes({ cron: '0 7 * * *', timezone: 'Europe/Berlin' }, new Date('2024-03-30T00:00:00Z'), 2)), ['2024-03-30T06:00:00.000Z', '2024-03-31T05:00:00.000Z']);
    assert.deepEqual(iso(nextFireTimes({ cron: '0 7 * * 1-5', timezone: 'UTC' }, new Date('2024-03-08T08:00:00Z'), 2)), ['2024-03-11T07:00:00.000Z', '2024-03-12T07:00:00.000Z']);
  });
  test('lastFire counts a fire at exactly the instant; lastFireOnDay reads the day in the zone', () => {
    assert.equal(lastFire(ny, new Date('2024-03-10T11:00:00Z'))?.toISOString(), '2024-03-10T11:00:00.000Z');
    assert.equal(lastFire(ny, new Date('2024-03-10T10:59:59Z'))?.toISOString(), '2024-03-09T12:00:00.000Z');
    assert.equal(lastFireOnDay(ny, '2024-03-10')?.toISOString(), '2024-03-10T11:00:00.000Z');
    assert.equal(lastFireOnDay({ cron: '0 7 * * 1-5', timezone: 'UTC' }, '2024-03-09'), null, 'a Saturday has no run');
    assert.equal(describeSchedule(ny), 'daily at 07:00 America/New_York');
    assert.equal(describeSchedule({ cron: '*/5 * * * *', timezone: 'UTC' }), '"*/5 * * * *" (UTC)');
  });

  test('the scheduler fires at 07:00 New York time across the DST change, with an injected clock', async () => {
    const clock = new ManualClock('2024-03-09T00:00:00Z');
    const fired: string[] = [];
    let schedule = ny;
    const s = startScheduler({
      clock,
      pollMs: 60_000,
      jobs: [{ name: 'alerts', schedule: () => schedule, run: async (at) => void fired.push(`${at.toISOString()}@${clock.now().toISOString()}`) }],
    });
    clock.advanceTo('2024-03-09T11:59:59Z');
    assert.deepEqual(fired, []);
    clock.advanceTo('2024-03-09T12:00:00Z');
    assert.deepEqual(fired, ['2024-03-09T12:00:00.000Z@2024-03-09T12:00:00.000Z']);
    clock.advanceTo('2024-03-10T10:59:59Z');
    assert.equal(fired.length, 1);
    await settle(); // lets the finished run clear its busy flag, as real time would
    clock.advanceTo('2024-03-10T11:00:00Z');
    await settle();
    clock.advanceTo('2024-03-11T12:00:00Z');
    assert.deepEqual(fired.slice(1), ['2024-03-10T11:00:00.000Z@2024-03-10T11:00:00.000Z', '2024-03-11T11:00:00.000Z@2024-03-11T11:00:00.000Z']);
    assert.equal(s.next().alerts?.toISOString(), '2024-03-12T11:00:00.000Z');

    // An edited schedule is picked up at the next look (at most pollMs later).
    schedule = { cron: '30 6 * * *', timezone: 'Europe/Berlin' };
    clock.advance(60_000);
    assert.equal(s.next().alerts?.toISOString(), '2024-03-12T05:30:00.000Z');
    s.stop();
    assert.equal(clock.pending(), 0, 'stop clears the timer');
  });

  test('a job still running when its next fire comes is not started twice; a clock jump fires once', async () => {
    const clock = new ManualClock('2024-01-01T00:00:00Z');
    let running = 0;
    let starts = 0;
    let finish: () => void = () => {};
    const lines: string[] = [];
    const s = startScheduler({
      clock,
      log: (l) => lines.push(l),
      jobs: [{ name: 'j', schedule: () => ({ cron: '0 * * * *', timezone: 'UTC' }), run: () => { starts++; running++; return new Promise<void>((r) => (finish = () => { running--; r(); })); } }],
    });
    clock.advanceTo('2024-01-01T01:00:00Z');
    clock.advanceTo('2024-01-01T02:00:00Z');
    assert.equal(starts, 1);
    assert.match(lines.join('\n'), /skipped, the previous run is still going/);
    finish();
    await new Promise((r) => setImmediate(r));
    assert.equal(running, 0);
    clock.advanceTo('2024-01-01T09:30:00Z'); // the host slept through seven fires
    assert.equal(starts, 2);
    assert.equal(s.next().j?.toISOString(), '2024-01-01T10:00:00.000Z');
    finish();
    s.stop();
  });

  test('a broken rules file stops the schedule (logged once) until it is fixed', () => {
    const clock = new ManualClock('2024-01-01T00:00:00Z');
    const lines: string[] = [];
    let broken = true;
    const s = startScheduler({ clock, log: (l) => lines.push(l), jobs: [{ name: 'alerts', schedule: () => { if (broken) throw new Error('bad file'); return { cron: '0 7 * * *', timezone: 'UTC' }; }, run: async () => {} }] });
    clock.advance(5 * 60_000);
    assert.equal(lines.filter((l) => l.includes('bad file')).length, 1);
    assert.equal(s.next().alerts, null);
    broken = false;
    clock.advance(60_000);
    assert.equal(s.next().alerts?.toISOString(), '2024-01-01T07:00:00.000Z');
    s.stop();
  });
});

describe('rendering, signing, retries, lock, banner', () => {
  const item = (n: number, over: Partial<DigestItem> = {}): DigestItem => ({
    customerId: `C-${n}`,
    customerName: `Customer ${n}`,
    episodeId: `ep-${n}`,
    probability: 0.7,
    previousProbability: null,
    valueAtRisk: 1000 - n,
    valueBasis: 'clv_12m',
    reasons: [{ feature: 'recency_days', text: 'no purchase for 100 days', contribution: 0.1 }],
    nextStep: 'Call.',
    trigger: 'first',
    url: `https://crm.test/customers/C-${n}`,
    ...over,
  });
  const digest = (items: DigestItem[], more = 0): Digest => ({
    deliveryId: 'dg-1', messageId: '<dg-1.alerts@x>', ownerId: 'U-1', recipient: 'a@x', window: '2024-03-10T11:00:00.000Z',
    windowAt: new Date('2024-03-10T11:00:00Z'), plannedAt: new Date('2024-03-10T11:00:01Z'), items, more,
  });

  test('text and HTML: one customer, times in the schedule’s zone, names escaped in HTML', () => {
    const d = digest([item(1, { customerName: 'A & <B>', trigger: 'rise', previousProbability: 0.55 })]);
    const text = renderText(d, 'America/New_York');
    assert.match(text, /run of 2024-03-10 07:00 America\/New_York/);
    assert.match(text, /1 of your accounts is at risk of churning:/);
    assert.match(text, /A & <B> \(C-1\) - risk up from 55.0% at the last alert/);
    const html = renderHtml(d);
    assert.match(html, /<strong>A &amp; &lt;B&gt;<\/strong>/);
    assert.doesNotMatch(html, /<B>/);
  });
  test('Slack body stays within 50 blocks; the rest is counted', () => {
    const body = renderWebhook(digest(Array.from({ length: 60 }, (_, i) => item(i)), 5));
    const blocks = body.blocks as unknown[];
    assert.ok(blocks.length <= 50);
    assert.match(JSON.stringify(blocks.at(-1)), /20 customers more at risk not listed here/);
    assert.equal((body.digest as { customers: unknown[] }).customers.length, 60, 'the data carries every customer');
  });
  test('webhook signature: valid, tampered, stale', () => {
    const body = '{"a":1}';
    const now = new Date('2024-03-10T11:00:00Z');
    const ts = Math.floor(now.getTime() / 1000);
    const sig = signWebhook('s3cret', ts, body);
    assert.match(sig, /^v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature('s3cret', { timestamp: String(ts), signature: sig }, body, { now }), true);
    assert.equal(verifyWebhookSignature('s3cret', { timestamp: String(ts), signature: sig }, '{"a":2}', { now }), false);
    assert.equal(verifyWebhookSignature('other', { timestamp: String(ts), signature: sig }, body, { now }), false);
    assert.equal(verifyWebhookSignature('s3cret', { timestamp: String(ts), signature: sig }, body, { now: new Date(now.getTime() + 600_000) }), false);
  });
  test('withRetry: backoff 1, 4 (×base) between attempts; permanent errors stop at once', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    let n = 0;
    const ok = await withRetry(async () => { if (++n < 3) throw new Error('ECONNREFUSED'); }, { attempts: 3, baseDelayMs: 100, sleep });
    assert.deepEqual([ok.ok, ok.attempts, sleeps], [true, 3, [100, 400]]);
    const perm = await withRetry(async () => { throw new PermanentDeliveryError('no address'); }, { sleep });
    assert.deepEqual([perm.ok, perm.attempts, perm.error], [false, 1, 'no address']);
    const smtp5xx = await withRetry(async () => { throw Object.assign(new Error('550 mailbox unavailable'), { responseCode: 550 }); }, { sleep });
    assert.equal(smtp5xx.attempts, 1);
  });
  test('run lock: a second run is refused while the first holds it; a dead holder’s lock is taken over', () => {
    const dir = join(tmp, 'lock');
    const release = acquireRunLock(dir);
    assert.throws(() => acquireRunLock(dir), (e: unknown) => e instanceof AlertsError && e.code === 'RUN_BUSY');
    release();
    writeFileSync(lockPath(dir), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const again = acquireRunLock(dir);
    assert.equal(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid, process.pid);
    again();
  });
  test('owner folder names are safe', () => {
    assert.equal(ownerDirName('U-OWN-01'), 'U-OWN-01');
    assert.equal(ownerDirName('../etc'), `x-${Buffer.from('../etc').toString('hex')}`);
  });
  test('describeDelivery: one line, no credentials, no webhook path', () => {
    const base: AlertsConfig = { dataDir: '/d', outboxDir: '/d/outbox', from: 'alerts@x', webhookSecret: 's', publicUrl: 'http://x' };
    const rules = defaultRules({});
    assert.equal(describeDelivery({ config: base, rules }), 'no SMTP_URL set: digests are written as .eml files to /d/outbox/<owner>/ (alerts inbox); daily at 07:00 UTC');
    const line = describeDelivery({ config: { ...base, smtpUrl: 'smtps://user:pa55@mail.example.com:465', webhookUrl: 'https://hooks.slack.com/services/T/B/XYZ' }, rules });
    assert.equal(line, 'e-mail via smtps://mail.example.com:465 from alerts@x and signed JSON to https://hooks.slack.com/…; daily at 07:00 UTC');
    assert.doesNotMatch(line, /pa55|XYZ/);
  });
});
