/**
 * Retries inside one run: a few attempts with exponential backoff for transient failures (connection
 * refused, timeouts, 4xx SMTP replies, and what lib/webhook's policy retries: HTTP 408, 425, 429,
 * 5xx, honouring Retry-After). Permanent failures (SMTP 5xx, other HTTP 4xx) are not retried
 * within the run. Either way a delivery that still fails is recorded as failed and tried again by
 * the next run. The waits come from lib/webhook's nextRetryDelayMs, for every channel.
 */
import { DEFAULT_RETRY_POLICY, isRetryableError, nextRetryDelayMs, WebhookError } from '../../lib/webhook/index.ts';

export interface RetryOptions {
  /** Attempts per delivery and run (default 3). */
  attempts?: number;
  /** Delay before the second attempt (default 1000 ms); each further one waits `factor` times longer. */
  baseDelayMs?: number;
  factor?: number;
  /** Longest wait a webhook's Retry-After may ask for (default 60 s); beyond it, no further attempt in this run. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export interface RetryOutcome {
  ok: boolean;
  attempts: number;
  error?: string;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function isPermanent(err: unknown): boolean {
  if (err instanceof PermanentDeliveryError) return true;
  if (err instanceof WebhookError) return !isRetryableError(err);
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function errorText(err: unknown): string {
  const e = err as { message?: string; code?: string; responseCode?: number };
  const text = e?.message ?? String(err);
  return e?.code && !text.includes(e.code) ? `${e.code}: ${text}` : text;
}

export async function withRetry(fn: () => Promise<void>, opts: RetryOptions = {}): Promise<RetryOutcome> {
  const policy = {
    attempts: Math.max(1, opts.attempts ?? DEFAULT_RETRY_POLICY.attempts),
    baseDelayMs: opts.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    factor: opts.factor ?? DEFAULT_RETRY_POLICY.factor,
    maxDelayMs: opts.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return { ok: true, attempts: attempt };
    } catch (err) {
      const error = errorText(err);
      if (isPermanent(err)) return { ok: false, attempts: attempt, error };
      const delay = nextRetryDelayMs(policy, attempt, err instanceof WebhookError ? err.retryAfterMs : undefined);
      if (delay === undefined) return { ok: false, attempts: attempt, error };
      await sleep(delay);
    }
  }
}
