/**
 * When a webhook delivery is tried again, and after how long. One policy for every sender:
 *
 * - retried: network errors and timeouts (no answer), HTTP 408 Request Timeout, 425 Too Early,
 *   429 Too Many Requests and every 5xx — the receiver may accept the same request later;
 * - never retried: any other 4xx (the request itself is wrong: a bad URL, a refused signature,
 *   a payload the receiver rejects; sending it again cannot help), nor a 1xx/3xx (fetch follows
 *   redirects, so one left over is a misconfigured URL).
 *
 * Backoff: `baseDelayMs × factor^(n-1)` before the (n+1)-th attempt. A `Retry-After` answer
 * (seconds or an HTTP date) is honoured: the wait is at least what it asks. When it asks for more
 * than `maxDelayMs`, the sender stops now instead of holding a run or a request that long (the
 * failure is reported; alerts try again on their next run, a marketer pushes again).
 */
export interface RetryPolicy {
  /** Attempts in all (the first one included). */
  attempts: number;
  /** Wait before the second attempt. */
  baseDelayMs: number;
  /** Each further wait is this many times the previous one. */
  factor: number;
  /** Longest wait a Retry-After may ask for; beyond it, no further attempt. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 1000, factor: 4, maxDelayMs: 60_000 };

/** True for the HTTP statuses worth another attempt: 408, 425, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** A Retry-After header as milliseconds from `now` (delta-seconds or an HTTP date; never negative); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date is always in GMT (RFC 9110 §5.6.7); Date.parse alone would take "-5" or "1.5" for dates.
  const at = /\bGMT$/i.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * The wait before the next attempt after `failedAttempts` attempts have failed, or undefined when
 * there is to be none (attempts used up, or a Retry-After beyond `maxDelayMs`).
 */
export function nextRetryDelayMs(policy: RetryPolicy, failedAttempts: number, retryAfterMs?: number): number | undefined {
  if (failedAttempts >= policy.attempts) return undefined;
  const backoff = policy.baseDelayMs * policy.factor ** (failedAttempts - 1);
  if (retryAfterMs === undefined) return backoff;
  if (retryAfterMs > policy.maxDelayMs) return undefined;
  return Math.max(backoff, retryAfterMs);
}
