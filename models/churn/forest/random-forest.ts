/**
 * Random forest binary classifier (sklearn's RandomForestClassifier semantics: bootstrap rows as
 * integer sample weights, a fresh feature subset per split, probability = mean of the trees' leaf
 * class fractions), trained on histogram-binned features. See README.md in this folder.
 */
import { binMatrix } from './binning.ts';
import { endianness } from 'node:os';
import type { Criterion, GrownTree, TreeParams } from './grow-tree.ts';
import { matrixShape, readRowBlock, type FeatureMatrix } from './matrix.ts';
import { growTrees } from './pool.ts';
import { scoreRows, walkLayout, type ScoreJob, type WalkLayout } from './score.ts';
import { sharedCopy, startWorker } from './worker-start.ts';

export type { FeatureMatrix } from './matrix.ts';

export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;
export type ClassWeight = 'balanced' | readonly [negative: number, positive: number];

export interface RandomForestOptions {
  /** Number of trees (default 100). */
  nEstimators?: number;
  /** Maximum depth; null (default) grows until the other limits stop it. */
  maxDepth?: number | null;
  /** Minimum rows (distinct in-bag rows) in a node to split it (default 2). */
  minSamplesSplit?: number;
  /** Minimum rows (distinct in-bag rows) in each child (default 1). */
  minSamplesLeaf?: number;
  /** sklearn's min_impurity_decrease (default 0). */
  minImpurityDecrease?: number;
  /** Features tried per split: 'sqrt' (default), 'log2', 'all', an integer count or a fraction in (0, 1). */
  maxFeatures?: MaxFeatures;
  /** Split criterion (default 'gini'). */
  criterion?: Criterion;
  /** Draw each tree's rows with replacement (default true). */
  bootstrap?: boolean;
  /** Rows drawn per tree when bootstrapping: a count, or a fraction in (0, 1]; null = all (default). */
  maxSamples?: number | null;
  /** null (default), 'balanced' (n / (2 · n_class), from the whole training set) or [w0, w1]. */
  classWeight?: ClassWeight | null;
  /** Per-row weights, multiplied with class weights and bootstrap counts. */
  sampleWeight?: Float64Array | null;
  /** Value bins per feature, 2 … 255 (default 255); missing values always get one more bin. */
  maxBins?: number;
  /** Threads used for training (default 2); 1 trains in the calling thread. */
  nJobs?: number;
  /**
   * Below this many rows × trees (default 2,000,000, e.g. 20k rows × 100 trees) training stays in
   * the calling thread whatever nJobs says: starting a worker under tsx costs ~0.3–1 s of CPU
   * (tsx's loader is set up again in each worker), more than it saves on small jobs.
   */
  parallelThreshold?: number;
  /** Seed of every random choice (default 0). */
  seed?: number;
  /** Names of the features, kept with the model (default f0, f1, …). */
  featureNames?: readonly string[];
}

/** The forest's nodes, all trees concatenated; children are global indices. */
export interface ForestNodes {
  /** Index of each tree's root. */
  roots: Int32Array;
  /** Split feature, -1 for a leaf. */
  feature: Int32Array;
  /** Rows with value <= threshold go left (+Infinity: every present value goes left). */
  threshold: Float64Array;
  /** 1: rows with a missing (NaN) value go left. */
  missingLeft: Uint8Array;
  /** Left child (right = left + 1), 0 for leaves. */
  left: Int32Array;
  /** Weighted fraction of positives of the node's training rows: the prediction at leaves. */
  value: Float64Array;
}

export interface Contributions {
  /** Mean over trees of the root's positive fraction. */
  bias: number;
  /** Per feature: mean over trees of the value changes along the row's path at splits on it. */
  values: Float64Array;
  /** bias + sum(values), equal to predictProba for the row. */
  prediction: number;
}

export interface RandomForestJSON {
  format: 'ci-random-forest';
  version: 1;
  nFeatures: number;
  featureNames: string[];
  options: ResolvedOptions;
  importance: number[];
  /** Typed arrays as base64 of their little-endian bytes (exact, ~6× smaller than number lists). */
  nodes: { [K in keyof ForestNodes]: string };
}

