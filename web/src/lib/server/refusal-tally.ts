/**
 * Throttled sign-in refusals, counted instead of recorded one by one. Once an account or an
 * address is throttled, every further `POST /signin` used to cost an account lookup and an audit
 * row: an outsider with no account could write audit rows (append-only, never deleted) and
 * warehouse statements as fast as the web process took requests (fifth review, left open).
 *
 * Now the first refusal of a spent counter in a window is recorded as before — the administrator
 * sees the attack at once — and the rest of that window's refusals cost a map update: they are
 * written as one row with their count (`row_count`) when the window has ended. So a flood is one
 * row per spent counter and window, plus the failures that spent it (each a real scrypt check).
 */
export const TALLY_WINDOW_MS = 10 * 60_000;
/** Counters tallied at once; beyond, the open tallies are written early (memory stays bounded). */
export const MAX_TALLIES = 10_000;

export interface Tallied<T> {
  /** The spent counter's key (throttle.ts). */
  key: string;
  /** What the first refusal's row said of the actor, reused by the summary row. */
  first: T;
  /** Refusals after the first, not yet written. */
  count: number;
  since: number;
  until: number;
}

export class RefusalTally<T> {
  readonly #open = new Map<string, Tallied<T>>();

  constructor(
    readonly windowMs = TALLY_WINDOW_MS,
    readonly maxTallies = MAX_TALLIES,
  ) {}

  /** Whether this refusal is the window's first for `key` (record it now, then call `opened`). */
  isFirst(key: string, now: number): boolean {
    const t = this.#open.get(key);
    if (t && now < t.until) {
      t.count += 1;
      return false;
    }
    return true;
  }

  /** Starts the window of `key` after its first refusal was recorded with `first`. */
  opened(key: string, first: T, now: number): void {
    this.#open.set(key, { key, first, count: 0, since: now, until: now + this.windowMs });
  }

  /** Windows that have ended (all of them past `maxTallies`), removed; those with refusals to write. */
  due(now: number): Tallied<T>[] {
    const all = this.#open.size > this.maxTallies;
    const out: Tallied<T>[] = [];
    for (const [k, t] of this.#open) {
      if (!all && now < t.until) continue;
      this.#open.delete(k);
      if (t.count > 0) out.push(t);
    }
    return out;
  }

  get size(): number {
    return this.#open.size;
  }
}
