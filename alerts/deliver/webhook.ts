/**
 * Slack-compatible JSON webhook, signed so a receiver can check it came from us and is fresh:
 *
 *   X-CRM-Timestamp: <unix seconds>
 *   X-CRM-Signature: v1=<hex HMAC-SHA256(webhookSecret, "v1:" + timestamp + ":" + raw body)>
 *   X-CRM-Delivery-Id / Idempotency-Key: the digest's delivery id (the same on every retry)
 *
 * Slack ignores the extra headers; a receiver of ours verifies with verifyWebhookSignature and
 * drops a delivery id it has already seen.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PermanentDeliveryError } from './retry.ts';

export const SIGNATURE_HEADER = 'x-crm-signature';
export const TIMESTAMP_HEADER = 'x-crm-timestamp';
export const DELIVERY_HEADER = 'x-crm-delivery-id';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}`;
}

/** For receivers: true when the signature matches and the timestamp is within `toleranceSeconds` of now. */
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

export interface WebhookOptions {
  timeoutMs?: number;
  now?: () => Date;
}

export async function postWebhook(url: string, secret: string, deliveryId: string, payload: unknown, opts: WebhookOptions = {}): Promise<void> {
  const body = JSON.stringify(payload);
  const ts = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(ts),
      [SIGNATURE_HEADER]: signWebhook(secret, ts, body),
      [DELIVERY_HEADER]: deliveryId,
      'idempotency-key': deliveryId,
    },
    body,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
  });
  // Drain the body so the connection is released.
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const message = `webhook answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentDeliveryError(message);
  throw new Error(message);
}
