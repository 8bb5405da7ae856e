/**
 * Per-row tree-path (Saabas) contributions for a block of rows, together with the probability.
 *
 * For each tree, walking a row from the root to its leaf, the change in node value (child's
 * positive fraction − parent's) at every split is credited to the split's feature; results are
 * averaged over trees. So for every row: bias + Σ_j contributions[j] = predictProba(row), where
 * bias is the mean root value (the same for every row).
 *
 * Scoring needs the probability and the reasons of every customer; one walk per tree and row gives
 * both. The walk uses the scoring layout of score.ts (leaves point to themselves, so a finished row
 * keeps adding value[leaf] − value[leaf] = 0) and walks four rows in lockstep, as predictProba does.
 */
import { matrixShape, readRowBlock, type FeatureMatrix } from './matrix.ts';
import { walkLayout, type WalkLayout } from './score.ts';
import type { ForestNodes } from './random-forest.ts';

export interface ContributionBlock {
  /** P(y = 1) per row, equal to predictProba. */
  probability: Float64Array;
  /** contributions[i * nFeatures + j]: feature j's share of row i's probability. */
  contributions: Float64Array;
  /** Mean over trees of the root value: the prediction before any split. */
  bias: number;
}

/** What the walk needs from a forest (RandomForest satisfies it). */
export interface ForestLike {
  readonly nFeatures: number;
  readonly nodes: ForestNodes;
}

const BLOCK = 256;
const layouts = new WeakMap<ForestNodes, WalkLayout>();

function layoutOf(nodes: ForestNodes): WalkLayout {
  let w = layouts.get(nodes);
  if (!w) {
    w = walkLayout(nodes.roots, nodes.feature, nodes.threshold, nodes.missingLeft, nodes.left);
    layouts.set(nodes, w);
  }
  return w;
}

/**
 * Probabilities and contributions of rows [start, end) of x (default: all rows). Throws a
 * RangeError naming the mismatch when x's width differs from the model's or the range is invalid.
 */
export function treePathContributions(forest: ForestLike, x: FeatureMatrix, start = 0, end?: number): ContributionBlock {
  const { nRows, nCols } = matrixShape(x);
  if (nCols !== forest.nFeatures) throw new RangeError(`model has ${forest.nFeatures} features, input has ${nCols}`);
  const stop = end ?? nRows;
  if (!(Number.isInteger(start) && Number.isInteger(stop) && start >= 0 && start <= stop && stop <= nRows)) {
    throw new RangeError(`rows [${start}, ${stop}) out of range [0, ${nRows})`);
  }
  const count = stop - start;
  const walk = layoutOf(forest.nodes);
  const value = forest.nodes.value;
  const nTrees = walk.roots.length;
  const probability = new Float64Array(count);
  const contributions = new Float64Array(count * nCols);
  const block = new Float64Array(BLOCK * nCols);
  let bias = 0;
  for (let t = 0; t < nTrees; t++) bias += value[walk.roots[t]];
  bias /= nTrees;
  for (let b = 0; b < count; b += BLOCK) {
    const m = Math.min(BLOCK, count - b);
    readRowBlock(x, start + b, m, nCols, block);
    walkContributions(walk, value, block, nCols, m, contributions.subarray(b * nCols, (b + m) * nCols), probability.subarray(b, b + m));
  }
  // Leaf values summed in tree order and divided once, as predictProba does: the same numbers.
  for (let i = 0; i < count; i++) probability[i] /= nTrees;
  const inv = 1 / nTrees;
  for (let k = 0; k < contributions.length; k++) contributions[k] *= inv;
  return { probability, contributions, bias };
}

/**
 * Adds, for every tree, each step's value change to out[row * nCols + split feature] and the
 * leaf value to sums[row]. Rows with
 * missing values route NaN by missingRight; other rows take the plain comparison (NaN > t is false
 * anyway, so the missing-aware step is only needed where missing values go right).
 */
function walkContributions(
  walk: WalkLayout,
  value: Float64Array,
  block: Float64Array,
  nCols: number,
  count: number,
  out: Float64Array,
  sums: Float64Array,
): void {
  const { roots, feature, threshold, child, missingRight, depth } = walk;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t];
    const levels = depth[t];
    let i = 0;
    const rootValue = value[root];
    for (; i + 4 <= count; i += 4) {
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      // Current nodes' values, carried along so each step loads only the child's.
      let w0 = rootValue;
      let w1 = rootValue;
      let w2 = rootValue;
      let w3 = rootValue;
      const b0 = i * nCols;
      const b1 = b0 + nCols;
      const b2 = b1 + nCols;
      const b3 = b2 + nCols;
      for (let level = 1; level <= levels; level++) {
        const f0 = feature[n0];
        const f1 = feature[n1];
        const f2 = feature[n2];
        const f3 = feature[n3];
        const v0 = block[b0 + f0];
        const v1 = block[b1 + f1];
        const v2 = block[b2 + f2];
        const v3 = block[b3 + f3];
        n0 = child[n0] + (+(v0 > threshold[n0]) | (+(v0 !== v0) & missingRight[n0]));
        n1 = child[n1] + (+(v1 > threshold[n1]) | (+(v1 !== v1) & missingRight[n1]));
        n2 = child[n2] + (+(v2 > threshold[n2]) | (+(v2 !== v2) & missingRight[n2]));
        n3 = child[n3] + (+(v3 > threshold[n3]) | (+(v3 !== v3) & missingRight[n3]));
        const u0 = value[n0];
        const u1 = value[n1];
        const u2 = value[n2];
        const u3 = value[n3];
        // At a leaf the node stays put and the change is 0 (credited to feature 0, harmlessly).
        out[b0 + f0] += u0 - w0;
        out[b1 + f1] += u1 - w1;
        out[b2 + f2] += u2 - w2;
        out[b3 + f3] += u3 - w3;
        w0 = u0;
        w1 = u1;
        w2 = u2;
        w3 = u3;
        if ((level & 3) === 0 && child[n0] === n0 && child[n1] === n1 && child[n2] === n2 && child[n3] === n3) break;
      }
      sums[i] += w0;
      sums[i + 1] += w1;
      sums[i + 2] += w2;
      sums[i + 3] += w3;
    }
    for (; i < count; i++) {
      let n0 = root;
      const b0 = i * nCols;
      while (child[n0] !== n0) {
        const f0 = feature[n0];
        const v0 = block[b0 + f0];
        const c0 = child[n0] + (+(v0 > threshold[n0]) | (+(v0 !== v0) & missingRight[n0]));
        out[b0 + f0] += value[c0] - value[n0];
        n0 = c0;
      }
      sums[i] += value[n0];
    }
  }
}
