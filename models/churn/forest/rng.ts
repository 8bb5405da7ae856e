/**
 * Small deterministic PRNGs. Each tree gets its own stream derived from (seed, treeIndex), so a
 * forest is identical whatever the number of workers and whatever order trees finish in.
 */

/** splitmix32 finaliser: spreads nearby integers (seed, seed + 1, …) over the whole 32-bit space. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Seed of tree `treeIndex` in a forest trained with `seed`. */
export function treeSeed(seed: number, treeIndex: number): number {
  return mix32(mix32(seed >>> 0) ^ Math.imul(treeIndex + 1, 0x27d4eb2d));
}

/** xoshiro128** (Blackman & Vigna): fast, 128-bit state, good statistical quality. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Fill the state with splitmix32 outputs; an all-zero state is impossible this way.
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x6a09e667);
    this.c = mix32(this.b ^ 0xbb67ae85);
    this.d = mix32(this.c ^ 0x3c6ef372) | 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) for n ≤ 2^32 (multiply-shift; bias < n / 2^32, negligible here). */
  nextInt(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
