/**
 * planRun's ledger rows: the churn digest's rows and the deals-only digest's row come from one
 * builder (run.ts pendingRow), so the two kinds of digest cannot drift apart in how they are
 * addressed, identified and queued. Pure: no engine, no server.
 *
 * Fixture: U-A has two customers at risk (0.8 × 10,000 = 8,000 and 0.7 × 2,000 = 1,400 value at
 * risk) and no deals; U-B has no churn candidate and one open deal at risk; channels e-mail + webhook.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Candidate, OwnerContact } from '../../alerts/candidates.ts';
import type { DealAtRisk } from '../../alerts/deals-at-risk.ts';
import { defaultRules } from '../../alerts/rules.ts';
import { pendingRow, planRun } from '../../alerts/run.ts';

const windowAt = new Date('2024-03-11T07:00:00.000Z');
const now = new Date('2024-03-11T07:00:05.000Z');
const from = '"CRM alerts" <alerts@crm.example.test>';
const candidate = (customer_id: string, probability: number, clv: number): Candidate => ({
  customer_id,
  owner_id: 'U-A',
  customer_name: `Name ${customer_id}`,
  probability,
  reasons: [{ feature: 'recency_days', text: 'no purchase for 140 days', contribution: 0.2 }],
  scored_at: now,
  clv_12m: clv,
  revenue_12m: 0,
  lapsed: false,
});
const deal: DealAtRisk = {
  opportunityId: 'O-1',
  dealName: 'Cedar renewal',
  customerId: 'C-9',
  customerName: 'Cedar',
  stage: 'proposal',
  amount: 10_000,
  winProbability: 0.25,
  valueAtRisk: 7_500,
  reasons: [],
};
const contacts = new Map<string, OwnerContact>([
  ['U-A', { owner_id: 'U-A', email: 'a@example.test', name: 'A' }],
  ['U-B', { owner_id: 'U-B', email: 'b@example.test', name: 'B' }],
]);

const plan = planRun({
  candidates: [candidate('C-2', 0.7, 2_000), candidate('C-1', 0.8, 10_000)],
  latest: new Map(),
  rules: { ...defaultRules({}), probabilityThreshold: 0.6 },
  windowAt,
  now,
  channels: ['email', 'webhook'],
  from,
  contacts,
  deals: new Map([['U-B', [deal]]]),
});

// The digest identity, written out here from its published rule (episodes.ts): sha256 of the parts.
const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex');

test('one digest per owner and channel, every row queued the same way', () => {
  assert.equal(plan.rows.length, 2 * 2 + 1 * 2, 'U-A: 2 customers × 2 channels; U-B: its deals row × 2 channels');
  assert.equal(plan.newEpisodes, 2, 'the deals row is no episode');
  for (const r of plan.rows) {
    assert.deepEqual(
      [r.status, r.attempts, r.last_error, r.sent_at, r.run_window, r.run_window_at, r.planned_at],
      ['pending', 0, '', null, '2024-03-11T07:00:00.000Z', windowAt, now],
    );
    assert.equal(
      r.recipient,
      r.channel === 'webhook' ? '' : r.owner_id === 'U-A' ? 'a@example.test' : 'b@example.test',
    );
  }
  for (const owner of ['U-A', 'U-B']) {
    const mine = plan.rows.filter((r) => r.owner_id === owner);
    assert.equal(new Set(mine.map((r) => r.delivery_id)).size, 1, `${owner}: one delivery id on every channel`);
    assert.equal(new Set(mine.map((r) => r.version)).size, 1, `${owner}: one version`);
    assert.equal(mine[0].message_id, `<${mine[0].delivery_id}.alerts@crm.example.test>`);
  }
});

test('the churn rows: highest value at risk first, with its own numbers; the deals row: no customer, no value', () => {
  const email = plan.rows.filter((r) => r.channel === 'email');
  assert.deepEqual(
    email.map((r) => [r.owner_id, r.customer_id, r.trigger, r.value_at_risk, r.more_at_risk]),
    [
      ['U-A', 'C-1', 'first', 0.8 * 10_000, 0],
      ['U-A', 'C-2', 'first', 0.7 * 2_000, 0],
      ['U-B', '', 'deals', 0, 0],
    ],
  );
  const dealsRow = email[2];
  assert.deepEqual(dealsRow.reasons, [{ feature: 'O-1', text: 'Cedar renewal', contribution: 7_500 }]);
  assert.equal(dealsRow.episode_id, `dl-${hash('deals', 'U-B', '2024-03-11T07:00:00.000Z').slice(0, 20)}`);
  assert.equal(
    dealsRow.delivery_id,
    `dg-${hash('digest', 'U-B', '2024-03-11T07:00:00.000Z', dealsRow.episode_id).slice(0, 24)}`,
  );
});

test('pendingRow: the shared envelope around whatever the row says', () => {
  const digest = {
    ownerId: 'U-X',
    window: 'w',
    windowAt,
    deliveryId: 'dg-1',
    messageId: '<dg-1.alerts@x>',
    email: 'x@example.test',
    plannedAt: now,
    version: 7,
  };
  const content = {
    customer_id: 'C-7',
    episode_id: 'ep-7',
    customer_name: 'Seven',
    probability: 0.9,
    previous_probability: 0.6,
    value_at_risk: 900,
    value_basis: 'clv_12m' as const,
    reasons: [{ feature: 'recency_days', text: 'no purchase for 140 days', contribution: 0.2 }],
    next_step: 'Call',
    trigger: 'rise' as const,
    more_at_risk: 3,
  };
  const email = pendingRow(digest, 'email', content);
  const hook = pendingRow(digest, 'webhook', content);
  assert.deepEqual({ ...email, channel: 'webhook', recipient: '' }, hook);
  assert.equal(email.recipient, 'x@example.test');
  assert.deepEqual(
    [email.delivery_id, email.message_id, email.version, email.customer_id, email.more_at_risk],
    ['dg-1', '<dg-1.alerts@x>', 7, 'C-7', 3],
  );
});
