/**
 * Customers with the same (x, t_x, T) have the same BG/NBD likelihood and predictions. With daily
 * data there are far fewer distinct triples than customers (every customer without repeat purchases
 * is one of a few hundred T values), so fitting and scoring run on the distinct triples, weighted,
 * and predictions are scattered back.
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

/**
 * Applies a per-row computation on the distinct triples when that saves work (fewer than 3/4 as
 * many groups as rows), else on the rows; the result is always per row.
 */
export function perRowViaGroups(
  data: RfmColumns,
  compute: (rows: RfmColumns, out: Float64Array) => void,
  out?: Float64Array,
): Float64Array {
  const n = data.frequency.length;
  const res = out ?? new Float64Array(n);
  const g = groupByRfm(data);
  if (!g || g.weight.length > 0.75 * n) {
    compute(data, res);
    return res;
  }
  const byGroup = new Float64Array(g.weight.length);
  compute(g, byGroup);
  for (let i = 0; i < n; i++) res[i] = byGroup[g.groupOf[i]];
  return res;
}
