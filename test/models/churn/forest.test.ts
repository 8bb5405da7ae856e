import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RandomForestClassifier } from 'ml-random-forest';
import { binMatrix, binOf, quantileEdges } from '../../../models/churn/forest/binning.ts';
import { RandomForest, maxFeaturesCount, type FeatureMatrix } from '../../../models/churn/forest/random-forest.ts';
import { Xoshiro128, treeSeed } from '../../../models/churn/forest/rng.ts';
import { syntheticChurn } from '../../../models/churn/forest/synthetic.ts';
import { rocAuc } from '../../../models/churn/metrics.ts';

interface Dataset {
  x: { values: Float64Array; nCols: number };
  y: Uint8Array;
  /** True P(y = 1) per row. */
  p: Float64Array;
}

/**
 * Known signal: P(y = 1) = logistic(1.6·x0 − 1.2·x1 + 0.9·(x2² − 1) − 0.5); x3…x7 are pure noise.
 * All features standard normal. `missing`: share of x0 replaced by NaN, such rows being positives
 * far more often.
 */
function signalData(n: number, seed: number, missing = 0): Dataset {
  const d = 8;
  const rng = new Xoshiro128(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const values = new Float64Array(n * d);
  const y = new Uint8Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) values[i * d + j] = normal();
    const [x0, x1, x2] = values.subarray(i * d, i * d + 3);
    let z = 1.6 * x0 - 1.2 * x1 + 0.9 * (x2 * x2 - 1) - 0.5;
    if (rng.next() < missing) {
      values[i * d] = NaN;
      z = 2.5 - 1.2 * x1;
    }
    p[i] = 1 / (1 + Math.exp(-z));
    y[i] = rng.next() < p[i] ? 1 : 0;
  }
  return { x: { values, nCols: d }, y, p };
}

function column(x: { values: Float64Array; nCols: number }, j: number): Float64Array {
  const n = x.values.length / x.nCols;
  return Float64Array.from({ length: n }, (_, i) => x.values[i * x.nCols + j]);
}

function rowsOf(x: { values: Float64Array; nCols: number }): number[][] {
  const n = x.values.length / x.nCols;
  return Array.from({ length: n }, (_, i) => Array.from(x.values.subarray(i * x.nCols, (i + 1) * x.nCols)));
}

