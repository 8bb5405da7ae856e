/**
 * Admission for the ingest endpoint: up to `maxConcurrent` requests hold a slot (are loading), up
 * to `maxWaiting` more wait for one in arrival order, each for at most `maxWaitMs`. The waiting
 * requests are also bounded by the bytes they may buffer (`maxWaitingBytes`, each request counted
 * at the most its body can be), so a burst costs bounded memory. Only when a request can neither
 * run nor wait is it refused, with an estimate of when to come back computed from the queue.
 *
 * Replaces an immediate 503 at 8 requests in flight, which refused 54–61% of the requests of 10
 * concurrent senders (issue 17, item 5).
 */

export interface QueueLimits {
  /** Requests holding a slot at once. */
  maxConcurrent: number;
  /** Requests waiting for a slot; 0 = no queue (refuse when every slot is taken). */
  maxWaiting: number;
  /** Sum of the byte reservations of the waiting requests. */
  maxWaitingBytes: number;
  /** Longest a request waits for a slot before it is refused. */
  maxWaitMs: number;
}

export interface QueueClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs fn after ms unless the returned cancel is called first. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: QueueClock = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    // A waiting request must not keep a closing process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface QueueStats {
  inFlight: number;
  waiting: number;
  waitingBytes: number;
  /** The running estimate of how long a request holds its slot, in seconds. */
  serviceSeconds: number;
}

/** Why a request did not get a slot; `retryAfterSeconds` goes into the answer's Retry-After. */
export class QueueRefusal extends Error {
  constructor(
    readonly reason: 'full' | 'too_many_bytes' | 'timeout' | 'abandoned',
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
    this.name = 'QueueRefusal';
  }
}

export interface Ticket {
  /** Resolves when the request holds a slot; rejects with a QueueRefusal on timeout or abandon(). */
  readonly granted: Promise<void>;
  /** How long it waited before its slot, ms (0 when it got one at once or never got one). */
  waitedMs(): number;
  /** The client went away: leave the queue if still waiting (a slot already held stays held until release). */
  abandon(): void;
  /** Gives the slot (or the place in the queue) back. Idempotent. */
  release(): void;
}

/** Weight of the newest service time in the running estimate (an exponential moving average). */
const SMOOTHING = 0.2;
/** The estimate before any request has finished. */
export const INITIAL_SERVICE_SECONDS = 1;

interface Waiter {
  bytes: number;
  grant: () => void;
  refuse: (err: QueueRefusal) => void;
  cancelTimer: () => void;
}

export class AdmissionQueue {
  readonly #limits: QueueLimits;
  readonly #clock: QueueClock;
  readonly #waiting: Waiter[] = [];
  #inFlight = 0;
  #waitingBytes = 0;
  #serviceSeconds = INITIAL_SERVICE_SECONDS;