/** Options as used, recorded with the model (sample weights are not kept). */
export interface ResolvedOptions {
  nEstimators: number;
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  minImpurityDecrease: number;
  maxFeatures: MaxFeatures;
  maxFeaturesCount: number;
  criterion: Criterion;
  bootstrap: boolean;
  maxSamples: number | null;
  classWeight: ClassWeight | null;
  maxBins: number;
  seed: number;
}

export class RandomForest {
  readonly nodes: ForestNodes;
  readonly nFeatures: number;
  readonly featureNames: readonly string[];
  readonly options: ResolvedOptions;
  private readonly importance: Float64Array;
  private walkLayout: WalkLayout | null = null;

  private constructor(nodes: ForestNodes, nFeatures: number, featureNames: readonly string[], options: ResolvedOptions, importance: Float64Array) {
    this.nodes = nodes;
    this.nFeatures = nFeatures;
    this.featureNames = featureNames;
    this.options = options;
    this.importance = importance;
  }

  get nTrees(): number {
    return this.nodes.roots.length;
  }

  get nNodes(): number {
    return this.nodes.feature.length;
  }

  /** Trains on X (n rows × d features) and 0/1 labels y. */
  static async train(x: FeatureMatrix, y: Uint8Array | ArrayLike<number>, options: RandomForestOptions = {}): Promise<RandomForest> {
    const { nRows, nCols } = matrixShape(x);
    if (y.length !== nRows) throw new RangeError(`y has ${y.length} labels for ${nRows} rows`);
    if (nRows === 0) throw new RangeError('cannot train on zero rows');
    const labels = new Uint8Array(new SharedArrayBuffer(nRows));
    for (let i = 0; i < nRows; i++) {
      const v = y[i];
      if (v !== 0 && v !== 1) throw new RangeError(`y[${i}] = ${v}: labels must be 0 or 1`);
      labels[i] = v;
    }
    const resolved = resolveOptions(options, nRows, nCols);
    const featureNames = options.featureNames ? [...options.featureNames] : Array.from({ length: nCols }, (_, j) => `f${j}`);
    if (featureNames.length !== nCols) throw new RangeError(`${featureNames.length} feature names for ${nCols} features`);

    const binned = binMatrix(x, { maxBins: resolved.maxBins, seed: resolved.seed });
    const weight = rowWeights(labels, resolved.classWeight, options.sampleWeight ?? null);
    const params: TreeParams = {
      maxDepth: resolved.maxDepth ?? Infinity,
      minSamplesSplit: resolved.minSamplesSplit,
      minSamplesLeaf: resolved.minSamplesLeaf,
      minImpurityDecrease: resolved.minImpurityDecrease,
      maxFeatures: resolved.maxFeaturesCount,
      criterion: resolved.criterion,
      bootstrap: resolved.bootstrap,
      maxSamples: maxSamplesCount(resolved.maxSamples, nRows),
    };
    const data = { nRows, nCols, bins: binned.bins, stride: binned.stride, nBins: binned.nBins, y: labels, weight };
    const small = nRows * resolved.nEstimators < (options.parallelThreshold ?? 2_000_000);
    const trees = await growTrees(data, params, resolved.seed, resolved.nEstimators, small ? 1 : (options.nJobs ?? 2));
    return new RandomForest(assemble(trees, binned.edges), nCols, featureNames, resolved, forestImportance(trees, nCols));
  }

  /** P(y = 1) for every row of X. */
  predictProba(x: FeatureMatrix): Float64Array {
    const { nRows, nCols } = matrixShape(x);
    this.checkWidth(nCols);
    const out = new Float64Array(nRows);
    scoreRows(this.walk(), this.nodes.value, x, nCols, 0, nRows, out);
    return out;
  }

