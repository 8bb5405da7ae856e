/**
 * The webhook channel: a Slack-compatible JSON POST of the digest (`{ text, blocks, digest }`),
 * signed and classified by lib/webhook (HMAC-SHA256 headers; 408, 425, 429 and 5xx are worth
 * another attempt, other 4xx are not). The delivery id is the X-CRM-Delivery-Id and
 * Idempotency-Key, the same on every retry: Slack ignores the extra headers; a receiver of ours
 * verifies with verifyWebhookSignature and drops a delivery id it has already seen.
 */
import { postSignedJson } from '../../lib/webhook/index.ts';
import type { AlertsConfig } from '../config.ts';
import { renderWebhook } from '../digest.ts';
import type { Sender } from './sender.ts';

/** The `webhook` channel's sender (ALERT_WEBHOOK_URL; a digest planned for it while unset fails). */
export function webhookSender(config: Pick<AlertsConfig, 'webhookUrl' | 'webhookSecret'>, opts: { timeoutMs?: number } = {}): Sender {
  return {
    async send(d, ctx) {
      if (!config.webhookUrl) throw new Error('ALERT_WEBHOOK_URL is not set (this digest was planned for the webhook)');
      await postSignedJson(config.webhookUrl, config.webhookSecret, d.deliveryId, JSON.stringify(renderWebhook(d, ctx.timezone)), { timeoutMs: opts.timeoutMs });
    },
  };
}
