/**
 * Time as the worker sees it. Production uses the system clock; tests inject a manual clock and move
 * it forward, so "fires at 07:00 in New York" is tested without waiting (test/alerts/manual-clock.ts).
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` once after `ms` milliseconds of this clock's time; returns a handle for clearTimer. */
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** setTimeout's ceiling (about 24.8 days); longer waits are done in hops. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (ms, fn) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS)),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