  /**
   * predictProba on worker threads (default 2), leaving the event loop free. Inputs that are not
   * on SharedArrayBuffers are copied once. Below `minRowsPerJob` rows per worker (default 200,000)
   * it scores in this thread: a worker costs ~0.3–1 s to start under tsx, about what one thread
   * needs for 50–100k rows of a 100-tree forest.
   */
  async predictProbaAsync(x: FeatureMatrix, opts: { nJobs?: number; minRowsPerJob?: number } = {}): Promise<Float64Array> {
    const { nRows, nCols } = matrixShape(x);
    this.checkWidth(nCols);
    const jobs = Math.max(1, Math.min(Math.floor(opts.nJobs ?? 2), Math.floor(nRows / (opts.minRowsPerJob ?? 200_000))));
    if (jobs <= 1) return this.predictProba(x);
    const walk = this.walk();
    const value = sharedCopy(this.nodes.value);
    const sharedX: FeatureMatrix =
      'values' in x ? { values: sharedCopy(x.values), nCols } : { columns: x.columns.map((c) => sharedCopy(c instanceof Float64Array || c instanceof Float32Array ? c : Float64Array.from(c, (v) => v ?? NaN))) };
    const out = new Float64Array(new SharedArrayBuffer(8 * nRows));
    const per = Math.ceil(nRows / jobs);
    await Promise.all(
      Array.from({ length: jobs }, (_, k) => {
        const job: ScoreJob = { walk, value, x: sharedX, nCols, from: k * per, to: Math.min(nRows, (k + 1) * per), out };
        return new Promise<void>((resolve, reject) => {
          const w = startWorker('score-worker', job);
          let done = false;
          w.once('message', () => {
            done = true;
            resolve();
          });
          w.once('error', reject);
          w.once('exit', (code) => {
            if (!done) reject(new Error(`scoring worker exited with code ${code}`));
          });
        });
      }),
    );
    return out;
  }

  /**
   * Mean decrease in impurity per feature (sklearn's feature_importances_): each tree's weighted
   * impurity decreases, normalised to sum 1, averaged over trees, normalised again.
   */
  featureImportance(): Float64Array {
    return this.importance.slice();
  }

  /**
   * Tree-path (Saabas) decomposition of row i's prediction: walking each tree from the root, the
   * change in node value at every split is credited to the split's feature; results are averaged
   * over trees. bias + sum(values) equals predictProba for the row (up to rounding).
   */
  contributions(x: FeatureMatrix, i: number): Contributions {
    const { nRows, nCols } = matrixShape(x);
    this.checkWidth(nCols);
    if (!Number.isInteger(i) || i < 0 || i >= nRows) throw new RangeError(`row ${i} out of range [0, ${nRows})`);
    const row = new Float64Array(nCols);
    readRowBlock(x, i, 1, nCols, row);
    const { roots, feature, threshold, missingLeft, left, value } = this.nodes;
    const values = new Float64Array(nCols);
    let bias = 0;
    let prediction = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      bias += value[node];
      let f = feature[node];
      while (f >= 0) {
        const v = row[f];
        const child = v <= threshold[node] || (v !== v && missingLeft[node] === 1) ? left[node] : left[node] + 1;
        values[f] += value[child] - value[node];
        node = child;
        f = feature[node];
      }
      prediction += value[node];
    }
    const nTrees = roots.length;
    for (let j = 0; j < nCols; j++) values[j] /= nTrees;
    return { bias: bias / nTrees, values, prediction: prediction / nTrees };
  }

  toJSON(): RandomForestJSON {
    const n = this.nodes;
    return {
      format: 'ci-random-forest',
      version: 1,
      nFeatures: this.nFeatures,
      featureNames: [...this.featureNames],
      options: this.options,
      importance: Array.from(this.importance),
      nodes: {
        roots: toBase64(n.roots),
        feature: toBase64(n.feature),
        threshold: toBase64(n.threshold),
        missingLeft: toBase64(n.missingLeft),
        left: toBase64(n.left),
        value: toBase64(n.value),
      },
    };
  }

  static fromJSON(json: RandomForestJSON | string): RandomForest {
    const j: RandomForestJSON = typeof json === 'string' ? JSON.parse(json) : json;
    if (j.format !== 'ci-random-forest' || j.version !== 1) {
      throw new Error(`not a ci-random-forest v1 model (format ${String(j.format)}, version ${String(j.version)})`);
    }
    const nodes: ForestNodes = {
      roots: fromBase64(j.nodes.roots, Int32Array),
      feature: fromBase64(j.nodes.feature, Int32Array),
      threshold: fromBase64(j.nodes.threshold, Float64Array),
      missingLeft: fromBase64(j.nodes.missingLeft, Uint8Array),
      left: fromBase64(j.nodes.left, Int32Array),
      value: fromBase64(j.nodes.value, Float64Array),
    };
    validateNodes(nodes, j.nFeatures);
    return new RandomForest(nodes, j.nFeatures, j.featureNames, j.options, Float64Array.from(j.importance));
  }

  private walk(): WalkLayout {
    if (this.walkLayout === null) {
      const { roots, feature, threshold, missingLeft, left } = this.nodes;
      this.walkLayout = walkLayout(roots, feature, threshold, missingLeft, left);
    }
    return this.walkLayout;
  }

  private checkWidth(nCols: number): void {
    if (nCols !== this.nFeatures) throw new RangeError(`model has ${this.nFeatures} features, input has ${nCols}`);
  }
}

