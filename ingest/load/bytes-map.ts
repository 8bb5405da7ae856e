import { hash53 } from './hash.ts';

/**
 * A hash map from (small tag, byte string) to a fixed-size byte value, stored in typed arrays and
 * one key arena: looking a customer reference up costs a hash of its bytes and a byte compare, with
 * no string or object per row (the CSV fast path resolves one reference per row).
 */
export class BytesMap {
  #slots: Int32Array;
  /** The hash next to each slot: a probe usually touches one cache line before the key compare. */
  #slotHash: Float64Array;
  #mask: number;
  #tags: Int32Array;
  #hashes: Float64Array;
  #keyStart: Int32Array;
  #keyLen: Int32Array;
  #keys: Buffer;
  #keyPos = 0;
  /** Entry values, `valueSize` bytes each; `resolved[e]` says whether entry e has one yet. */
  values: Buffer;
  resolved: Uint8Array;
  size = 0;

  constructor(
    readonly valueSize: number,
    initialEntries = 1 << 14,
  ) {
    const slots = initialEntries * 2;
    this.#slots = new Int32Array(slots).fill(-1);
    this.#slotHash = new Float64Array(slots);
    this.#mask = slots - 1;
    this.#tags = new Int32Array(initialEntries);
    this.#hashes = new Float64Array(initialEntries);
    this.#keyStart = new Int32Array(initialEntries);
    this.#keyLen = new Int32Array(initialEntries);
    this.#keys = Buffer.allocUnsafe(initialEntries * 16);
    this.values = Buffer.alloc(initialEntries * valueSize);
    this.resolved = new Uint8Array(initialEntries);
  }

  static hash(tag: number, b: Uint8Array, s: number, e: number): number {
    const h = hash53(b, s, e);
    // Different sources with the same reference must not collide; keep it below 2^53.
    return tag === 0 ? h : (h + tag * 2654435761) % 9007199254740881;
  }

  /** Entry index of the key, or -1. */
  find(tag: number, b: Uint8Array, s: number, e: number, h: number): number {
    const len = e - s;
    const keys = this.#keys;
    let slot = (h >>> 0) & this.#mask;
    const slots = this.#slots;
    const slotHash = this.#slotHash;
    for (;;) {
      const entry = slots[slot];
      if (entry < 0) return -1;
      if (slotHash[slot] === h && this.#tags[entry] === tag && this.#keyLen[entry] === len) {
        const k = this.#keyStart[entry];
        let same = true;
        for (let i = 0; i < len; i++) {
          if (keys[k + i] !== b[s + i]) {
            same = false;
            break;
          }
        }
        if (same) return entry;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Entry index of the key, added (unresolved) when absent. */
  findOrAdd(tag: number, b: Uint8Array, s: number, e: number, h: number): number {
    const found = this.find(tag, b, s, e, h);
    if (found >= 0) return found;
    if (this.size >= this.#tags.length) this.#grow(); // slots stay at most half full
    const entry = this.size++;
    const len = e - s;
    if (this.#keyPos + len > this.#keys.length) {
      const next = Buffer.allocUnsafe(Math.max(this.#keys.length * 2, this.#keyPos + len));
      this.#keys.copy(next, 0, 0, this.#keyPos);
      this.#keys = next;
    }
    for (let i = 0; i < len; i++) this.#keys[this.#keyPos + i] = b[s + i];
    this.#tags[entry] = tag;
    this.#hashes[entry] = h;
    this.#keyStart[entry] = this.#keyPos;
    this.#keyLen[entry] = len;
    this.#keyPos += len;
    this.resolved[entry] = 0;
    let slot = (h >>> 0) & this.#mask;
    while (this.#slots[slot] >= 0) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = entry;
    this.#slotHash[slot] = h;
    return entry;
  }

  key(entry: number): Buffer {
    return this.#keys.subarray(this.#keyStart[entry], this.#keyStart[entry] + this.#keyLen[entry]);
  }

  tag(entry: number): number {
    return this.#tags[entry];
  }

  set(entry: number, value: Uint8Array): void {
    this.values.set(value, entry * this.valueSize);
    this.resolved[entry] = 1;
  }

  clear(): void {
    this.#slots.fill(-1);
    this.size = 0;
    this.#keyPos = 0;
  }

  #grow(): void {
    const n = this.#tags.length * 2;
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(n);
      next.set(a);
      return next;
    };
    this.#tags = grow(this.#tags);
    this.#hashes = grow(this.#hashes);
    this.#keyStart = grow(this.#keyStart);
    this.#keyLen = grow(this.#keyLen);
    this.resolved = grow(this.resolved);
    const values = Buffer.alloc(n * this.valueSize);
    this.values.copy(values);
    this.values = values;
    this.#slots = new Int32Array(n * 2).fill(-1);
    this.#slotHash = new Float64Array(n * 2);
    this.#mask = n * 2 - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = (this.#hashes[e] >>> 0) & this.#mask;
      while (this.#slots[slot] >= 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = e;
      this.#slotHash[slot] = this.#hashes[e];
    }
  }
}
