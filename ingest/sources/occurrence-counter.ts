/**
 * Counts how often each 48-bit key has been seen: an open-addressing table over typed arrays
 * (12 bytes a slot, at most half full: 24–48 bytes per distinct key), so a file of millions of
 * rows costs tens of MB rather than a Map's hundreds. Keys are content digests of rows; the count is a row's occurrence among
 * identical rows.
 */
export class OccurrenceCounter {
  #keys = new Float64Array(1 << 12);
  #counts = new Uint32Array(1 << 12);
  #size = 0;

  /** Counts one more occurrence of `key` (an integer in [0, 2^48)) and returns the new count (1 for the first). */
  next(key: number): number {
    if ((this.#size + 1) * 2 > this.#keys.length) this.#grow();
    const stored = key + 1; // 0 marks an empty slot
    const mask = this.#keys.length - 1;
    let i = (key ^ (key / 4294967296)) & mask;
    for (;;) {
      const k = this.#keys[i];
      if (k === stored) return ++this.#counts[i];
      if (k === 0) {
        this.#keys[i] = stored;
        this.#counts[i] = 1;
        this.#size++;
        return 1;
      }
      i = (i + 1) & mask;
    }
  }

  get size(): number {
    return this.#size;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldCounts = this.#counts;
    this.#keys = new Float64Array(oldKeys.length * 2);
    this.#counts = new Uint32Array(oldKeys.length * 2);
    const mask = this.#keys.length - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const stored = oldKeys[j];
      if (stored === 0) continue;
      const key = stored - 1;
      let i = (key ^ (key / 4294967296)) & mask;
      while (this.#keys[i] !== 0) i = (i + 1) & mask;
      this.#keys[i] = stored;
      this.#counts[i] = oldCounts[j];
    }
  }
}
