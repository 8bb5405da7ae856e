/**
 * Benchmark: this project's random forest against scikit-learn's RandomForestClassifier, with the
 * same settings on the same matrices, folds and seeds (issue 14). Three parts:
 *
 * 1. Quality: 5-fold cross-validation × 3 seeds on churn matrices where the gap showed: the CDNOW
 *    purchase log at three cutoffs, through the product's 32-feature shape (cdnow-churn-matrix.ts),
 *    and, with --csv, any matrix exported by `npm run models -- export` (customer_id first, churned
 *    last). Goal: mean AUC ours ≥ sklearn − 0.005 on each.
 * 2. Training speed: one train/test split of a 100k-row synthetic churn matrix (synthetic.ts), both
 *    with the same threads. Goal: training time ≤ 0.5× sklearn's, measured in this run.
 * 3. Scoring: predictProba on 1M rows (the end-to-end scoring bench is score-churn.ts).
 *
 *   tsx models/bench/forest-vs-sklearn.ts [--trees 100] [--max-depth 10] [--min-samples-leaf 10]
 *     [--folds 5] [--seeds 1,2,3] [--csv FILE]... [--speed-rows 100000] [--jobs 2]
 *     [--score-rows 1000000] [--python /usr/bin/python3] [--help]
 *
 * Settings default to the product's (models/churn/train.ts); --max-depth 0 = unlimited.
 * sklearn 1.2 (Debian's python3-sklearn) rejects NaN, so both sides get missing values as −1 (a
 * value no feature takes); the forest's own NaN routing is shown on an extra line. Without sklearn
 * (bin/setup-system.sh installs it) the peer is skipped and the rest still runs. Timings are
 * wall-clock on a shared machine: both sides slow down together, so read the ratios.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config/schema.ts';
import { RandomForest, type MaxFeatures } from '../churn/forest/random-forest.ts';
import { syntheticChurn } from '../churn/forest/synthetic.ts';
import { rocAuc } from '../churn/metrics.ts';
import { DEFAULT_FOREST_OPTIONS } from '../churn/train.ts';
import { cdnowAvailable, CDNOW_FILE, loadCdnow } from '../clv/cdnow.ts';
import { cdnowChurnMatrix } from './cdnow-churn-matrix.ts';

const HELP = `forest-vs-sklearn: our random forest vs scikit-learn's, same settings, matrices, folds and seeds.

  --trees N              trees (default: the product's, ${DEFAULT_FOREST_OPTIONS.nEstimators})
  --max-depth N          0 = unlimited (default: the product's, ${DEFAULT_FOREST_OPTIONS.maxDepth ?? 0})
  --min-samples-leaf N   (default: the product's, ${DEFAULT_FOREST_OPTIONS.minSamplesLeaf})
  --folds N              cross-validation folds (default 5)
  --seeds a,b,c          forest seeds, each run on every fold (default 1,2,3)
  --csv FILE             also cross-validate an exported feature matrix (repeatable)
  --speed-rows N         rows of the synthetic training-speed matrix (default 100000; 0 skips)
  --jobs N               threads for both sides (default 2)
  --score-rows N         rows for the scoring timing (default 1000000; 0 skips)
  --python PATH          python with sklearn (default /usr/bin/python3 or $PYTHON)
`;

const { values: args } = parseArgs({
  options: {
    trees: { type: 'string', default: String(DEFAULT_FOREST_OPTIONS.nEstimators ?? 100) },
    'max-depth': { type: 'string', default: String(DEFAULT_FOREST_OPTIONS.maxDepth ?? 0) },
    'min-samples-leaf': { type: 'string', default: String(DEFAULT_FOREST_OPTIONS.minSamplesLeaf ?? 1) },
    folds: { type: 'string', default: '5' },
    seeds: { type: 'string', default: '1,2,3' },
    csv: { type: 'string', multiple: true, default: [] },
    'speed-rows': { type: 'string', default: '100000' },
    jobs: { type: 'string', default: '2' },
    'score-rows': { type: 'string', default: '1000000' },
    python: { type: 'string', default: loadConfig().PYTHON },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const intArg = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
};
const trees = intArg('trees', args.trees!, 1);
const maxDepth = intArg('max-depth', args['max-depth']!, 0) || null;
const minSamplesLeaf = intArg('min-samples-leaf', args['min-samples-leaf']!, 1);
const nFolds = intArg('folds', args.folds!, 2);
const seeds = args.seeds!.split(',').map((s) => intArg('seeds', s, 0));
const speedRows = intArg('speed-rows', args['speed-rows']!, 0);
const jobs = intArg('jobs', args.jobs!, 1);
const scoreRows = intArg('score-rows', args['score-rows']!, 0);
const python = args.python!;
const maxFeatures: MaxFeatures = DEFAULT_FOREST_OPTIONS.maxFeatures ?? 'sqrt';
/** sklearn 1.2 rejects NaN: both sides get this instead (no feature takes a negative value). */
const MISSING = -1;
const AUC_GOAL = -0.005;
const TIME_GOAL = 0.5;

