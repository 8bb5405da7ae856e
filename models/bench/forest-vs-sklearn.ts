/**
 * Benchmark: this project's random forest against scikit-learn's RandomForestClassifier on the
 * same synthetic churn-like data, same split, same hyper-parameters; then scoring speed on 1M rows.
 *
 *   tsx models/bench/forest-vs-sklearn.ts [--rows 100000] [--trees 100] [--max-depth 12]
 *     [--min-samples-leaf 5] [--jobs 2] [--score-rows 1000000] [--seed 7] [--python /usr/bin/python3]
 *
 * --max-depth 0 means unlimited. sklearn is only a peer: without it (Debian: apt-get install -y
 * python3-sklearn) the peer is skipped and everything else still runs. Goals: training time ≤ 1.0×
 * sklearn, AUC ≥ sklearn − 0.005, 1M rows scored in ≤ 30 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RandomForest } from '../churn/forest/random-forest.ts';
import { syntheticChurn } from '../churn/forest/synthetic.ts';
import { rocAuc } from '../churn/metrics.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    trees: { type: 'string', default: '100' },
    'max-depth': { type: 'string', default: '12' },
    'min-samples-leaf': { type: 'string', default: '5' },
    jobs: { type: 'string', default: '2' },
    'score-rows': { type: 'string', default: '1000000' },
    'test-fraction': { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '7' },
    python: { type: 'string', default: process.env.PYTHON ?? '/usr/bin/python3' },
  },
});
const rows = Number(args.rows);
const trees = Number(args.trees);
const maxDepth = Number(args['max-depth']) || null;
const minSamplesLeaf = Number(args['min-samples-leaf']);
const jobs = Number(args.jobs);
const scoreRows = Number(args['score-rows']);
const seed = Number(args.seed);
const python = args.python;

const SKLEARN_SCRIPT = `
import json, sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
train_csv, test_csv, out_path, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
train = np.loadtxt(train_csv, delimiter=",", skiprows=1)
test = np.loadtxt(test_csv, delimiter=",", skiprows=1)
clf = RandomForestClassifier(n_estimators=params["trees"], max_depth=params["max_depth"],
    min_samples_leaf=params["min_samples_leaf"], max_features="sqrt", bootstrap=True,
    n_jobs=params["jobs"], random_state=params["seed"])
t0 = time.perf_counter()
clf.fit(train[:, :-1], train[:, -1].astype(np.int64))
fit_s = time.perf_counter() - t0
t0 = time.perf_counter()
proba = clf.predict_proba(test[:, :-1])[:, 1]
predict_s = time.perf_counter() - t0
proba.astype("<f8").tofile(out_path)
nodes = int(sum(e.tree_.node_count for e in clf.estimators_))
print(json.dumps({"fit_s": fit_s, "predict_s": predict_s, "auc": roc_auc_score(test[:, -1], proba), "nodes": nodes}))
`;

function toCsv(values: Float64Array, nCols: number, y: Uint8Array, from: number, to: number, names: string[]): string {
  const lines = [[...names, 'churned'].join(',')];
  for (let i = from; i < to; i++) {
    const cells: string[] = [];
    for (let j = 0; j < nCols; j++) cells.push(String(values[i * nCols + j]));
    cells.push(String(y[i]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function hasSklearn(): boolean {
  const r = spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' });
  return r.status === 0;
}

const data = syntheticChurn({ rows, seed });
const nTrain = Math.round(rows * (1 - Number(args['test-fraction'])));
const { nCols, values, y } = data;
const train = { values: values.subarray(0, nTrain * nCols), nCols };
const test = { values: values.subarray(nTrain * nCols), nCols };
const yTrain = y.subarray(0, nTrain);
const yTest = y.subarray(nTrain);
let positives = 0;
for (const v of y) positives += v;
console.log(`data: ${rows} rows × ${nCols} features (${((100 * positives) / rows).toFixed(1)}% positive), train ${nTrain}, test ${rows - nTrain}`);
console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} (timings are wall-clock: a loaded machine slows both sides)`);
console.log(`params: ${trees} trees, max_depth ${maxDepth ?? 'none'}, min_samples_leaf ${minSamplesLeaf}, max_features sqrt, ${jobs} jobs`);

let t0 = performance.now();
const forest = await RandomForest.train(train, yTrain, { nEstimators: trees, maxDepth, minSamplesLeaf, maxFeatures: 'sqrt', nJobs: jobs, seed });
const oursTrainMs = performance.now() - t0;
t0 = performance.now();
const oursProba = forest.predictProba(test);
const oursPredictMs = performance.now() - t0;
const oursAuc = rocAuc(yTest, oursProba);
console.log(`ours:    train ${seconds(oursTrainMs)}, predict test ${seconds(oursPredictMs)}, AUC ${oursAuc.toFixed(4)}, ${forest.nNodes} nodes`);

let peer: { fit_s: number; predict_s: number; auc: number; nodes: number } | null = null;
if (!hasSklearn()) {
  console.log(`sklearn: not available for ${python}; peer skipped. Install it with: apt-get install -y python3-sklearn (Debian), or pass --python /path/to/python-with-sklearn`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'forest-bench-'));
  try {
    const trainCsv = join(dir, 'train.csv');
    const testCsv = join(dir, 'test.csv');
    const outPath = join(dir, 'proba.f64');
    writeFileSync(trainCsv, toCsv(values, nCols, y, 0, nTrain, data.featureNames));
    writeFileSync(testCsv, toCsv(values, nCols, y, nTrain, rows, data.featureNames));
    const params = JSON.stringify({ trees, max_depth: maxDepth, min_samples_leaf: minSamplesLeaf, jobs, seed });
    const r = spawnSync(python, ['-c', SKLEARN_SCRIPT, trainCsv, testCsv, outPath, params], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`sklearn run failed (${r.status}): ${r.stderr}`);
    peer = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const bytes = readFileSync(outPath);
    const sk = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    const skAuc = rocAuc(yTest, sk);
    if (Math.abs(skAuc - peer!.auc) > 1e-9) throw new Error(`AUC mismatch: ours ${skAuc} vs sklearn's own ${peer!.auc}`);
    console.log(`sklearn: train ${peer!.fit_s.toFixed(2)} s, predict test ${peer!.predict_s.toFixed(2)} s, AUC ${peer!.auc.toFixed(4)}, ${peer!.nodes} nodes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let scoreMs = 0;
let scoreAsyncMs = 0;
if (scoreRows > 0) {
  t0 = performance.now();
  const big = syntheticChurn({ rows: scoreRows, seed: seed + 1 });
  const generateMs = performance.now() - t0;
  const x = { values: big.values, nCols: big.nCols };
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const p = forest.predictProba(x);
  scoreMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const scoreCpuMs = (cpu.user + cpu.system) / 1000;
  t0 = performance.now();
  const pAsync = await forest.predictProbaAsync(x, { nJobs: jobs });
  scoreAsyncMs = performance.now() - t0;
  if (pAsync.some((v, i) => v !== p[i])) throw new Error('predictProbaAsync differs from predictProba');
  console.log(
    `scoring: ${scoreRows} rows in ${seconds(scoreMs)} (one thread, ${seconds(scoreCpuMs)} CPU), ${seconds(scoreAsyncMs)} (predictProbaAsync, ${jobs} workers); ` +
      `data generation ${seconds(generateMs)}, AUC ${rocAuc(big.y, p).toFixed(4)}`,
  );
}

console.log('\nsummary');
if (peer) {
  const ratio = oursTrainMs / 1000 / peer.fit_s;
  console.log(`  training time ours/sklearn: ${ratio.toFixed(2)}× (goal ≤ 1.0) ${ratio <= 1 ? 'ok' : 'MISSED'}`);
  const gap = oursAuc - peer.auc;
  console.log(`  AUC ours − sklearn: ${gap >= 0 ? '+' : ''}${gap.toFixed(4)} (goal ≥ −0.005) ${gap >= -0.005 ? 'ok' : 'MISSED'}`);
}
if (scoreRows > 0) console.log(`  ${scoreRows} rows scored in ${seconds(scoreMs)} one thread, ${seconds(scoreAsyncMs)} on workers (goal ≤ 30 s) ${Math.min(scoreMs, scoreAsyncMs) <= 30_000 ? 'ok' : 'MISSED'}`);
