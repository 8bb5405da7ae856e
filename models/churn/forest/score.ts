/**
 * Forest scoring kernel. Kept apart from the model class so a worker can run it on shared arrays.
 *
 * Measured on 100 depth-12 trees × 25 features (single thread): rows are read in blocks of 1024
 * (the block stays in L2 while every tree walks over it: 4096 or 256 were slower), and each tree
 * walks four rows in lockstep with branch-free steps, so the CPU overlaps four independent chains
 * of loads instead of waiting on one path. Together ~2.5× faster than one row at a time. Blocks
 * without missing values take a kernel without the missing-value routing.
 */
import { readRowBlock, type FeatureMatrix } from './matrix.ts';

/** The nodes as the walk wants them: leaves point to themselves with threshold +Infinity. */
export interface WalkLayout {
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  child: Int32Array;
  /** 1: a missing (NaN) value goes right. */
  missingRight: Uint8Array;
  /** Per tree: depth of its deepest leaf. */
  depth: Int32Array;
}

/** One worker's share of a parallel scoring run; every array lives on a SharedArrayBuffer. */
export interface ScoreJob {
  walk: WalkLayout;
  value: Float64Array;
  x: FeatureMatrix;
  nCols: number;
  from: number;
  to: number;
  out: Float64Array;
}

const BLOCK = 1024;

/** Writes the mean over trees of the leaf values of rows [from, to) of x into out[from, to). */
export function scoreRows(walk: WalkLayout, value: Float64Array, x: FeatureMatrix, nCols: number, from: number, to: number, out: Float64Array): void {
  const nTrees = walk.roots.length;
  const block = new Float64Array(BLOCK * nCols);
  const sums = new Float64Array(BLOCK);
  for (let start = from; start < to; start += BLOCK) {
    const count = Math.min(BLOCK, to - start);
    readRowBlock(x, start, count, nCols, block);
    let hasMissing = false;
    for (let k = 0, m = count * nCols; k < m; k++) {
      if (block[k] !== block[k]) {
        hasMissing = true;
        break;
      }
    }
    sums.fill(0);
    // Blocks without missing values (the usual case) skip the missing-value routing: ~20% faster.
    if (hasMissing) walkBlockWithMissing(walk, value, block, nCols, count, sums);
    else walkBlock(walk, value, block, nCols, count, sums);
    for (let i = 0; i < count; i++) out[start + i] = sums[i] / nTrees;
  }
}

/** Adds every tree's leaf value for the block's rows into sums; the block has no NaN. */
function walkBlock(walk: WalkLayout, value: Float64Array, block: Float64Array, nCols: number, count: number, sums: Float64Array): void {
  const { roots, feature, threshold, child, depth } = walk;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t];
    const levels = depth[t];
    let i = 0;
    for (; i + 4 <= count; i += 4) {
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      const b0 = i * nCols;
      const b1 = b0 + nCols;
      const b2 = b1 + nCols;
      const b3 = b2 + nCols;
      for (let level = 1; level <= levels; level++) {
        const v0 = block[b0 + feature[n0]];
        const v1 = block[b1 + feature[n1]];
        const v2 = block[b2 + feature[n2]];
        const v3 = block[b3 + feature[n3]];
        n0 = child[n0] + +(v0 > threshold[n0]);
        n1 = child[n1] + +(v1 > threshold[n1]);
        n2 = child[n2] + +(v2 > threshold[n2]);
        n3 = child[n3] + +(v3 > threshold[n3]);
        // Unbalanced (deep) trees: stop once all four rows sit in leaves.
        if ((level & 3) === 0 && child[n0] === n0 && child[n1] === n1 && child[n2] === n2 && child[n3] === n3) break;
      }
      sums[i] += value[n0];
      sums[i + 1] += value[n1];
      sums[i + 2] += value[n2];
      sums[i + 3] += value[n3];
    }
    for (; i < count; i++) {
      let n0 = root;
      const b0 = i * nCols;
      while (child[n0] !== n0) n0 = child[n0] + +(block[b0 + feature[n0]] > threshold[n0]);
      sums[i] += value[n0];
    }
  }
}