function resolveOptions(o: RandomForestOptions, nRows: number, nCols: number): ResolvedOptions {
  const positiveInt = (name: string, v: number, min: number): number => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  const maxFeatures = o.maxFeatures ?? 'sqrt';
  const maxDepth = o.maxDepth ?? null;
  if (maxDepth !== null) positiveInt('maxDepth', maxDepth, 1);
  const maxSamples = o.maxSamples ?? null;
  if (maxSamples !== null && !(maxSamples > 0 && (maxSamples <= 1 || (Number.isInteger(maxSamples) && maxSamples <= nRows)))) {
    throw new RangeError(`maxSamples must be a fraction in (0, 1] or a count <= ${nRows}, got ${maxSamples}`);
  }
  const classWeight = o.classWeight ?? null;
  if (Array.isArray(classWeight) && !(classWeight.length === 2 && classWeight.every((v) => v >= 0 && Number.isFinite(v)))) {
    throw new RangeError('classWeight must be [w0, w1] with finite non-negative weights');
  }
  const minImpurityDecrease = o.minImpurityDecrease ?? 0;
  if (!(minImpurityDecrease >= 0)) throw new RangeError(`minImpurityDecrease must be >= 0, got ${minImpurityDecrease}`);
  return {
    nEstimators: positiveInt('nEstimators', o.nEstimators ?? 100, 1),
    maxDepth,
    minSamplesSplit: positiveInt('minSamplesSplit', o.minSamplesSplit ?? 2, 2),
    minSamplesLeaf: positiveInt('minSamplesLeaf', o.minSamplesLeaf ?? 1, 1),
    minImpurityDecrease,
    maxFeatures,
    maxFeaturesCount: maxFeaturesCount(maxFeatures, nCols),
    criterion: o.criterion ?? 'gini',
    bootstrap: o.bootstrap ?? true,
    maxSamples,
    classWeight,
    maxBins: o.maxBins ?? 255,
    seed: (o.seed ?? 0) >>> 0,
  };
}

export function maxFeaturesCount(m: MaxFeatures, nCols: number): number {
  if (m === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nCols)));
  if (m === 'log2') return Math.max(1, Math.floor(Math.log2(nCols)));
  if (m === 'all') return nCols;
  if (Number.isInteger(m) && m >= 1) return Math.min(m, nCols);
  if (m > 0 && m < 1) return Math.max(1, Math.floor(m * nCols));
  throw new RangeError(`maxFeatures must be 'sqrt', 'log2', 'all', an integer >= 1 or a fraction in (0, 1), got ${m}`);
}

function maxSamplesCount(m: number | null, nRows: number): number {
  if (m === null) return nRows;
  if (Number.isInteger(m) && m > 1) return m;
  return Math.max(1, Math.round(m * nRows));
}

