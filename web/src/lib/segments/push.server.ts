import { localSecrets } from '../../../../lib/config.ts';
import { configFrom, type Config, type Env } from '../../../../lib/config/schema.ts';
import { sendWebhook } from '../../../../lib/webhook/index.ts';
import { getWebContext } from '../server/context.ts';
import { serverLog } from '../server/errors.ts';

/**
 * Pushing a segment's members to a campaign tool: one JSON POST to CAMPAIGN_WEBHOOK_URL, signed
 * and retried by lib/webhook, like the alerts' webhooks, so one verifier serves both:
 *
 *   X-CRM-Timestamp: <unix seconds>
 *   X-CRM-Signature: v1=<hex HMAC-SHA256(webhookSecret, "v1:" + timestamp + ":" + raw body)>
 *   X-CRM-Delivery-Id / Idempotency-Key: the push id (the same on every retry)
 *
 * Retried with exponential backoff (0.5, 1, 2 s; a Retry-After up to 10 s is honoured) on network
 * errors, 408, 425, 429 and 5xx; never on another 4xx. Every attempt is logged.
 */
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

/**
 * The webhook (CAMPAIGN_WEBHOOK_URL) and its signing secret (CRM_WEBHOOK_SECRET, else the one kept
 * in the data directory), both read through the config schema (lib/config/schema.ts).
 */
export function pushConfig(env: Env | Config = process.env, dataDir = getWebContext().dataDir): { url: string; secret: string } | undefined {
  const config = configFrom(env);
  const url = config.CAMPAIGN_WEBHOOK_URL;
  if (!url) return undefined;
  return { url, secret: localSecrets(dataDir, config).webhookSecret };
}

const defaultLog = (line: string): void => serverLog().info({ feature: 'segments' }, line);

export async function pushToWebhook(payload: unknown, opts: PushOptions): Promise<PushResult> {
  const attempts = opts.attempts ?? 4;
  const log = opts.log ?? defaultLog;
  const r = await sendWebhook(opts.url, opts.secret, payload, {
    // A marketer waits on the page for the answer: a receiver asking for more than 10 s gets a failed push (push again later).
    policy: { attempts, baseDelayMs: opts.baseDelayMs ?? 500, factor: 2, maxDelayMs: 10_000 },
    timeoutMs: opts.timeoutMs,
    sleep: opts.sleep,
    onAttempt: (a) => log(`push ${a.deliveryId} attempt ${a.attempt}/${a.attempts}: ${a.status ? `HTTP ${a.status}` : a.error}`),
  });
  return { ok: r.ok, pushId: r.deliveryId, attempts: r.attempts, status: r.status, error: r.ok ? undefined : r.status ? `HTTP ${r.status}` : r.error };
}