/** walkBlock for blocks with missing values: NaN goes right where missingRight is 1. */
function walkBlockWithMissing(walk: WalkLayout, value: Float64Array, block: Float64Array, nCols: number, count: number, sums: Float64Array): void {
  const { roots, feature, threshold, child, missingRight, depth } = walk;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t];
    const levels = depth[t];
    let i = 0;
    for (; i + 4 <= count; i += 4) {
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      const b0 = i * nCols;
      const b1 = b0 + nCols;
      const b2 = b1 + nCols;
      const b3 = b2 + nCols;
      for (let level = 1; level <= levels; level++) {
        const v0 = block[b0 + feature[n0]];
        const v1 = block[b1 + feature[n1]];
        const v2 = block[b2 + feature[n2]];
        const v3 = block[b3 + feature[n3]];
        // Right when v > threshold, or when v is missing and missing values go right.
        n0 = child[n0] + (+(v0 > threshold[n0]) | (+(v0 !== v0) & missingRight[n0]));
        n1 = child[n1] + (+(v1 > threshold[n1]) | (+(v1 !== v1) & missingRight[n1]));
        n2 = child[n2] + (+(v2 > threshold[n2]) | (+(v2 !== v2) & missingRight[n2]));
        n3 = child[n3] + (+(v3 > threshold[n3]) | (+(v3 !== v3) & missingRight[n3]));
        if ((level & 3) === 0 && child[n0] === n0 && child[n1] === n1 && child[n2] === n2 && child[n3] === n3) break;
      }
      sums[i] += value[n0];
      sums[i + 1] += value[n1];
      sums[i + 2] += value[n2];
      sums[i + 3] += value[n3];
    }
    for (; i < count; i++) {
      let n0 = root;
      const b0 = i * nCols;
      while (child[n0] !== n0) {
        const v0 = block[b0 + feature[n0]];
        n0 = child[n0] + (+(v0 > threshold[n0]) | (+(v0 !== v0) & missingRight[n0]));
      }
      sums[i] += value[n0];
    }
  }
}

/** Builds the walk layout from forest nodes (feature -1 marks leaves; children follow parents). */
export function walkLayout(roots: Int32Array, feature: Int32Array, threshold: Float64Array, missingLeft: Uint8Array, left: Int32Array): WalkLayout {
  const n = feature.length;
  // On shared memory, so scoring workers can use the layout without a copy.
  const shared = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
  const w: WalkLayout = {
    roots: new Int32Array(shared(4 * roots.length)),
    feature: new Int32Array(shared(4 * n)),
    threshold: new Float64Array(shared(8 * n)),
    child: new Int32Array(shared(4 * n)),
    missingRight: new Uint8Array(shared(n)),
    depth: new Int32Array(shared(4 * roots.length)),
  };
  w.roots.set(roots);
  const nodeDepth = new Int32Array(n);
  for (let t = 0; t < roots.length; t++) {
    const end = t + 1 < roots.length ? roots[t + 1] : n;
    let maxDepth = 0;
    nodeDepth[roots[t]] = 0;
    for (let i = roots[t]; i < end; i++) {
      if (feature[i] < 0) {
        w.threshold[i] = Infinity;
        w.child[i] = i;
        if (nodeDepth[i] > maxDepth) maxDepth = nodeDepth[i];
        continue;
      }
      w.feature[i] = feature[i];
      w.threshold[i] = threshold[i];
      w.child[i] = left[i];
      w.missingRight[i] = missingLeft[i] === 1 ? 0 : 1;
      nodeDepth[left[i]] = nodeDepth[i] + 1;
      nodeDepth[left[i] + 1] = nodeDepth[i] + 1;
    }
    w.depth[t] = maxDepth;
  }
  return w;
}
