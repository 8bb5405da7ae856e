import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtml, renderText, renderWebhook, type Digest } from '../../alerts/digest.ts';

// The digest formats its figures with lib/format, like the dashboard (issue 15: the amount in a
// digest had no currency and the churn page's had one).
const digest = (format?: Digest['format']): Digest => ({
  deliveryId: 'dg-1',
  messageId: '<dg-1@x>',
  ownerId: 'U-1',
  recipient: 'a@x',
  window: '2024-03-10T11:00:00.000Z',
  windowAt: new Date('2024-03-10T11:00:00Z'),
  plannedAt: new Date('2024-03-10T11:00:01Z'),
  more: 0,
  format,
  items: [
    {
      customerId: 'C-1',
      customerName: 'Acme',
      episodeId: 'e',
      probability: 0.8649,
      previousProbability: 0.5551,
      // Value at risk as alerts/episodes.ts stores it: probability × 12-month CLV (0.8649 × 67,160 = 58,086.68).
      valueAtRisk: 0.8649 * 67_160,
      valueBasis: 'clv_12m',
      reasons: [],
      nextStep: 'Call.',
      trigger: 'rise',
      url: 'https://crm.test/customers/C-1',
    },
  ],
});

test('amounts carry the base currency, probabilities are whole percents', () => {
  const text = renderText(digest());
  // 0.8649 → 86%, 0.5551 → 56%, 58,086.68 → €58,087 (whole euros); the CLV it comes from by its own name.
  assert.match(text, /Churn probability 86% - value at risk €58,087 \(churn probability × 12-month CLV of €67,160\)/);
  assert.match(text, /risk up from 56% at the last alert/);
  assert.match(
    renderHtml(digest()),
    /value at risk <strong>€58,087<\/strong> \(churn probability × 12-month CLV of €67,160\)/,
  );
  assert.match(
    JSON.stringify(renderWebhook(digest()).blocks),
    /value at risk \*€58,087\* \(churn probability × 12-month CLV of €67,160\)/,
  );
});

test('the currency is the one the digest is given', () => {
  assert.match(
    renderText(digest({ locale: 'en-GB', currency: 'USD' })),
    /value at risk \$58,087 \(churn probability × 12-month CLV of \$67,160\)/,
  );
});

test('a ledger row from before issue 15 on the revenue basis keeps its words', () => {
  const d = digest();
  d.items[0] = { ...d.items[0], valueAtRisk: 1200, valueBasis: 'revenue_12m' };
  assert.match(renderText(d), /value at risk €1,200 \(revenue in the last 12 months\)/);
});

// A 99.6 % churn probability is not a certainty (task E2): whole percents say ">99%", and the
// character is escaped where the channel reads markup (HTML e-mail, Slack mrkdwn).
test('a probability that rounds to 100 % reads ">99%", escaped for HTML and Slack', () => {
  const d = digest();
  d.items[0] = { ...d.items[0], probability: 0.996, previousProbability: 0.004, valueAtRisk: 0.996 * 67_160 };
  const text = renderText(d);
  assert.match(text, /Churn probability >99% - value at risk €66,891 /);
  assert.match(text, /risk up from <1% at the last alert/);
  const html = renderHtml(d);
  assert.match(html, /Churn probability <strong>&gt;99%<\/strong>/);
  assert.match(html, /risk up from &lt;1% at the last alert/);
  const slack = JSON.stringify(renderWebhook(d).blocks);
  assert.match(slack, /Churn probability \*&gt;99%\*/);
  assert.doesNotMatch(slack, /[^&]<1%/);
});