function treeDepths(forest: RandomForest): number[] {
  const { roots, feature, left } = forest.nodes;
  return Array.from(roots, (root) => {
    let max = 0;
    const stack: [number, number][] = [[root, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (feature[node] < 0) max = Math.max(max, depth);
      else stack.push([left[node], depth + 1], [left[node] + 1, depth + 1]);
    }
    return max;
  });
}

const train = signalData(3000, 1);
const holdout = signalData(2000, 2);
const trained = RandomForest.train(train.x, train.y, { nEstimators: 60, minSamplesLeaf: 3, seed: 11 });

describe('RandomForest on a known signal', () => {
  test('beats trivial baselines by a clear margin and comes near the Bayes AUC', async (t) => {
    const forest = await trained;
    const auc = rocAuc(holdout.y, forest.predictProba(holdout.x));
    const bayes = rocAuc(holdout.y, holdout.p);
    const constant = rocAuc(holdout.y, new Float64Array(holdout.y.length).fill(0.3));
    const bestSingle = Math.max(...[0, 1, 2].map((j) => {
      const a = rocAuc(holdout.y, column(holdout.x, j));
      return Math.max(a, 1 - a);
    }));
    t.diagnostic(`AUC forest ${auc.toFixed(4)}, Bayes ${bayes.toFixed(4)}, best single feature ${bestSingle.toFixed(4)}, constant ${constant}`);
    assert.equal(constant, 0.5);
    assert.ok(auc > bestSingle + 0.05, `forest ${auc} vs best single feature ${bestSingle}`);
    assert.ok(auc > bayes - 0.05, `forest ${auc} vs Bayes ${bayes}`);
  });

  test('AUC within 0.02 of ml-random-forest on a small set (probabilities from its tree votes)', async (t) => {
    const small = signalData(1000, 3);
    const trees = 25;
    // ml-random-forest draws one feature subset per tree; half of the 8 features.
    const ml = new RandomForestClassifier({ nEstimators: trees, maxFeatures: 0.5, replacement: false, seed: 3, noOOB: true, treeOptions: { maxDepth: 8, minNumSamples: 3 } });
    ml.train(rowsOf(small.x), Array.from(small.y));
    // predictProbability is biased (a reduce without initial value): average the trees' 0/1 votes.
    const votes = ml.predictionValues(rowsOf(holdout.x));
    const mlProba = new Float64Array(holdout.y.length);
    for (let i = 0; i < mlProba.length; i++) {
      let s = 0;
      for (let k = 0; k < trees; k++) s += votes.get(i, k);
      mlProba[i] = s / trees;
    }
    const ours = await RandomForest.train(small.x, small.y, { nEstimators: trees, maxDepth: 8, minSamplesSplit: 3, seed: 3 });
    const ourAuc = rocAuc(holdout.y, ours.predictProba(holdout.x));
    const mlAuc = rocAuc(holdout.y, mlProba);
    t.diagnostic(`AUC ours ${ourAuc.toFixed(4)}, ml-random-forest ${mlAuc.toFixed(4)}`);
    // One-sided: being better than the reference is fine, being worse by more than 0.02 is not.
    assert.ok(ourAuc >= mlAuc - 0.02, `ours ${ourAuc} vs ml-random-forest ${mlAuc}`);
  });

  test('feature importance ranks the three signal features on top and sums to 1', async () => {
    const forest = await trained;
    const imp = forest.featureImportance();
    assert.equal(imp.length, 8);
    const top = Array.from(imp.keys()).sort((a, b) => imp[b] - imp[a]).slice(0, 3);
    assert.deepEqual(top.sort(), [0, 1, 2]);
    assert.ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-12, `importances sum to ${imp.reduce((a, b) => a + b, 0)}`);
    assert.ok(imp.every((v) => v >= 0), `negative importance in ${imp}`);
  });

  test('contributions: bias + per-feature values sum to the prediction', async () => {
    const forest = await trained;
    const proba = forest.predictProba(holdout.x);
    for (let i = 0; i < 50; i++) {
      const c = forest.contributions(holdout.x, i);
      const sum = c.bias + c.values.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - proba[i]) < 1e-12, `row ${i}: ${sum} vs ${proba[i]}`);
      assert.ok(Math.abs(c.prediction - proba[i]) < 1e-12, `row ${i}: prediction ${c.prediction} vs ${proba[i]}`);
      assert.equal(c.values.length, 8);
    }
    // The signal features carry most of the attribution, on average.
    const mass = new Float64Array(8);
    for (let i = 0; i < 200; i++) forest.contributions(holdout.x, i).values.forEach((v, j) => (mass[j] += Math.abs(v)));
    const top = Array.from(mass.keys()).sort((a, b) => mass[b] - mass[a]).slice(0, 3);
    assert.deepEqual(top.sort(), [0, 1, 2]);
  });

  test('serialisation round trip gives identical predictions', async () => {
    const forest = await trained;
    const json = JSON.stringify(forest.toJSON());
    const back = RandomForest.fromJSON(JSON.parse(json));
    assert.deepEqual(back.predictProba(holdout.x), forest.predictProba(holdout.x));
    assert.deepEqual(RandomForest.fromJSON(json).featureImportance(), forest.featureImportance());
    assert.deepEqual(back.contributions(holdout.x, 7), forest.contributions(holdout.x, 7));
    assert.deepEqual(back.featureNames, forest.featureNames);
    assert.deepEqual(back.options, forest.options);
    assert.equal(JSON.stringify(back.toJSON()), json);
  });

  test('fromJSON rejects other formats and corrupt node arrays', async () => {
    const forest = await trained;
    const json = forest.toJSON();
    assert.throws(() => RandomForest.fromJSON({ ...json, version: 2 } as never), /not a ci-random-forest v1 model/);
    assert.throws(() => RandomForest.fromJSON({ ...json, nodes: { ...json.nodes, left: json.nodes.roots } }), /corrupt model/);
  });
});

