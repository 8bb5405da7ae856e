/**
 * Where an admitted request's time went, for its log line (issue 17: under 50 dashboard users a
 * 1,000-row push took 35–50 s to answer and only ~5 s of it was the engine's). Laps are
 * consecutive (each from the previous lap); marks and set values are separate, because the body
 * is read while the request waits in the queue and the two overlap.
 */
export class PhaseClock {
  readonly #started = performance.now();
  #last = this.#started;
  readonly #ms: Record<string, number> = {};

  /** ms since the request was admitted to the queue, under `name` (for steps that overlap others). */
  mark(name: string): void {
    this.#ms[name] = performance.now() - this.#started;
  }

  set(name: string, ms: number): void {
    this.#ms[name] = ms;
  }

  /** ms since the previous lap (or the start), under `name`. */
  lap(name: string): void {
    const now = performance.now();
    this.#ms[name] = (this.#ms[name] ?? 0) + now - this.#last;
    this.#last = now;
  }

  /** Whole milliseconds per step, and `total`. */
  done(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.#ms)) out[k] = Math.round(v);
    out.total = Math.round(performance.now() - this.#started);
    return out;
  }
}
