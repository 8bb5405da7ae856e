/**
 * Retries inside one run: a few attempts with exponential backoff for transient failures (connection
 * refused, timeouts, 4xx SMTP replies, HTTP 5xx/429). Permanent failures (SMTP 5xx, HTTP 4xx) are
 * not retried within the run. Either way a delivery that still fails is recorded as failed and
 * tried again by the next run.
 */
export interface RetryOptions {
  /** Attempts per delivery and run (default 3). */
  attempts?: number;
  /** Delay before the second attempt (default 1000 ms); each further one waits `factor` times longer. */
  baseDelayMs?: number;
  factor?: number;
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
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function errorText(err: unknown): string {
  const e = err as { message?: string; code?: string; responseCode?: number };
  const text = e?.message ?? String(err);
  return e?.code && !text.includes(e.code) ? `${e.code}: ${text}` : text;
}

export async function withRetry(fn: () => Promise<void>, opts: RetryOptions = {}): Promise<RetryOutcome> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  const base = opts.baseDelayMs ?? 1000;
  const factor = opts.factor ?? 4;
  const sleep = opts.sleep ?? defaultSleep;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(base * factor ** (i - 1));
    try {
      await fn();
      return { ok: true, attempts: i + 1 };
    } catch (err) {
      last = errorText(err);
      if (isPermanent(err)) return { ok: false, attempts: i + 1, error: last };
    }
  }
  return { ok: false, attempts, error: last };
}
