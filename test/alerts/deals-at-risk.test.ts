/**
 * The open-deals section of the owner's digest (issue 18): pure renderers and the query text.
 * Amounts and percentages are the product's formats (lib/format); every deal value is escaped in
 * HTML and Slack text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dealNumbers, dealsAtRiskQuery, dealsData, dealsHtml, dealsMrkdwn, dealsText, type DealAtRisk } from '../../alerts/deals-at-risk.ts';
import { renderSubject, renderText } from '../../alerts/digest.ts';
import { dealsDigestDue } from '../../alerts/episodes.ts';

const deal: DealAtRisk = {
  opportunityId: 'D3',
  dealName: 'Fit-out <script>alert(1)</script>',
  customerId: 'C03',
  customerName: 'Cora & Co',
  stage: 'negotiation',
  amount: 5000,
  winProbability: 0.3,
  valueAtRisk: 5000 * (1 - 0.3),
  reasons: ['no meeting in the 21 days before 1 Jul 2024', 'one contact met'],
};
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

test('numbers: win probability and value at risk of the amount', () => {
  assert.equal(dealNumbers(deal), 'win probability 30.0% - value at risk €3,500 of €5,000');
  assert.equal(dealNumbers(deal, { locale: 'en-US', currency: 'USD' }), 'win probability 30.0% - value at risk $3,500 of $5,000');
});

test('text section: one numbered deal with its reasons; nothing without deals', () => {
  assert.deepEqual(dealsText([deal]), [
    'Your open deals at risk (value at risk = amount x (1 - win probability)):',
    '',
    '1. Fit-out <script>alert(1)</script> (Cora & Co) - win probability 30.0% - value at risk €3,500 of €5,000',
    '   Why: no meeting in the 21 days before 1 Jul 2024; one contact met',
    '',
  ]);
  assert.deepEqual(dealsText([]), []);
  assert.deepEqual(dealsText(undefined), []);
});

test('HTML and Slack sections escape the deal and customer names', () => {
  const html = dealsHtml([deal], esc);
  assert.ok(!html.includes('<script>'), html);
  assert.match(html, /Fit-out &lt;script&gt;alert\(1\)&lt;\/script&gt; \(Cora &amp; Co\)/);
  assert.equal(dealsHtml([], esc), '');
  const mrk = dealsMrkdwn([deal], (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  assert.ok(!mrk.includes('<script>'));
  assert.match(mrk, /^\*Open deals at risk\*\n• /);
});

test('as data for the webhook', () => {
  assert.deepEqual(dealsData([deal])[0], {
    opportunity_id: 'D3', deal_name: deal.dealName, customer_id: 'C03', customer_name: 'Cora & Co', stage: 'negotiation',
    amount: 5000, win_probability: 0.3, value_at_risk: 3500, reasons: deal.reasons,
  });
});

test('the query reads the published run, binds owners and the per-owner limit, and keeps the top N per owner', () => {
  const q = dealsAtRiskQuery({ database: 'crm', owners: ['U-OWN-01'], perOwner: 3 });
  assert.match(q.query, /FROM crm\.deal_scores_current AS s/);
  assert.match(q.query, /LIMIT \{per_owner:UInt32\} BY owner_id/);
  assert.match(q.query, /ORDER BY owner_id, value_at_risk DESC/);
  assert.deepEqual(q.query_params, { owners: ['U-OWN-01'], per_owner: 3 });
  assert.doesNotMatch(q.query, /U-OWN-01/);
  assert.match(dealsAtRiskQuery({ database: 'crm', cluster: 'c', owners: [] }).query, /GLOBAL INNER JOIN/);
  assert.throws(() => dealsAtRiskQuery({ database: 'crm; DROP', owners: [] }));
});

test('the digest carries the section in text, HTML, Slack and data; without deals nothing changes', async () => {
  const { renderText, renderHtml, renderWebhook, digestData } = await import('../../alerts/digest.ts');
  const base = { deliveryId: 'dl-1', messageId: 'm-1', ownerId: 'U-OWN-01', recipient: 'ann@example.com', window: 'w', windowAt: new Date('2024-07-01T06:00:00Z'), plannedAt: new Date('2024-07-01T06:00:00Z'), items: [], more: 0 };
  const withDeals = { ...base, deals: [deal] };
  assert.ok(renderText(withDeals).includes(dealsText([deal]).join('\n')));
  assert.ok(!renderText(base).includes('open deals at risk'));
  const html = renderHtml(withDeals);
  assert.ok(html.includes(dealsHtml([deal], esc)) && !html.includes('<script>'));
  const hook = renderWebhook(withDeals) as { blocks: { text?: { text: string } }[]; digest: { deals_at_risk?: unknown[] } };
  assert.ok(hook.blocks.some((b) => b.text?.text.startsWith('*Open deals at risk*')));
  assert.deepEqual(hook.digest.deals_at_risk, dealsData([deal]));
  assert.equal('deals_at_risk' in digestData(base), false);
});

test('every owner when the rules say "all": no owner list bound, customers without an owner left out', () => {
  const q = dealsAtRiskQuery({ database: 'crm', owners: null });
  assert.match(q.query, /WHERE owner_id != ''\) AS c/);
  assert.equal('owners' in q.query_params, false);
});

const DAY = 86_400_000;
const at = (day: number) => new Date(Date.UTC(2024, 2, 1) + day * DAY);
// Whether an owner without a churn alert gets a deals-only digest: [case, deals now, previous deals digest, cooldownDays, window, due]
for (const [name, ids, prev, cooldown, windowDay, due] of [
  ['no deals at risk', [], undefined, 14, 1, false],
  ['first time', ['O-1'], undefined, 14, 1, true],
  ['same deals the next day', ['O-1', 'O-2'], { day: 0, ids: ['O-2', 'O-1'] }, 14, 1, false],
  ['fewer deals than last time', ['O-1'], { day: 0, ids: ['O-1', 'O-2'] }, 14, 1, false],
  ['a new deal at risk', ['O-1', 'O-3'], { day: 0, ids: ['O-1', 'O-2'] }, 14, 1, true],
  ['same deals, cooldown passed (14 days)', ['O-1'], { day: 0, ids: ['O-1'] }, 14, 14, true],
  ['same deals, a day before the cooldown', ['O-1'], { day: 0, ids: ['O-1'] }, 14, 13, false],
  ['same deals, no cooldown reminders', ['O-1'], { day: 0, ids: ['O-1'] }, null, 400, false],
  ['a re-run of the window of the last digest', ['O-9'], { day: 3, ids: ['O-1'] }, 14, 3, false],
] as const) {
  test(`deals-only digest due: ${name}`, () => {
    assert.equal(dealsDigestDue(ids, prev && { run_window_at: at(prev.day), dealIds: prev.ids }, { cooldownDays: cooldown }, at(windowDay)), due);
  });
}

test('a deals-only digest: subject and opening name the deals, not "0 customers at risk"', () => {
  const d = { items: [], windowAt: new Date('2024-03-11T07:00:00Z'), deals: [deal, { ...deal, opportunityId: 'D4' }] };
  assert.equal(renderSubject(d), 'Deals at risk: 2 open deals (2024-03-11)');
  assert.equal(renderSubject({ ...d, deals: [deal] }), 'Deals at risk: 1 open deal (2024-03-11)');
  const text = renderText({ ...d, deliveryId: 'dg-1', messageId: '<m>', ownerId: 'U-1', recipient: '', window: '', plannedAt: d.windowAt, more: 0 });
  assert.match(text, /^Deals at risk for U-1 - run of 2024-03-11 07:00/);
  assert.match(text, /No new churn alerts in this run\./);
  assert.doesNotMatch(text, /0 of your accounts/);
});
