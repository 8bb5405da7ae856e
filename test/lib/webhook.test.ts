import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  isRetryableStatus,
  nextRetryDelayMs,
  parseRetryAfter,
  sendWebhook,
  signWebhook,
  verifyWebhookSignature,
  type RetryPolicy,
} from '../../lib/webhook/index.ts';

// lib/webhook: one signing scheme and one retry policy for the alert webhooks and campaign pushes.
// Pure: fetch is replaced by a scripted one (no socket).

describe('retry policy: which answers are tried again', () => {
  const table: [number, boolean][] = [
    [200, false], // (never asked: 2xx is success)
    [301, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [405, false],
    [408, true], // Request Timeout
    [409, false],
    [410, false],
    [413, false],
    [422, false],
    [425, true], // Too Early
    [429, true], // Too Many Requests
    [431, false],
    [499, false],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [599, true],
  ];
  for (const [status, retry] of table) test(`HTTP ${status} → ${retry ? 'retry' : 'no retry'}`, () => assert.equal(isRetryableStatus(status), retry));
});

describe('Retry-After', () => {
  const now = new Date('2026-12-06T09:00:00Z');
  const table: [string | null | undefined, number | undefined][] = [
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['0', 0],
    ['7', 7000],
    [' 120 ', 120_000],
    ['Sun, 06 Dec 2026 09:00:30 GMT', 30_000],
    ['Sun, 06 Dec 2026 08:59:00 GMT', 0], // in the past: no wait
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ];
  for (const [header, ms] of table) test(`${JSON.stringify(header)} → ${ms} ms`, () => assert.equal(parseRetryAfter(header, now), ms));
});

describe('nextRetryDelayMs: backoff, Retry-After, give up', () => {
  const policy: RetryPolicy = { attempts: 4, baseDelayMs: 500, factor: 2, maxDelayMs: 10_000 };
  const table: [string, number, number | undefined, number | undefined][] = [
    ['after the 1st failure', 1, undefined, 500],
    ['after the 2nd', 2, undefined, 1000],
    ['after the 3rd', 3, undefined, 2000],
    ['after the last: none', 4, undefined, undefined],
    ['Retry-After longer than the backoff wins', 1, 3000, 3000],
    ['Retry-After shorter than the backoff: the backoff', 3, 100, 2000],
    ['Retry-After at the cap', 1, 10_000, 10_000],
    ['Retry-After beyond the cap: stop now', 1, 10_001, undefined],
    ['Retry-After does not add attempts', 4, 1000, undefined],
  ];
  for (const [name, failed, retryAfter, want] of table) test(name, () => assert.equal(nextRetryDelayMs(policy, failed, retryAfter), want));
});

describe('sendWebhook', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });
  /** Answers from a script (a status, status + headers, or a network error); records each request. */
  function script(answers: (number | { status: number; headers?: Record<string, string> } | Error)[]) {
    const requests: { headers: Record<string, string>; body: string }[] = [];
    globalThis.fetch = (async (_url: string, init: RequestInit) => {
      requests.push({ headers: init.headers as Record<string, string>, body: String(init.body) });
      const a = answers[Math.min(requests.length - 1, answers.length - 1)];
      if (a instanceof Error) throw a;
      const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a;
      return new Response(status === 204 ? null : 'answer', { status, headers });
    }) as typeof fetch;
    return requests;
  }
  const policy = { attempts: 4, baseDelayMs: 500, factor: 2, maxDelayMs: 10_000 };

  const table: [string, Parameters<typeof script>[0], { ok: boolean; attempts: number; status?: number; sleeps: number[] }][] = [
    ['2xx at once', [200], { ok: true, attempts: 1, status: 200, sleeps: [] }],
    ['408 is retried', [408, 204], { ok: true, attempts: 2, status: 204, sleeps: [500] }],
    ['425 is retried', [425, 200], { ok: true, attempts: 2, status: 200, sleeps: [500] }],
    ['429 honours Retry-After', [{ status: 429, headers: { 'retry-after': '3' } }, 200], { ok: true, attempts: 2, status: 200, sleeps: [3000] }],
    ['503 with backoff until the attempts run out', [503], { ok: false, attempts: 4, status: 503, sleeps: [500, 1000, 2000] }],
    ['a network error is retried', [new TypeError('fetch failed'), 200], { ok: true, attempts: 2, status: 200, sleeps: [500] }],
    ['400 is not retried', [400, 200], { ok: false, attempts: 1, status: 400, sleeps: [] }],
    ['401 is not retried', [401], { ok: false, attempts: 1, status: 401, sleeps: [] }],
    ['404 is not retried', [404], { ok: false, attempts: 1, status: 404, sleeps: [] }],
    ['Retry-After beyond the cap: no wait, no retry', [{ status: 503, headers: { 'retry-after': '3600' } }, 200], { ok: false, attempts: 1, status: 503, sleeps: [] }],
  ];
  for (const [name, answers, want] of table)
    test(name, async () => {
      const requests = script(answers);
      const sleeps: number[] = [];
      const r = await sendWebhook('http://receiver.invalid/hook', 's3cret', { a: 1 }, { policy, sleep: async (ms) => void sleeps.push(ms) });
      assert.deepEqual({ ok: r.ok, attempts: r.attempts, status: r.status, sleeps }, want);
      assert.equal(requests.length, want.attempts);
      // Every attempt signed, under the same delivery id.
      for (const q of requests) {
        assert.equal(q.headers[DELIVERY_HEADER], r.deliveryId);
        assert.equal(q.headers['idempotency-key'], r.deliveryId);
        assert.equal(q.body, '{"a":1}');
        assert.ok(verifyWebhookSignature('s3cret', { timestamp: q.headers[TIMESTAMP_HEADER], signature: q.headers[SIGNATURE_HEADER] }, q.body));
      }
    });

  test('signature: v1=HMAC-SHA256(secret, "v1:<ts>:<body>"), fresh within 5 minutes', () => {
    const now = new Date('2026-12-06T09:00:00Z');
    const ts = Math.floor(now.getTime() / 1000);
    const sig = signWebhook('s3cret', ts, '{}');
    assert.match(sig, /^v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature('s3cret', { timestamp: String(ts), signature: sig }, '{}', { now }), true);
    assert.equal(verifyWebhookSignature('s3cret', { timestamp: String(ts), signature: sig }, '{ }', { now }), false);
    assert.equal(verifyWebhookSignature('s3cret', { timestamp: String(ts), signature: sig }, '{}', { now: new Date(now.getTime() + 301_000) }), false);
  });
});
