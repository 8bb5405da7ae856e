/**
 * Sixth security review, found and left to the alerts' owner (alerts/digest.ts was being changed
 * during the review): the Slack body's `text` — the notification Slack shows and, in mrkdwn,
 * parses — carries the owner id unescaped. Owner ids come from source data (any customers file or
 * HTTP push: ids refuse only control characters), so an owner id `<!channel>` pings the whole
 * channel at every digest, and `<https://phish.example|Open the CRM>` shows a link of the
 * loader's choosing. The blocks escaped it already (`mrk`); the text now does too (it failed on the
 * code as reviewed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderWebhook, type Digest } from '../../alerts/digest.ts';

const digestFor = (ownerId: string): Digest => ({
  deliveryId: 'dg-1',
  messageId: '<dg-1.alerts@x>',
  ownerId,
  recipient: '',
  window: '2024-03-10T11:00:00.000Z',
  windowAt: new Date('2024-03-10T11:00:00Z'),
  plannedAt: new Date('2024-03-10T11:00:01Z'),
  items: [],
  more: 0,
});

test('an owner id from source data is no Slack mention or link in the notification text', () => {
  for (const ownerId of ['<!channel>', '<https://phish.example|Open the CRM>', '<@U024BE7LH>']) {
    const body = renderWebhook(digestFor(ownerId));
    const text = String(body.text);
    assert.doesNotMatch(text, /<[!@h]/, `notification text: ${text}`);
    assert.match(JSON.stringify(body.blocks), /&lt;/, 'the blocks escape it');
  }
});
