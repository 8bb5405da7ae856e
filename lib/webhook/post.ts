/**
 * Sending a signed JSON webhook: one attempt (postSignedJson, for callers with their own retry
 * loop, such as the alerts run) or attempts under the retry policy (sendWebhook).
 */
import { randomUUID } from 'node:crypto';
import { isRetryableStatus, nextRetryDelayMs, parseRetryAfter, type RetryPolicy, DEFAULT_RETRY_POLICY } from './retry-policy.ts';
import { signedHeaders } from './sign.ts';

/** A webhook that answered, but not 2xx: `retryable` says whether the policy tries again. */
export class WebhookError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    /** What the receiver's Retry-After asked for, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** Network errors and timeouts are retried; an answer is retried when its status is. */
export function isRetryableError(err: unknown): boolean {
  return err instanceof WebhookError ? err.retryable : true;
}

export interface PostOptions {
  timeoutMs?: number;
  now?: () => Date;
}

/**
 * The most of a receiver's answer that is read. Only a short excerpt goes into the error; the rest
 * was read whole before (fourth security review): a receiver (or whatever answers at its address)
 * streaming gigabytes within the timeout held them all in the web or worker process's memory.
 */
export const ANSWER_BYTES = 64 * 1024;

/** Up to ANSWER_BYTES of the answer as text; the rest is not read (the connection is closed instead of drained). */
async function answerText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A cut answer still has a status: the excerpt is whatever came.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, ANSWER_BYTES));
}

/** One signed POST of `body` (JSON text). Resolves with the status on 2xx; throws WebhookError on another answer, fetch's error when there is none. */
export async function postSignedJson(url: string, secret: string, deliveryId: string, body: string, opts: PostOptions = {}): Promise<number> {
  const now = opts.now?.() ?? new Date();
  const res = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(secret, deliveryId, body, now),
    body,
    // Never followed: the receiver would choose where the product sends next — a 307/308 re-posts the
    // signed body (customers' ids and names) with its signature to any host, and any redirect reaches
    // the engine, Cube or the ingest API on 127.0.0.1, or a cloud metadata address, from inside.
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
  });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get('location');
    throw new WebhookError(
      `webhook answered HTTP ${res.status}, a redirect${location ? ` to ${location.split(/[?#]/)[0].slice(0, 200)}` : ''}: redirects are not followed; configure the URL it points to`,
      res.status,
      false,
    );
  }
  const text = await answerText(res);
  if (res.ok) return res.status;
  throw new WebhookError(
    `webhook answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    res.status,
    isRetryableStatus(res.status),
    parseRetryAfter(res.headers.get('retry-after'), now),
  );
}

export interface SendOptions extends PostOptions {
  /** The delivery id (X-CRM-Delivery-Id, Idempotency-Key), the same on every attempt. Default: a new UUID. */
  deliveryId?: string;
  policy?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** Called after every attempt. */
  onAttempt?: (a: { deliveryId: string; attempt: number; attempts: number; status?: number; error?: string }) => void;
}

export interface SendResult {
  ok: boolean;
  deliveryId: string;
  attempts: number;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  error?: string;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs `payload` as signed JSON, retrying as the policy says (retry-policy.ts). Never throws for a failed delivery. */
export async function sendWebhook(url: string, secret: string, payload: unknown, opts: SendOptions = {}): Promise<SendResult> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
  const deliveryId = opts.deliveryId ?? randomUUID();
  const body = JSON.stringify(payload);
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    let last: SendResult;
    let retryAfterMs: number | undefined;
    try {
      const status = await postSignedJson(url, secret, deliveryId, body, opts);
      opts.onAttempt?.({ deliveryId, attempt, attempts: policy.attempts, status });
      return { ok: true, deliveryId, attempts: attempt, status };
    } catch (err) {
      const status = err instanceof WebhookError ? err.status : undefined;
      last = { ok: false, deliveryId, attempts: attempt, status, error: (err as Error).message };
      opts.onAttempt?.({ deliveryId, attempt, attempts: policy.attempts, status, error: last.error });
      if (!isRetryableError(err)) return last;
      retryAfterMs = err instanceof WebhookError ? err.retryAfterMs : undefined;
    }
    const delay = nextRetryDelayMs(policy, attempt, retryAfterMs);
    if (delay === undefined) return last;
    await sleep(delay);
  }
}
