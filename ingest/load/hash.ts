/**
 * The row hash stored in `row_hash` and the key hash used by the in-run key filter: a 53-bit
 * (exact in a double) hash of bytes, two 32-bit multiply-rotate lanes. Stored hashes depend on it:
 * changing it makes the next load of every file count all rows as updated once.
 */
export function hash53(b: Uint8Array, s: number, e: number): number {
  let h1 = 0xdeadbeef ^ (e - s);
  let h2 = 0x41c6ce57;
  let i = s;
  for (; i + 4 <= e; i += 4) {
    const k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    h1 = Math.imul(h1 ^ k, 2654435761);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ k, 1597334677);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  for (; i < e; i++) {
    h1 = Math.imul(h1 ^ b[i], 2654435761);
    h2 = Math.imul(h2 ^ b[i], 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Continues a hash over a second range (keys of several columns). */
export function hashCombine(a: number, b: number): number {
  const lo = (a >>> 0) ^ Math.imul((b >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  const hi = ((a / 4294967296) ^ Math.imul(Math.floor(b / 4294967296) + 0x7f4a7c15, 0xc2b2ae35)) & 2097151;
  return hi * 4294967296 + (Math.imul(lo ^ (lo >>> 15), 0x27d4eb2d) >>> 0);
}
