/**
 * The ingest endpoint's admission queue (ingest/http/queue.ts) on a hand-driven clock: arrival
 * order, the count and byte bounds, the bounded wait, leaving the queue, and Retry-After from the
 * measured service time. Pure: no server, no timers of its own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AdmissionQueue,
  INITIAL_SERVICE_SECONDS,
  QueueRefusal,
  type QueueClock,
  type QueueLimits,
} from '../../ingest/http/queue.ts';

/** A clock the test advances; timers fire only inside advance(). */
class ManualClock implements QueueClock {
  ms = 0;
  #timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.ms;
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.ms + ms, fn, live: true };
    this.#timers.push(timer);
    return () => (timer.live = false);
  }
  advance(ms: number): void {
    this.ms += ms;
    for (const t of this.#timers.filter((t) => t.live && t.at <= this.ms)) {
      t.live = false;
      t.fn();
    }
  }
}

const limits = (over: Partial<QueueLimits> = {}): QueueLimits => ({
  maxConcurrent: 2,
  maxWaiting: 3,
  maxWaitingBytes: 1000,
  maxWaitMs: 30_000,
  ...over,
});
const refusal = (fn: () => unknown): QueueRefusal => {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueueRefusal) return err;
    throw err;
  }
  assert.fail('expected a QueueRefusal');
};
/** Lets settled promises run their callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AdmissionQueue', () => {
  test('grants up to maxConcurrent at once, then serves the waiters first come first served', async () => {
    const q = new AdmissionQueue(limits(), new ManualClock());
    const order: string[] = [];
    const tickets = ['a', 'b', 'c', 'd', 'e'].map((name) => {
      const t = q.enter(10);
      void t.granted.then(() => order.push(name));
      return t;
    });
    await settle();
    assert.deepEqual(order, ['a', 'b']);
    assert.deepEqual(q.stats(), { inFlight: 2, waiting: 3, waitingBytes: 30, serviceSeconds: INITIAL_SERVICE_SECONDS });
    tickets[1]!.release();
    await settle();
    assert.deepEqual(order, ['a', 'b', 'c']);
    tickets[0]!.release();
    tickets[2]!.release();
    await settle();
    assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(q.stats().waiting, 0);
    assert.equal(q.stats().waitingBytes, 0);
    assert.equal(q.stats().inFlight, 2);
    tickets[1]!.release(); // twice: no effect
    assert.equal(q.stats().inFlight, 2);
  });

  test('a newcomer does not overtake waiters when a slot frees', async () => {
    const q = new AdmissionQueue(limits({ maxConcurrent: 1 }), new ManualClock());
    const first = q.enter(1);
    const second = q.enter(1);
    first.release();
    const third = q.enter(1);
    let thirdIn = false;
    void third.granted.then(() => (thirdIn = true));
    await second.granted;
    await settle();
    assert.equal(thirdIn, false);
    second.release();
    await third.granted;
  });

  test('refuses past the count and the byte bound, with Retry-After from the queue', () => {
    const q = new AdmissionQueue(limits({ maxConcurrent: 2, maxWaiting: 3, maxWaitingBytes: 100 }), new ManualClock());
    q.enter(500); // slots do not count bytes: their bodies are bounded by the body limit
    q.enter(500);
    q.enter(60);
    const tooBig = refusal(() => q.enter(41));
    assert.equal(tooBig.reason, 'too_many_bytes');
    q.enter(40); // exactly 100
    q.enter(0);
    const full = refusal(() => q.enter(0));
    assert.equal(full.reason, 'full');
    // 2 holding + 3 waiting, 2 at a time, about 1 s each (nothing measured yet): ceil(5 × 1 / 2).
    assert.equal(full.retryAfterSeconds, Math.ceil((5 * 1) / 2));
  });

  test('no queue: refused as soon as every slot is taken', () => {
    const q = new AdmissionQueue(limits({ maxConcurrent: 1, maxWaiting: 0 }), new ManualClock());
    q.enter(1);
    const r = refusal(() => q.enter(1));
    assert.equal(r.reason, 'full');
    assert.equal(r.retryAfterSeconds, 1);
  });

  test('Retry-After follows the measured time a request holds its slot', () => {
    const clock = new ManualClock();
    const q = new AdmissionQueue(limits({ maxConcurrent: 2, maxWaiting: 2 }), clock);
    // Ten requests of 8 s each, one after another: the running estimate moves from 1 s towards 8 s.
    let expected = INITIAL_SERVICE_SECONDS;
    for (let i = 0; i < 10; i++) {
      const t = q.enter(0);
      clock.advance(8000);
      t.release();
      expected = 0.2 * 8 + 0.8 * expected;
    }
    assert.ok(Math.abs(q.stats().serviceSeconds - expected) < 1e-9, `${q.stats().serviceSeconds} vs ${expected}`);
    for (let i = 0; i < 4; i++) q.enter(0);
    const r = refusal(() => q.enter(0));
    assert.equal(r.retryAfterSeconds, Math.ceil((expected * 4) / 2));
    assert.ok(r.retryAfterSeconds > 10, `8-second loads, 4 ahead, 2 at a time: ${r.retryAfterSeconds}`);
  });

  test('a waiter gives up after maxWaitMs with a refusal and frees its place', async () => {
    const clock = new ManualClock();
    const q = new AdmissionQueue(limits({ maxConcurrent: 1, maxWaiting: 1, maxWaitMs: 5000 }), clock);
    const holder = q.enter(1);
    const waiter = q.enter(7);
    clock.advance(4999);
    assert.equal(q.stats().waiting, 1);
    clock.advance(1);
    const err = await waiter.granted.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof QueueRefusal && err.reason === 'timeout', String(err));
    assert.deepEqual([q.stats().waiting, q.stats().waitingBytes], [0, 0]);
    waiter.release(); // what the server's finally does: nothing to give back
    assert.equal(q.stats().inFlight, 1);
    holder.release();
    assert.equal(q.stats().inFlight, 0);
  });

  test('a granted waiter is not timed out later', async () => {
    const clock = new ManualClock();
    const q = new AdmissionQueue(limits({ maxConcurrent: 1, maxWaitMs: 5000 }), clock);
    const holder = q.enter(1);
    const waiter = q.enter(1);
    clock.advance(1000);
    holder.release();
    await waiter.granted;
    assert.equal(waiter.waitedMs(), 1000);
    clock.advance(10_000);
    assert.equal(q.stats().inFlight, 1);
    waiter.release();
    assert.equal(q.stats().inFlight, 0);
  });

  test('abandon leaves the queue at once; on a held slot it does nothing', async () => {
    const q = new AdmissionQueue(limits({ maxConcurrent: 1 }), new ManualClock());
    const holder = q.enter(1);
    const gone = q.enter(5);
    const next = q.enter(3);
    gone.abandon();
    const err = await gone.granted.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof QueueRefusal && err.reason === 'abandoned');
    assert.deepEqual([q.stats().waiting, q.stats().waitingBytes], [1, 3]);
    holder.abandon();
    assert.equal(q.stats().inFlight, 1);
    holder.release();
    await next.granted;
    assert.deepEqual([q.stats().inFlight, q.stats().waiting], [1, 0]);
  });

  test('refuses nonsense limits', () => {
    assert.throws(() => new AdmissionQueue(limits({ maxConcurrent: 0 })), /maxConcurrent must be a positive number/);
    assert.throws(() => new AdmissionQueue(limits({ maxWaiting: -1 })), /maxWaiting/);
    assert.throws(() => new AdmissionQueue(limits({ maxWaitMs: Number.NaN })), /maxWaitMs/);
  });
});
