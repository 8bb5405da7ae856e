/**
 * A fixed-size Bloom filter over 53-bit key hashes: "was this key written earlier in this run?".
 * No means certainly not (the row needs no lookup); maybe means ask the warehouse. 16 MiB gives
 * about 0.5 % false positives at 10 million keys, so memory stays flat whatever the file size.
 */
export class KeyFilter {
  #bits: Int32Array | undefined;
  readonly #mask: number;

  constructor(readonly log2Bits = 27) {
    this.#mask = 2 ** log2Bits - 1;
  }

  /** Adds the key; returns true when it may have been added before. */
  testAndAdd(h: number): boolean {
    const bits = (this.#bits ??= new Int32Array(2 ** (this.log2Bits - 5)));
    const a = h >>> 0;
    const b = (Math.imul(Math.floor(h / 4294967296) ^ a, 0x9e3779b1) | 1) >>> 0;
    let seen = true;
    for (let k = 0; k < 4; k++) {
      const idx = (a + Math.imul(k, b)) & this.#mask;
      const word = idx >>> 5;
      const bit = 1 << (idx & 31);
      if ((bits[word] & bit) === 0) {
        seen = false;
        bits[word] |= bit;
      }
    }
    return seen;
  }

  mayHave(h: number): boolean {
    const bits = this.#bits;
    if (!bits) return false;
    const a = h >>> 0;
    const b = (Math.imul(Math.floor(h / 4294967296) ^ a, 0x9e3779b1) | 1) >>> 0;
    for (let k = 0; k < 4; k++) {
      const idx = (a + Math.imul(k, b)) & this.#mask;
      if ((bits[idx >>> 5] & (1 << (idx & 31))) === 0) return false;
    }
    return true;
  }
}