/** Class weight × sample weight per row, or null when every row weighs 1. */
function rowWeights(y: Uint8Array, classWeight: ClassWeight | null, sampleWeight: Float64Array | null): Float64Array | null {
  const n = y.length;
  if (sampleWeight && sampleWeight.length !== n) throw new RangeError(`sampleWeight has ${sampleWeight.length} entries for ${n} rows`);
  if (classWeight === null && sampleWeight === null) return null;
  let cw: readonly [number, number] = [1, 1];
  if (classWeight === 'balanced') {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += y[i];
    // sklearn's compute_class_weight('balanced'): n_samples / (n_classes * bincount(y)).
    cw = [pos < n ? n / (2 * (n - pos)) : 1, pos > 0 ? n / (2 * pos) : 1];
  } else if (classWeight !== null) {
    cw = classWeight;
  }
  const w = new Float64Array(new SharedArrayBuffer(8 * n));
  for (let i = 0; i < n; i++) {
    const s = sampleWeight ? sampleWeight[i] : 1;
    if (!(s >= 0) || !Number.isFinite(s)) throw new RangeError(`sampleWeight[${i}] = ${s} must be finite and >= 0`);
    w[i] = cw[y[i]] * s;
  }
  return w;
}

/** Concatenates the trees and turns bin thresholds into raw-value thresholds. */
function assemble(trees: GrownTree[], edges: Float64Array[]): ForestNodes {
  let total = 0;
  for (const t of trees) total += t.nNodes;
  const nodes: ForestNodes = {
    roots: new Int32Array(trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    missingLeft: new Uint8Array(total),
    left: new Int32Array(total),
    value: new Float64Array(total),
  };
  let base = 0;
  trees.forEach((t, k) => {
    nodes.roots[k] = base;
    nodes.feature.set(t.feature, base);
    nodes.missingLeft.set(t.missingLeft, base);
    nodes.value.set(t.value, base);
    for (let i = 0; i < t.nNodes; i++) {
      const f = t.feature[i];
      if (f < 0) continue;
      const e = edges[f];
      const b = t.thresholdBin[i];
      nodes.threshold[base + i] = b < e.length ? e[b] : Infinity;
      nodes.left[base + i] = base + t.left[i];
    }
    base += t.nNodes;
  });
  return nodes;
}

function forestImportance(trees: GrownTree[], nCols: number): Float64Array {
  const total = new Float64Array(nCols);
  let used = 0;
  for (const t of trees) {
    let s = 0;
    for (let f = 0; f < nCols; f++) s += t.importance[f];
    if (!(s > 0)) continue; // single-leaf trees carry no importance (sklearn skips them too)
    used++;
    for (let f = 0; f < nCols; f++) total[f] += t.importance[f] / s;
  }
  if (used > 0) {
    let s = 0;
    for (let f = 0; f < nCols; f++) s += total[f];
    for (let f = 0; f < nCols; f++) total[f] /= s;
  }
  return total;
}

function validateNodes(n: ForestNodes, nFeatures: number): void {
  const total = n.feature.length;
  for (const [name, a] of Object.entries(n)) {
    if (name !== 'roots' && a.length !== total) throw new Error(`corrupt model: nodes.${name} has ${a.length} entries, expected ${total}`);
  }
  for (let i = 0; i < total; i++) {
    const f = n.feature[i];
    if (f >= nFeatures || (f >= 0 && !(n.left[i] > i && n.left[i] + 1 < total))) throw new Error(`corrupt model: node ${i}`);
  }
  for (const r of n.roots) if (r < 0 || r >= total) throw new Error(`corrupt model: root ${r}`);
}

type TypedArrayCtor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

// Serialised arrays are little-endian bytes; every platform Node ships for is little-endian.
const LITTLE_ENDIAN = endianness() === 'LE';

function toBase64(a: Int32Array | Float64Array | Uint8Array): string {
  if (!LITTLE_ENDIAN) throw new Error('model serialisation assumes a little-endian platform');
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64<T>(s: string, Ctor: TypedArrayCtor<T>): T {
  if (!LITTLE_ENDIAN) throw new Error('model serialisation assumes a little-endian platform');
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) throw new Error('corrupt model: typed array length');
  // Copy into a fresh, aligned buffer (Buffer's pool offset may not be aligned for 8-byte types).
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  return new Ctor(buf, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
}

