import { createHmac, randomUUID } from 'node:crypto';
import { localSecrets } from '../../../../lib/config.ts';
import { getWebContext } from '../server/context.ts';

/**
 * Pushing a segment's members to a campaign tool: one JSON POST to CAMPAIGN_WEBHOOK_URL, signed
 * like the alerts' webhooks so one verifier serves both:
 *
 *   X-CRM-Timestamp: <unix seconds>
 *   X-CRM-Signature: v1=<hex HMAC-SHA256(webhookSecret, "v1:" + timestamp + ":" + raw body)>
 *   X-CRM-Delivery-Id / Idempotency-Key: the push id (the same on every retry)
 *
 * Retried with exponential backoff on network errors, 429 and 5xx; every attempt is logged.
 */
export const SIGNATURE_HEADER = 'x-crm-signature';
export const TIMESTAMP_HEADER = 'x-crm-timestamp';
export const DELIVERY_HEADER = 'x-crm-delivery-id';

export function signPush(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}`;
}

export interface PushOptions {
  url: string;
  secret: string;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface PushResult {
  ok: boolean;
  pushId: string;
  attempts: number;
  status?: number;
  error?: string;
}

/** The webhook and its signing secret (CRM_WEBHOOK_SECRET, else the one kept in the data directory). */
export function pushConfig(env: Record<string, string | undefined> = process.env, dataDir = getWebContext().dataDir): { url: string; secret: string } | undefined {
  const url = env.CAMPAIGN_WEBHOOK_URL?.trim();
  if (!url) return undefined;
  return { url, secret: localSecrets(dataDir, env).webhookSecret };
}

const defaultLog = (line: string): void => void process.stderr.write(`[segments] ${line}\n`);

export async function pushToWebhook(payload: unknown, opts: PushOptions): Promise<PushResult> {
  const pushId = randomUUID();
  const body = JSON.stringify(payload);
  const attempts = opts.attempts ?? 4;
  const log = opts.log ?? defaultLog;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: PushResult = { ok: false, pushId, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    const ts = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signPush(opts.secret, ts, body),
          [DELIVERY_HEADER]: pushId,
          'idempotency-key': pushId,
        },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      });
      await res.text().catch(() => '');
      last = { ok: res.ok, pushId, attempts: i, status: res.status, error: res.ok ? undefined : `HTTP ${res.status}` };
      log(`push ${pushId} attempt ${i}/${attempts}: HTTP ${res.status}`);
      if (res.ok) return last;
      if (res.status !== 429 && res.status < 500) return last; // permanent: do not retry
    } catch (err) {
      last = { ok: false, pushId, attempts: i, error: (err as Error).message };
      log(`push ${pushId} attempt ${i}/${attempts}: ${(err as Error).message}`);
    }
    if (i < attempts) await sleep((opts.baseDelayMs ?? 500) * 2 ** (i - 1));
  }
  return last;
}