  constructor(limits: QueueLimits, clock: QueueClock = systemClock) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isFinite(value) || value < 0 || (name === 'maxConcurrent' && value < 1)) {
        throw new Error(
          `AdmissionQueue: ${name} must be a ${name === 'maxConcurrent' ? 'positive' : 'non-negative'} number, got ${value}`,
        );
      }
    }
    this.#limits = limits;
    this.#clock = clock;
  }

  stats(): QueueStats {
    return {
      inFlight: this.#inFlight,
      waiting: this.#waiting.length,
      waitingBytes: this.#waitingBytes,
      serviceSeconds: this.#serviceSeconds,
    };
  }

  /**
   * Seconds until the work already admitted has drained: every request ahead (holding or waiting
   * for a slot) takes about the running service time, `maxConcurrent` at a time. At least 1.
   */
  retryAfterSeconds(): number {
    const ahead = this.#inFlight + this.#waiting.length;
    return Math.max(1, Math.ceil((this.#serviceSeconds * ahead) / this.#limits.maxConcurrent));
  }

  /**
   * A request arrives that will buffer at most `bytes` while it waits. Throws a QueueRefusal when it
   * can neither run now nor wait; else returns its ticket (granted at once when a slot is free and
   * nobody waits, so arrival order holds).
   */
  enter(bytes: number): Ticket {
    if (this.#inFlight < this.#limits.maxConcurrent && this.#waiting.length === 0) {
      this.#inFlight++;
      return this.#held(this.#clock.now());
    }
    const { maxWaiting, maxWaitingBytes, maxConcurrent } = this.#limits;
    if (this.#waiting.length >= maxWaiting) {
      throw new QueueRefusal(
        'full',
        this.retryAfterSeconds(),
        `The ingest endpoint is loading ${this.#inFlight} of ${maxConcurrent} requests at once and ${this.#waiting.length} more are waiting, the most it queues.`,
      );
    }
    if (this.#waitingBytes + bytes > maxWaitingBytes) {
      throw new QueueRefusal(
        'too_many_bytes',
        this.retryAfterSeconds(),
        `The ingest endpoint's queue holds ${this.#waitingBytes} bytes of waiting requests; this one (up to ${bytes} bytes) would pass the limit of ${maxWaitingBytes}.`,
      );
    }
    return this.#wait(bytes);
  }

  #wait(bytes: number): Ticket {
    let state: 'waiting' | 'held' | 'gone' = 'waiting';
    let grantedAt = 0;
    const enqueuedAt = this.#clock.now();
    let grant!: () => void;
    let refuse!: (err: QueueRefusal) => void;
    const granted = new Promise<void>((resolve, reject) => {
      grant = resolve;
      refuse = reject;
    });
    // Rejections are for whoever awaits `granted`; none must surface as unhandled when nobody does.
    granted.catch(() => {});
    const waiter: Waiter = {
      bytes,
      grant: () => {
        state = 'held';
        grantedAt = this.#clock.now();
        grant();
      },
      refuse: (err) => {
        state = 'gone';
        refuse(err);
      },
      cancelTimer: () => {},
    };
    waiter.cancelTimer = this.#clock.after(this.#limits.maxWaitMs, () => {
      if (state !== 'waiting') return;
      this.#remove(waiter);
      waiter.refuse(
        new QueueRefusal(
          'timeout',
          this.retryAfterSeconds(),
          `The request waited ${Math.round(this.#limits.maxWaitMs / 1000)} s for the ingest endpoint without getting its turn.`,
        ),
      );
    });
    this.#waiting.push(waiter);
    this.#waitingBytes += bytes;
    const leave = (): void => {
      if (state !== 'waiting') return;
      this.#remove(waiter);
      waiter.refuse(
        new QueueRefusal('abandoned', this.retryAfterSeconds(), 'The client went away while its request waited.'),
      );
    };
    return {
      granted,
      waitedMs: () => (grantedAt ? grantedAt - enqueuedAt : 0),
      abandon: leave,
      release: () => {
        if (state === 'waiting') return leave();
        if (state === 'held') {
          state = 'gone';
          this.#finish(grantedAt);
        }
      },
    };
  }

  /** A ticket that already holds its slot. */
  #held(since: number): Ticket {
    let held = true;
    return {
      granted: Promise.resolve(),
      waitedMs: () => 0,
      abandon: () => {},
      release: () => {
        if (!held) return;
        held = false;
        this.#finish(since);
      },
    };
  }

  #remove(waiter: Waiter): void {
    const at = this.#waiting.indexOf(waiter);
    if (at < 0) return;
    this.#waiting.splice(at, 1);
    this.#waitingBytes -= waiter.bytes;
    waiter.cancelTimer();
  }

  /** A slot comes back: learn how long it was held, then hand it to the longest waiter. */
  #finish(since: number): void {
    const seconds = Math.max(0, (this.#clock.now() - since) / 1000);
    this.#serviceSeconds = SMOOTHING * seconds + (1 - SMOOTHING) * this.#serviceSeconds;
    this.#inFlight--;
    const next = this.#waiting[0];
    if (!next) return;
    this.#remove(next);
    this.#inFlight++;
    next.grant();
  }
}