interface Matrix {
  name: string;
  featureNames: string[];
  /** Row-major, NaN = missing. */
  values: Float64Array;
  nCols: number;
  y: Uint8Array;
}

const SKLEARN_CV = `
import json, sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
path, p = sys.argv[1], json.loads(sys.argv[2])
m = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
x, y, fold = m[:, :-2], m[:, -2].astype(np.int64), m[:, -1].astype(np.int64)
out = []
for seed in p["seeds"]:
    for k in range(p["folds"]):
        tr, te = fold != k, fold == k
        clf = RandomForestClassifier(n_estimators=p["trees"], max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"],
            max_features=p["max_features"], bootstrap=True, n_jobs=p["jobs"], random_state=seed)
        t0 = time.perf_counter()
        clf.fit(x[tr], y[tr])
        fit_s = time.perf_counter() - t0
        out.append({"seed": seed, "fold": k, "fit_s": fit_s, "auc": roc_auc_score(y[te], clf.predict_proba(x[te])[:, 1])})
print(json.dumps(out))
`;

function hasSklearn(): boolean {
  return spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
}

/** sklearn's spelling of a maxFeatures option. */
function sklearnMaxFeatures(m: MaxFeatures): string | number | null {
  if (m === 'all') return null;
  return m;
}

/** Fold of every row: a seeded shuffle dealt round-robin, so folds differ in size by ≤ 1. */
function foldAssignment(n: number, k: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let s = (seed % 2147483646) + 1;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 48271) % 2147483647;
    const j = s % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const fold = new Int32Array(n);
  order.forEach((row, r) => (fold[row] = r % k));
  return fold;
}

function rowsOf(values: Float64Array, nCols: number, rows: Int32Array): { values: Float64Array; nCols: number } {
  const out = new Float64Array(rows.length * nCols);
  rows.forEach((r, i) => out.set(values.subarray(r * nCols, (r + 1) * nCols), i * nCols));
  return { values: out, nCols };
}

/** Reads a matrix exported by models/churn/export.ts (CSV: customer_id, features…, churned). */
function readExport(path: string): Matrix {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const header = lines[0].split(',').map((h) => h.replaceAll('"', ''));
  if (header[0] !== 'customer_id' || header[header.length - 1] !== 'churned') {
    throw new Error(`${path}: expected an export with labels (customer_id first, churned last), got header ${lines[0].slice(0, 80)}`);
  }
  const featureNames = header.slice(1, -1);
  const nCols = featureNames.length;
  const n = lines.length - 1;
  const values = new Float64Array(n * nCols);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1].split(',');
    if (cells.length !== nCols + 2) throw new Error(`${path} line ${i + 2}: ${cells.length} cells, expected ${nCols + 2}`);
    for (let j = 0; j < nCols; j++) {
      const c = cells[j + 1];
      const v = c === '\\N' || c === 'nan' || c === '' ? NaN : Number(c);
      if (c !== '\\N' && c !== 'nan' && c !== '' && Number.isNaN(v)) throw new Error(`${path} line ${i + 2}, ${featureNames[j]}: "${c}" is not a number`);
      values[i * nCols + j] = v;
    }
    const label = cells[cells.length - 1];
    if (label !== '0' && label !== '1') throw new Error(`${path} line ${i + 2}: churned is "${label}", expected 0 or 1`);
    y[i] = Number(label);
  }
  return { name: path, featureNames, values, nCols, y };
}

interface CvResult {
  oursAuc: number[];
  oursNanAuc: number[];
  oursMs: number[];
  skAuc: number[] | null;
  skMs: number[] | null;
}

