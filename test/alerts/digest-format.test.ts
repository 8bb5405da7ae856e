import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtml, renderText, renderWebhook, type Digest } from '../../alerts/digest.ts';
import { formatPercent as pagePercent } from '../../web/src/lib/format/format.ts';

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

test('amounts carry the base currency, probabilities have the page’s one decimal', () => {
  const text = renderText(digest());
  // 0.8649 → 86.5%, 0.5551 → 55.5%, 58,086.68 → €58,087 (whole euros); the CLV it comes from by its own name.
  assert.match(
    text,
    /Churn probability 86\.5% - value at risk €58,087 \(churn probability × 12-month CLV of €67,160\)/,
  );
  assert.match(text, /risk up from 55\.5% at the last alert/);
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

// A digest and the dashboard say the same number (session 11): digests rounded to whole percents,
// so a 99.6 % risk read ">99%" and a 0.4 % one "<1%" where the customer's page (formatPercent, one
// decimal) said "99.6%" and "0.4%"; 86.49 % read "86%" beside the page's "86.5%". The expected
// strings are written out here, and checked against the page's own formatter too.
test('a probability reads as on the customer’s page: 99.6%, 0.4%, >99.9%, <0.1%, escaped for HTML and Slack', () => {
  const cases: [number, number, string, string][] = [
    [0.996, 0.004, '99.6%', '0.4%'],
    [0.99996, 0.00004, '>99.9%', '<0.1%'],
    [0.6049, 0.0951, '60.5%', '9.5%'],
  ];
  for (const [p, prev, shown, prevShown] of cases) {
    assert.equal(pagePercent(p), shown, 'the customer page’s formatter');
    assert.equal(pagePercent(prev), prevShown, 'the customer page’s formatter');
    const d = digest();
    d.items[0] = { ...d.items[0], probability: p, previousProbability: prev, valueAtRisk: p * 67_160 };
    const text = renderText(d);
    assert.ok(text.includes(`Churn probability ${shown} - value at risk`), text);
    assert.ok(text.includes(`risk up from ${prevShown} at the last alert`), text);
    const html = renderHtml(d);
    const esc = (x: string) => x.replace(/</g, '&lt;').replace(/>/g, '&gt;');
    assert.ok(html.includes(`Churn probability <strong>${esc(shown)}</strong>`), html);
    assert.ok(html.includes(`risk up from ${esc(prevShown)} at the last alert`), html);
    const slack = JSON.stringify(renderWebhook(d).blocks);
    assert.ok(slack.includes(`Churn probability *${esc(shown)}*`), slack);
    assert.doesNotMatch(slack, /[^&][<>][0-9]/);
  }
});