describe('RandomForest determinism', () => {
  test('same seed gives the same forest, whatever the number of workers', async () => {
    const small = signalData(800, 4);
    const opts = { nEstimators: 12, seed: 5, maxDepth: 6, parallelThreshold: 0 };
    const a = await RandomForest.train(small.x, small.y, { ...opts, nJobs: 1 });
    const b = await RandomForest.train(small.x, small.y, { ...opts, nJobs: 2 });
    const c = await RandomForest.train(small.x, small.y, { ...opts, nJobs: 3 });
    assert.equal(JSON.stringify(b.toJSON()), JSON.stringify(a.toJSON()));
    assert.equal(JSON.stringify(c.toJSON()), JSON.stringify(a.toJSON()));
    const other = await RandomForest.train(small.x, small.y, { ...opts, seed: 6, nJobs: 1 });
    assert.notDeepEqual(other.predictProba(small.x), a.predictProba(small.x));
  });

  test('tree seeds differ per tree and per forest seed', () => {
    const seeds = new Set<number>();
    for (let s = 0; s < 10; s++) for (let t = 0; t < 100; t++) seeds.add(treeSeed(s, t));
    assert.equal(seeds.size, 1000);
  });
});

describe('RandomForest training details', () => {
  test('one unbootstrapped tree with all features fits distinct training rows exactly', async () => {
    const small = signalData(300, 5);
    const tree = await RandomForest.train(small.x, small.y, { nEstimators: 1, bootstrap: false, maxFeatures: 'all', nJobs: 1 });
    assert.deepEqual(Array.from(tree.predictProba(small.x)), Array.from(small.y));
  });

  test('maxDepth bounds every tree; minSamplesLeaf makes shallower trees', async () => {
    const forest = await RandomForest.train(train.x, train.y, { nEstimators: 8, maxDepth: 4, nJobs: 1 });
    const depths = treeDepths(forest);
    assert.ok(depths.every((d) => d <= 4) && depths.includes(4), `depths ${depths}`);
    const deep = await RandomForest.train(train.x, train.y, { nEstimators: 8, nJobs: 1 });
    const bushy = await RandomForest.train(train.x, train.y, { nEstimators: 8, minSamplesLeaf: 50, nJobs: 1 });
    assert.ok(bushy.nNodes < deep.nNodes / 5, `${bushy.nNodes} vs ${deep.nNodes} nodes`);
  });

  test('row-major float64, float32 and column inputs give the same model and scores', async () => {
    const small = signalData(600, 6);
    // Float32 inputs: compare on values already representable in float32.
    const f32 = Float32Array.from(small.x.values);
    const asF64 = { values: Float64Array.from(f32), nCols: 8 };
    const columns = Array.from({ length: 8 }, (_, j) => column(asF64, j));
    const inputs: FeatureMatrix[] = [asF64, { values: f32, nCols: 8 }, { columns }, { columns: columns.map((c) => Array.from(c)) }];
    const forests = await Promise.all(inputs.map((x) => RandomForest.train(x, small.y, { nEstimators: 5, seed: 1, nJobs: 1 })));
    const expected = forests[0].predictProba(asF64);
    for (let k = 0; k < inputs.length; k++) {
      assert.equal(JSON.stringify(forests[k].toJSON()), JSON.stringify(forests[0].toJSON()));
      assert.deepEqual(forests[0].predictProba(inputs[k]), expected);
    }
  });

  test('missing values: learned routing, and a missingness signal is used', async () => {
    const withNaN = signalData(3000, 7, 0.25);
    const test2 = signalData(2000, 8, 0.25);
    const forest = await RandomForest.train(withNaN.x, withNaN.y, { nEstimators: 40, minSamplesLeaf: 3, seed: 2, parallelThreshold: 0 });
    const p = forest.predictProba(test2.x);
    assert.ok(p.every((v) => v >= 0 && v <= 1), 'probabilities in [0, 1]');
    let nanMean = 0;
    let nanCount = 0;
    let otherMean = 0;
    for (let i = 0; i < p.length; i++) {
      if (Number.isNaN(test2.x.values[i * 8])) {
        nanMean += p[i];
        nanCount++;
      } else {
        otherMean += p[i];
      }
    }
    nanMean /= nanCount;
    otherMean /= p.length - nanCount;
    assert.ok(nanMean > otherMean + 0.2, `rows with x0 missing: ${nanMean}, others: ${otherMean}`);
    const auc = rocAuc(test2.y, p);
    assert.ok(auc > 0.8, `AUC ${auc}`);
    const c = forest.contributions(test2.x, Array.from(p.keys()).find((i) => Number.isNaN(test2.x.values[i * 8]))!);
    const sum = c.bias + c.values.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - c.prediction) < 1e-12, `${sum} vs ${c.prediction}`);
    // A row missing in a feature never seen missing in training takes the larger child.
    const row = { values: Float64Array.from(test2.x.values.subarray(0, 8)), nCols: 8 };
    row.values[3] = NaN;
    const unseen = forest.predictProba(row)[0];
    assert.ok(unseen >= 0 && unseen <= 1, `score ${unseen}`);
  });

  test('balanced class weights raise the scores on an imbalanced set', async () => {
    const imbalanced = syntheticChurn({ rows: 3000, noiseFeatures: 2, seed: 9 });
    const x = { values: imbalanced.values, nCols: imbalanced.nCols };
    const plain = await RandomForest.train(x, imbalanced.y, { nEstimators: 20, minSamplesLeaf: 5, nJobs: 1 });
    const balanced = await RandomForest.train(x, imbalanced.y, { nEstimators: 20, minSamplesLeaf: 5, nJobs: 1, classWeight: 'balanced' });
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    const rate = mean(Float64Array.from(imbalanced.y));
    assert.ok(Math.abs(mean(plain.predictProba(x)) - rate) < 0.03, 'unweighted forest is calibrated in the mean');
    const balancedMean = mean(balanced.predictProba(x));
    assert.ok(balancedMean > rate + 0.05, `balanced mean ${balancedMean}, churn rate ${rate}`);
  });

  test('entropy criterion and sample weights train', async () => {
    const small = signalData(1500, 10);
    const weights = Float64Array.from(small.y, (v) => (v === 1 ? 2 : 1));
    const forest = await RandomForest.train(small.x, small.y, { nEstimators: 20, criterion: 'entropy', sampleWeight: weights, seed: 4, nJobs: 1 });
    const auc = rocAuc(holdout.y, forest.predictProba(holdout.x));
    assert.ok(auc > 0.8, `AUC ${auc}`);
  });

  test('rejects bad input', async () => {
    await assert.rejects(RandomForest.train(train.x, train.y.subarray(1)), /labels for/);
    await assert.rejects(RandomForest.train({ values: new Float64Array(4), nCols: 2 }, [0, 2]), /must be 0 or 1/);
    await assert.rejects(RandomForest.train(train.x, train.y, { maxFeatures: 0 }), /maxFeatures/);
    await assert.rejects(RandomForest.train(train.x, train.y, { featureNames: ['a'] }), /feature names/);
    const forest = await trained;
    assert.throws(() => forest.predictProba({ values: new Float64Array(6), nCols: 3 }), /model has 8 features/);
    assert.throws(() => forest.contributions(holdout.x, 5000), /out of range/);
  });

  test('maxFeatures resolves like sklearn', () => {
    assert.equal(maxFeaturesCount('sqrt', 25), 5);
    assert.equal(maxFeaturesCount('sqrt', 2), 1);
    assert.equal(maxFeaturesCount('log2', 30), 4);
    assert.equal(maxFeaturesCount('all', 7), 7);
    assert.equal(maxFeaturesCount(3, 7), 3);
    assert.equal(maxFeaturesCount(0.5, 7), 3);
  });
});

