/**
 * The open-deals section of the owner's digest (issue 18): pure renderers and the query text.
 * Amounts and percentages are the product's formats (lib/format); every deal value is escaped in
 * HTML and Slack text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dealNumbers, dealsAtRiskQuery, dealsData, dealsHtml, dealsMrkdwn, dealsText, type DealAtRisk } from '../../alerts/deals-at-risk.ts';

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
  assert.equal(dealNumbers(deal), 'win probability 30% - value at risk €3,500 of €5,000');
  assert.equal(dealNumbers(deal, { locale: 'en-US', currency: 'USD' }), 'win probability 30% - value at risk $3,500 of $5,000');
});

test('text section: one numbered deal with its reasons; nothing without deals', () => {
  assert.deepEqual(dealsText([deal]), [
    'Your open deals at risk (value at risk = amount x (1 - win probability)):',
    '',
    '1. Fit-out <script>alert(1)</script> (Cora & Co) - win probability 30% - value at risk €3,500 of €5,000',
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
