/**
 * Quantises every feature once into at most 255 value bins plus one bin for missing values, stored
 * row-major as bytes (one row's bins share a cache line: the split search reads several features
 * of the same row together, see grow-tree.ts). Bins are defined by raw-value edges: value v falls in the first bin b with
 * v <= edges[b] (the last bin if none), so a split "bin <= b" is exactly "v <= edges[b]" and trees
 * can keep raw thresholds for prediction.
 */
import { Xoshiro128 } from './rng.ts';
import { matrixShape, readColumn, type FeatureMatrix } from './matrix.ts';

export const MAX_VALUE_BINS = 255;

export interface BinnedMatrix {
  readonly nRows: number;
  readonly nCols: number;
  /** Bytes per row: nCols rounded up to a multiple of 4, so rows can be copied as 32-bit words. */
  readonly stride: number;
  /** bins[i * stride + f]: bin of feature f for row i; value nBins[f] means missing. */
  readonly bins: Uint8Array;
  /** Number of value bins of each feature (1 … 255). */
  readonly nBins: Int32Array;
  /** Per feature, nBins[f] - 1 increasing upper edges. */
  readonly edges: Float64Array[];
}

export interface BinningOptions {
  /** Value bins per feature, 2 … 255 (default 255). */
  maxBins?: number;
  /** Edges are computed from at most this many rows, sampled deterministically (default 200,000). */
  sampleSize?: number;
  seed?: number;
  /** Allocate the bin matrix on a SharedArrayBuffer so workers can read it without a copy. */
  shared?: boolean;
}

/** A threshold t with a <= t < b (the midpoint when representable), for sorted distinct a < b. */
function edgeBetween(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m >= a && m < b ? m : a;
}

/** First index in sorted[0, end) whose value is > v. */
function upperBound(sorted: Float64Array, end: number, v: number): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Upper bin edges for the non-missing values `sorted[0, m)` (ascending). With at most `maxBins`
 * distinct values each value gets its own bin (edges halfway between neighbours, as an exact
 * split search would choose); otherwise edges sit at equal-frequency quantiles, never splitting a
 * run of equal values.
 */
export function quantileEdges(sorted: Float64Array, m: number, maxBins: number): Float64Array {
  const edges: number[] = [];
  if (m === 0) return new Float64Array(0);
  let distinct = 1;
  for (let i = 1; i < m && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= maxBins) {
    for (let i = 1; i < m; i++) if (sorted[i] !== sorted[i - 1]) edges.push(edgeBetween(sorted[i - 1], sorted[i]));
    return Float64Array.from(edges);
  }
  for (let k = 1; k < maxBins; k++) {
    const upper = sorted[Math.ceil((k * m) / maxBins) - 1];
    const next = upperBound(sorted, m, upper);
    if (next >= m) break;
    const edge = edgeBetween(upper, sorted[next]);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return Float64Array.from(edges);
}

/** Bin of value v given a feature's edges (missing values excluded: callers test NaN first). */
export function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function binMatrix(x: FeatureMatrix, options: BinningOptions = {}): BinnedMatrix {
  const maxBins = options.maxBins ?? MAX_VALUE_BINS;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_VALUE_BINS) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_VALUE_BINS}], got ${maxBins}`);
  }
  const { nRows, nCols } = matrixShape(x);
  const sampleSize = Math.max(1, options.sampleSize ?? 200_000);
  const sample = sampleRows(nRows, sampleSize, options.seed ?? 0);
  const stride = (nCols + 3) & ~3;
  const bytes = nRows * stride;
  const bins = new Uint8Array(options.shared === false ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes));
  const nBins = new Int32Array(nCols);
  const edges: Float64Array[] = [];
  const column = new Float64Array(nRows);
  const sorted = new Float64Array(sample ? sample.length : nRows);

  for (let f = 0; f < nCols; f++) {
    readColumn(x, f, column);
    if (sample) for (let i = 0; i < sample.length; i++) sorted[i] = column[sample[i]];
    else sorted.set(column);
    sorted.sort(); // numeric for typed arrays; NaN sorts last
    let m = sorted.length;
    while (m > 0 && Number.isNaN(sorted[m - 1])) m--;
    const e = quantileEdges(sorted, m, maxBins);
    edges.push(e);
    const nb = e.length + 1;
    nBins[f] = nb;
    for (let i = 0, k = f; i < nRows; i++, k += stride) {
      const v = column[i];
      bins[k] = v !== v ? nb : binOf(e, v);
    }
  }
  return { nRows, nCols, stride, bins, nBins, edges };
}

/** Sorted row sample of size k (null when every row is used). */
function sampleRows(n: number, k: number, seed: number): Int32Array | null {
  if (n <= k) return null;
  // Partial Fisher–Yates over row ids, then sort for cache-friendly reads.
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  const rng = new Xoshiro128(seed ^ 0x5bd1e995);
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(n - i);
    const t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }
  return ids.slice(0, k).sort();
}
