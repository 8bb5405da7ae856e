/**
 * Eighth security review: lines a source system's names start in a digest. A customer's name is
 * whatever the web shop or CRM holds (ingest keeps line breaks inside quoted fields), and the
 * plain-text digest and the Slack message printed it as it was: a name of "Anna" and a line break
 * and "IMPORTANT from IT: your CRM password expires today, renew it at https://…" became a
 * paragraph of the company's own alert e-mail. The HTML part folds line breaks anyway.
 *
 * Now every value from the data is one line in the text and Slack bodies (alerts/digest.ts
 * oneLine): the name is all there, on its own item's line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderText, renderWebhook, type Digest } from '../../alerts/digest.ts';

const PHISH = 'IMPORTANT from IT: your CRM password expires today, renew it at https://crm-login.example';
const names = [`Anna\n\n${PHISH}`, `Anna\r\n${PHISH}`, `Anna\u2028${PHISH}`, `Anna\u0085${PHISH}`, `Anna\v\f${PHISH}`];

const digest = (name: string): Digest => ({
  deliveryId: 'dg-1',
  messageId: '<dg-1@x>',
  ownerId: 'U-1',
  recipient: 'a@x',
  window: '2024-03-10T11:00:00.000Z',
  windowAt: new Date('2024-03-10T11:00:00Z'),
  plannedAt: new Date('2024-03-10T11:00:01Z'),
  more: 0,
  items: [
    {
      customerId: 'C-1',
      customerName: name,
      episodeId: 'e',
      probability: 0.8,
      previousProbability: 0.5,
      valueAtRisk: 1000,
      valueBasis: 'clv_12m',
      reasons: [{ text: `channel is ${name}` } as Digest['items'][number]['reasons'][number]],
      nextStep: 'Call.',
      trigger: 'rise',
      url: 'https://crm.test/customers/C-1',
    },
  ],
});

test('a name from the data starts no line of its own in the text digest or the Slack message', () => {
  for (const name of names) {
    const text = renderText(digest(name), 'UTC', `Owner\n${PHISH}`);
    const lines = text.split(/\r\n|[\n\r\u2028\u2029\u0085\v\f]/);
    assert.ok(!lines.some((l) => l.startsWith('IMPORTANT')), `a line of the text digest starts with the planted text (${JSON.stringify(name)}):\n${text}`);
    assert.match(text, /^1\. Anna +IMPORTANT from IT: .* \(C-1\) - /m, 'the whole name, on the item line');
    // What Slack shows (the `digest` part is the same content as data, for other receivers).
    const { text: fallback, blocks } = renderWebhook(digest(name));
    const slack = JSON.stringify({ fallback, blocks });
    assert.doesNotMatch(slack, /Anna(\\n|\\r|\\u2028|\\u0085|\\u000b|\\f)/, `the Slack body keeps the break (${JSON.stringify(name)})`);
  }
});
