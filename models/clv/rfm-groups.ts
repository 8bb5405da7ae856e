/**
 * Customers with the same (x, t_x, T) have the same BG/NBD likelihood term. With daily data there are
 * far fewer distinct triples than customers (every customer without repeat purchases is one of a few
 * hundred T values), so the fit runs on the distinct triples, weighted; predictions need only the
 * distinct (x, T) pairs for their expensive part.
 */
import type { RfmColumns } from './types.ts';

export interface RfmGroups {
  frequency: Int32Array;
  recency: Float64Array;
  T: Float64Array;
  /** Customers in each group. */
  weight: Float64Array;
  /** Group of each input row. */
  groupOf: Int32Array;
}

/**
 * Distinct (x, t_x, T) triples with their counts, when t_x and T are whole days (in weeks) so the
 * triple packs exactly into one number; undefined otherwise, or for rows that are not valid RFM
 * (callers then work per row, and validate).
 */
export function groupByRfm(s: RfmColumns): RfmGroups | undefined {
  const n = s.frequency.length;
  if (s.recency.length !== n || s.T.length !== n) return undefined;
  let maxDays = 0;
  for (let i = 0; i < n; i++) {
    const x = s.frequency[i];
    const td = s.T[i] * 7;
    const rd = s.recency[i] * 7;
    if (!(Number.isInteger(x) && x >= 0 && rd >= 0 && rd <= td)) return undefined;
    if (Math.abs(td - Math.round(td)) > 1e-7 || Math.abs(rd - Math.round(rd)) > 1e-7) return undefined;
    maxDays = Math.max(maxDays, Math.round(td));
  }
  const span = maxDays + 1;
  if (!Number.isSafeInteger(maxX(s) * span * span + span * span)) return undefined;
  // Open addressing on the packed key: a Map with a million non-Smi number keys is ~20× slower.
  let capacity = 1024;
  while (capacity < 2 * n) capacity *= 2;
  const mask = capacity - 1;
  const keys = new Float64Array(capacity);
  const slots = new Int32Array(capacity).fill(-1);
  const groupOf = new Int32Array(n);
  const first: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = (s.frequency[i] * span + Math.round(s.recency[i] * 7)) * span + Math.round(s.T[i] * 7);
    let h = hash(key) & mask;
    while (slots[h] !== -1 && keys[h] !== key) h = (h + 1) & mask;
    let g = slots[h];
    if (g === -1) {
      g = first.length;
      slots[h] = g;
      keys[h] = key;
      first.push(i);
      count.push(0);
    }
    count[g]++;
    groupOf[i] = g;
  }
  return {
    frequency: Int32Array.from(first, (i) => s.frequency[i]),
    recency: Float64Array.from(first, (i) => s.recency[i]),
    T: Float64Array.from(first, (i) => s.T[i]),
    weight: Float64Array.from(count),
    groupOf,
  };
}

function maxX(s: RfmColumns): number {
  let m = 0;
  for (let i = 0; i < s.frequency.length; i++) m = Math.max(m, s.frequency[i]);
  return m;
}

/** Mixes the two 32-bit halves of a safe integer (murmur3 finaliser). */
function hash(key: number): number {
  let h = Math.imul((key >>> 0) ^ Math.floor(key / 4294967296), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);

/**
 * Index of distinct (x, T) pairs, exact on T's bits. The BG/NBD conditional expectation is
 * P(alive | x, t_x, T) · g(x, T, t), and g (a ₂F₁ series) is the expensive part: with daily data there
 * are far fewer (x, T) pairs than customers.
 */
export function distinctXT(x: Int32Array, T: Float64Array): { pairOf: Int32Array; x: Int32Array; T: Float64Array } {
  const n = x.length;
  let capacity = 1024;
  while (capacity < 2 * n) capacity *= 2;
  const mask = capacity - 1;
  const slotX = new Int32Array(capacity);
  const slotT = new Float64Array(capacity);
  const slotPair = new Int32Array(capacity).fill(-1);
  const pairOf = new Int32Array(n);
  const firstRow: number[] = [];
  for (let i = 0; i < n; i++) {
    bits[0] = T[i];
    let h = Math.imul(bitWords[0] ^ Math.imul(bitWords[1], 0x9e3779b1) ^ Math.imul(x[i], 0x85ebca6b), 0xc2b2ae35);
    h = (h ^ (h >>> 15)) & mask;
    while (slotPair[h] !== -1 && !(slotX[h] === x[i] && Object.is(slotT[h], T[i]))) h = (h + 1) & mask;
    if (slotPair[h] === -1) {
      slotPair[h] = firstRow.length;
      slotX[h] = x[i];
      slotT[h] = T[i];
      firstRow.push(i);
    }
    pairOf[i] = slotPair[h];
  }
  return { pairOf, x: Int32Array.from(firstRow, (i) => x[i]), T: Float64Array.from(firstRow, (i) => T[i]) };
}
