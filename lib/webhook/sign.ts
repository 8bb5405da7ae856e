/**
 * Signed webhooks, one scheme for every sender (churn-alert digests, campaign pushes):
 *
 *   X-CRM-Timestamp: <unix seconds>
 *   X-CRM-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
 *   X-CRM-Delivery-Id / Idempotency-Key: the delivery's id (the same on every retry)
 *
 * A receiver checks it with verifyWebhookSignature and drops a delivery id it has already seen.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-crm-signature';
export const TIMESTAMP_HEADER = 'x-crm-timestamp';
export const DELIVERY_HEADER = 'x-crm-delivery-id';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}`;
}

/** For receivers: true when the signature matches and the timestamp is within `toleranceSeconds` (default 300) of now. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  opts: { toleranceSeconds?: number; now?: Date } = {},
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || !headers.signature) return false;
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The headers of one signed JSON POST, signed at `now`. */
export function signedHeaders(secret: string, deliveryId: string, body: string, now: Date = new Date()): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return {
    'content-type': 'application/json',
    [TIMESTAMP_HEADER]: String(ts),
    [SIGNATURE_HEADER]: signWebhook(secret, ts, body),
    [DELIVERY_HEADER]: deliveryId,
    'idempotency-key': deliveryId,
  };
}