/** Plain per-row walk of ForestNodes, the reference for the blocked, branch-free scoring kernels. */
function referenceProba(forest: RandomForest, x: { values: Float64Array; nCols: number }): Float64Array {
  const { roots, feature, threshold, missingLeft, left, value } = forest.nodes;
  const n = x.values.length / x.nCols;
  return Float64Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (const root of roots) {
      let node = root;
      while (feature[node] >= 0) {
        const v = x.values[i * x.nCols + feature[node]];
        const goLeft = Number.isNaN(v) ? missingLeft[node] === 1 : v <= threshold[node];
        node = goLeft ? left[node] : left[node] + 1;
      }
      sum += value[node];
    }
    return sum / roots.length;
  });
}

describe('RandomForest scoring', () => {
  test('matches a plain per-row walk, with and without missing values, in blocks and one row at a time', async () => {
    const withNaN = signalData(2500, 13, 0.2);
    const forest = await RandomForest.train(withNaN.x, withNaN.y, { nEstimators: 15, seed: 8, nJobs: 1 });
    // 2,103 rows: several 1024-row blocks and a tail that is not a multiple of 4.
    for (const data of [signalData(2103, 14), signalData(2103, 15, 0.2)]) {
      const expected = referenceProba(forest, data.x);
      const got = forest.predictProba(data.x);
      for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-12, `row ${i}: ${got[i]} vs ${expected[i]}`);
      for (const i of [0, 1, 2, 3, 2102]) {
        const one = forest.predictProba({ values: data.x.values.slice(i * 8, (i + 1) * 8), nCols: 8 })[0];
        assert.ok(Math.abs(one - expected[i]) < 1e-12, `single row ${i}: ${one} vs ${expected[i]}`);
      }
    }
  });
});