async function crossValidate(m: Matrix, dir: string, peer: boolean): Promise<CvResult> {
  const n = m.y.length;
  const fold = foldAssignment(n, nFolds, 20260314);
  const imputed = Float64Array.from(m.values, (v) => (Number.isNaN(v) ? MISSING : v));
  const res: CvResult = { oursAuc: [], oursNanAuc: [], oursMs: [], skAuc: null, skMs: null };
  for (const seed of seeds) {
    for (let k = 0; k < nFolds; k++) {
      const train = Int32Array.from({ length: n }, (_, i) => i).filter((i) => fold[i] !== k);
      const test = Int32Array.from({ length: n }, (_, i) => i).filter((i) => fold[i] === k);
      const yTrain = Uint8Array.from(train, (i) => m.y[i]);
      const yTest = Uint8Array.from(test, (i) => m.y[i]);
      const opts = { nEstimators: trees, maxDepth, minSamplesLeaf, maxFeatures, nJobs: jobs, seed };
      const t0 = performance.now();
      const forest = await RandomForest.train(rowsOf(imputed, m.nCols, train), yTrain, opts);
      res.oursMs.push(performance.now() - t0);
      res.oursAuc.push(rocAuc(yTest, forest.predictProba(rowsOf(imputed, m.nCols, test))));
      const withNan = await RandomForest.train(rowsOf(m.values, m.nCols, train), yTrain, opts);
      res.oursNanAuc.push(rocAuc(yTest, withNan.predictProba(rowsOf(m.values, m.nCols, test))));
    }
  }
  if (peer) {
    const csv = join(dir, 'cv.csv');
    const lines = [[...m.featureNames, 'y', 'fold'].join(',')];
    for (let i = 0; i < n; i++) lines.push(`${imputed.subarray(i * m.nCols, (i + 1) * m.nCols).join(',')},${m.y[i]},${fold[i]}`);
    writeFileSync(csv, lines.join('\n') + '\n');
    const params = { seeds, folds: nFolds, trees, max_depth: maxDepth, min_samples_leaf: minSamplesLeaf, max_features: sklearnMaxFeatures(maxFeatures), jobs };
    const r = spawnSync(python, ['-c', SKLEARN_CV, csv, JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`sklearn run failed (${r.status}): ${r.stderr}`);
    const out: { seed: number; fold: number; fit_s: number; auc: number }[] = JSON.parse(r.stdout.trim().split('\n').pop()!);
    if (out.length !== seeds.length * nFolds) throw new Error(`sklearn returned ${out.length} fits, expected ${seeds.length * nFolds}`);
    res.skAuc = out.map((o) => o.auc);
    res.skMs = out.map((o) => o.fit_s * 1000);
  }
  return res;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
/** Standard error of the mean of paired differences a − b. */
function pairedSe(a: number[], b: number[]): number {
  const d = a.map((v, i) => v - b[i]);
  const m = mean(d);
  return Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / (d.length - 1) / d.length);
}
const sign = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

const peer = hasSklearn();
console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} (wall-clock timings; read the ratios)`);
console.log(`settings (both sides): ${trees} trees, max_depth ${maxDepth ?? 'none'}, min_samples_leaf ${minSamplesLeaf}, max_features ${maxFeatures}, bootstrap, gini, ${jobs} jobs`);
if (!peer) console.log(`sklearn: not available for ${python}; peer skipped. Install it: apt-get install -y python3-sklearn (bin/setup-system.sh does), or --python PATH`);

const matrices: Matrix[] = [];
if (cdnowAvailable()) {
  const lines = loadCdnow().map((t) => ({ customerId: t.customerId, date: String(t.date), amount: t.amount })); // parseCdnow gives YYYY-MM-DD strings
  for (const [cutoff, horizon] of [['1997-07-01', 180], ['1997-10-01', 180], ['1998-01-01', 90]] as const) {
    const m = cdnowChurnMatrix(lines, cutoff, horizon);
    matrices.push({ name: `CDNOW at ${cutoff}, ${horizon}-day horizon`, ...m });
  }
} else {
  console.log(`CDNOW: ${CDNOW_FILE} not found; its matrices are skipped (expected in ../shared/data/cdnow/)`);
}
for (const path of args.csv ?? []) matrices.push(readExport(path));

const dir = mkdtempSync(join(tmpdir(), 'forest-bench-'));
const summary: string[] = [];
try {
  console.log(`\nquality: ${nFolds}-fold cross-validation × seeds ${seeds.join(',')}, same folds and seeds for both; missing values as ${MISSING} for both`);
  for (const m of matrices) {
    const n = m.y.length;
    const pos = m.y.reduce((a, b) => a + b, 0);
    let constant = 0;
    for (let j = 0; j < m.nCols; j++) {
      const first = m.values[j];
      let same = true;
      for (let i = 1; i < n && same; i++) same = Object.is(m.values[i * m.nCols + j], first);
      if (same) constant++;
    }
    const r = await crossValidate(m, dir, peer);
    console.log(`  ${m.name}: ${n} rows × ${m.nCols} features (${constant} constant), ${((100 * pos) / n).toFixed(1)}% churned`);
    console.log(`    ours     AUC ${mean(r.oursAuc).toFixed(4)}  (forest's own NaN routing: ${mean(r.oursNanAuc).toFixed(4)})  train ${seconds(mean(r.oursMs))} per fit`);
    if (r.skAuc && r.skMs) {
      const gap = mean(r.oursAuc) - mean(r.skAuc);
      const ratio = mean(r.oursMs) / mean(r.skMs);
      console.log(`    sklearn  AUC ${mean(r.skAuc).toFixed(4)}  train ${seconds(mean(r.skMs))} per fit`);
      console.log(`    ours − sklearn ${sign(gap)} ± ${pairedSe(r.oursAuc, r.skAuc).toFixed(4)} (paired SE over ${r.oursAuc.length} fits); time ratio ${ratio.toFixed(2)}×`);
      summary.push(`  ${m.name}: AUC ours − sklearn ${sign(gap)} (goal ≥ ${AUC_GOAL}) ${verdict(gap >= AUC_GOAL)}; training ${ratio.toFixed(2)}× sklearn's time`);
    }
  }

  let forest: RandomForest | null = null;
  if (speedRows > 0) {
    const data = syntheticChurn({ rows: speedRows, seed: 7 });
    const nTrain = Math.round(speedRows * 0.8);
    const { nCols, values, y } = data;
    const train = { values: values.subarray(0, nTrain * nCols), nCols };
    const test = { values: values.subarray(nTrain * nCols), nCols };
    const yTest = y.subarray(nTrain);
    console.log(`\ntraining speed: synthetic ${speedRows} rows × ${nCols} features, train ${nTrain}, test ${speedRows - nTrain}`);
    const t0 = performance.now();
    forest = await RandomForest.train(train, y.subarray(0, nTrain), { nEstimators: trees, maxDepth, minSamplesLeaf, maxFeatures, nJobs: jobs, seed: 7 });
    const oursMs = performance.now() - t0;
    const oursAuc = rocAuc(yTest, forest.predictProba(test));
    console.log(`  ours:    train ${seconds(oursMs)}, test AUC ${oursAuc.toFixed(4)}, ${forest.nNodes} nodes`);
    if (peer) {
      const fold = new Int32Array(speedRows);
      fold.fill(1, 0, nTrain); // fold 0 = the test rows: sklearn trains on fold ≠ 0
      const csv = join(dir, 'speed.csv');
      const lines = [[...data.featureNames, 'y', 'fold'].join(',')];
      for (let i = 0; i < speedRows; i++) lines.push(`${values.subarray(i * nCols, (i + 1) * nCols).join(',')},${y[i]},${fold[i]}`);
      writeFileSync(csv, lines.join('\n') + '\n');
      const params = { seeds: [7], folds: 1, trees, max_depth: maxDepth, min_samples_leaf: minSamplesLeaf, max_features: sklearnMaxFeatures(maxFeatures), jobs };
      const r = spawnSync(python, ['-c', SKLEARN_CV, csv, JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`sklearn run failed (${r.status}): ${r.stderr}`);
      const sk: { fit_s: number; auc: number } = JSON.parse(r.stdout.trim().split('\n').pop()!)[0];
      console.log(`  sklearn: train ${sk.fit_s.toFixed(2)} s, test AUC ${sk.auc.toFixed(4)}`);
      const ratio = oursMs / 1000 / sk.fit_s;
      summary.push(`  training time ours/sklearn on ${speedRows} × ${nCols}: ${ratio.toFixed(2)}× (goal ≤ ${TIME_GOAL}) ${verdict(ratio <= TIME_GOAL)}`);
      summary.push(`  AUC on that split ours − sklearn: ${sign(oursAuc - sk.auc)} (goal ≥ ${AUC_GOAL}) ${verdict(oursAuc - sk.auc >= AUC_GOAL)}`);
    }
  }

  if (scoreRows > 0 && forest) {
    const big = syntheticChurn({ rows: scoreRows, seed: 8 });
    const x = { values: big.values, nCols: big.nCols };
    const t0 = performance.now();
    forest.predictProba(x);
    const ms = performance.now() - t0;
    console.log(`\nscoring: predictProba on ${scoreRows} rows in ${seconds(ms)} (one thread; ${Math.round(scoreRows / (ms / 1000))} rows/s)`);
    summary.push(`  predictProba on ${scoreRows} rows: ${seconds(ms)} (end to end with features, reasons and inserts: models/bench/score-churn.ts)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('\nsummary');
for (const line of summary) console.log(line);