describe('RandomForest scoring on workers', () => {
  test('predictProbaAsync equals predictProba', async () => {
    const forest = await trained;
    const big = signalData(5000, 12, 0.1);
    const expected = forest.predictProba(big.x);
    assert.deepEqual(Array.from(await forest.predictProbaAsync(big.x, { nJobs: 2, minRowsPerJob: 1000 })), Array.from(expected));
    const columns = { columns: Array.from({ length: 8 }, (_, j) => column(big.x, j)) };
    assert.deepEqual(Array.from(await forest.predictProbaAsync(columns, { nJobs: 3, minRowsPerJob: 1000 })), Array.from(expected));
  });

  test('worker training also works when the process runs under the tsx CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'forest-tsx-'));
    try {
      const forestUrl = new URL('../../../models/churn/forest/random-forest.ts', import.meta.url).href;
      // .mts: outside the repo there is no package.json saying this is an ES module.
      const script = join(dir, 'train.mts');
      writeFileSync(
        script,
        `import { RandomForest } from ${JSON.stringify(forestUrl)};
const values = new Float64Array(400).map((_, i) => (i * 7919) % 101);
const y = Uint8Array.from({ length: 200 }, (_, i) => (values[2 * i] > 50 ? 1 : 0));
const forest = await RandomForest.train({ values, nCols: 2 }, y, { nEstimators: 4, nJobs: 2, parallelThreshold: 0 });
const p = await forest.predictProbaAsync({ values, nCols: 2 }, { minRowsPerJob: 50 });
console.log(JSON.stringify({ nodes: forest.nNodes, first: p[0] }));
`,
      );
      const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
      const r = spawnSync(process.execPath, [tsxCli, script], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim());
      assert.ok(out.nodes > 1, r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('binning', () => {
  test('few distinct values: one bin each, edges halfway between neighbours', () => {
    const sorted = Float64Array.from([1, 1, 2, 4, 4, 4, 10]);
    assert.deepEqual(Array.from(quantileEdges(sorted, sorted.length, 255)), [1.5, 3, 7]);
    const edges = quantileEdges(sorted, sorted.length, 255);
    assert.deepEqual([1, 1.5, 1.6, 3, 4, 7, 10, 99].map((v) => binOf(edges, v)), [0, 0, 1, 1, 2, 2, 3, 3]);
  });

  test('many distinct values: equal-frequency bins, runs of equal values never split', () => {
    const values = new Float64Array(10_000);
    for (let i = 0; i < values.length; i++) values[i] = i < 3000 ? 0 : i; // 30% zeros
    const edges = quantileEdges(values, values.length, 16);
    assert.ok(edges.length <= 15, `${edges.length} edges`);
    const counts = new Array(edges.length + 1).fill(0);
    for (const v of values) counts[binOf(edges, v)]++;
    assert.equal(counts[0], 3000); // all zeros in one bin
    for (let b = 1; b < counts.length; b++) assert.ok(Math.abs(counts[b] - 7000 / (counts.length - 1)) < 700, `bin ${b}: ${counts[b]}`);
  });

  test('binMatrix: missing values get their own bin; bin <= b exactly when value <= edges[b]', () => {
    const x = { columns: [[3, NaN, 1, 2, null, 5], Float64Array.from([0.5, 0.25, 0.25, 1, 2, 8])] };
    const b = binMatrix(x, { maxBins: 4, shared: false });
    assert.equal(b.stride, 4);
    assert.deepEqual(Array.from(b.nBins), [4, 4]);
    const f0 = Array.from({ length: 6 }, (_, i) => b.bins[i * b.stride]);
    assert.equal(f0[1], 4);
    assert.equal(f0[4], 4);
    for (const f of [0, 1]) {
      const col = x.columns[f];
      for (let i = 0; i < 6; i++) {
        const v = col[i];
        if (v == null || Number.isNaN(v)) continue;
        const bin: number = b.bins[i * b.stride + f];
        for (let e = 0; e < b.edges[f].length; e++) assert.equal(bin <= e, v <= b.edges[f][e]);
      }
    }
  });
});
