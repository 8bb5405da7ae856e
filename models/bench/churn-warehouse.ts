/**
 * Benchmark: the churn pipeline on a 100k-customer warehouse. A synthetic history with a planted
 * churn signal is loaded into a temporary embedded warehouse; the feature matrix is exported by the
 * engine (CSV for the peer, Parquet for show) at the training and the evaluation cutoff; then this
 * project's forest and scikit-learn's RandomForestClassifier train on the *same exported features*
 * with the same hyper-parameters, and both are scored on the later cutoff. Finally end-to-end
 * churn scoring (features → probabilities → reasons → churn_scores) is timed and extrapolated to 1M.
 *
 *   tsx models/bench/churn-warehouse.ts [--customers 100000] [--trees 100] [--max-depth 12]
 *     [--min-samples-leaf 5] [--jobs 2] [--python /usr/bin/python3] [--keep DIR]
 *
 * --keep DIR keeps the warehouse in DIR; a later run with the same DIR and customer count reuses it
 * instead of loading again.
 *
 * sklearn 1.2 (Debian) has no missing-value support, so both models get the exported matrix with
 * NULL → −1 (a value no feature takes); the project's forest would otherwise route NaN itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { WarehouseConfig } from '../../lib/config.ts';
import { connectWarehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { addDays, resolveDefinition, validationCutoffs } from '../churn/definition.ts';
import { exportFeatures } from '../churn/export.ts';
import { RandomForest } from '../churn/forest/random-forest.ts';
import { rocAuc } from '../churn/metrics.ts';
import { newModelVersion, type LoadedChurnModel } from '../churn/registry.ts';
import { loadFixture } from '../churn/synthetic-history.ts';
import { scoreChurn } from '../scoring/score-churn.ts';
import { newRunId } from '../scoring/runs.ts';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    trees: { type: 'string', default: '100' },
    'max-depth': { type: 'string', default: '12' },
    'min-samples-leaf': { type: 'string', default: '5' },
    jobs: { type: 'string', default: '2' },
    seed: { type: 'string', default: '7' },
    today: { type: 'string', default: '2025-01-01' },
    python: { type: 'string', default: loadConfig().PYTHON },
    keep: { type: 'string' },
  },
});
const customers = Number(args.customers);
const trees = Number(args.trees);
const maxDepth = Number(args['max-depth']) || null;
const minSamplesLeaf = Number(args['min-samples-leaf']);
const jobs = Number(args.jobs);
const seed = Number(args.seed);
const today = args.today!;
const python = args.python!;
const MISSING = -1;

const SKLEARN_SCRIPT = `
import json, sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
train_csv, test_csv, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def load(path):
    # customer_id is column 0 (text), the label is last; ClickHouse writes NULL as \\N.
    m = np.genfromtxt(path, delimiter=",", skip_header=1, missing_values="\\\\N", filling_values=np.nan)[:, 1:]
    x, y = m[:, :-1], m[:, -1].astype(np.int64)
    return np.nan_to_num(x, nan=params["missing"]), y
xtr, ytr = load(train_csv)
xte, yte = load(test_csv)
clf = RandomForestClassifier(n_estimators=params["trees"], max_depth=params["max_depth"],
    min_samples_leaf=params["min_samples_leaf"], max_features="sqrt", bootstrap=True,
    n_jobs=params["jobs"], random_state=params["seed"])
t0 = time.perf_counter()
clf.fit(xtr, ytr)
fit_s = time.perf_counter() - t0
proba = clf.predict_proba(xte)[:, 1]
print(json.dumps({"fit_s": fit_s, "auc": roc_auc_score(yte, proba), "rows": int(xtr.shape[0]), "cols": int(xtr.shape[1])}))
`;

/** Reads an exported CSV feature file (header line first): customer_id first, churned last. */
function readExport(path: string): { features: string[]; columns: Float64Array[]; labels: Uint8Array } {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const header = lines[0].split(',').map((h) => h.replaceAll('"', ''));
  const features = header.slice(1, -1);
  const n = lines.length - 1;
  const columns = features.map(() => new Float64Array(n));
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1].split(',');
    for (let j = 0; j < features.length; j++) {
      const c = cells[j + 1];
      columns[j][i] = c === '\\N' || c === 'nan' ? MISSING : Number(c);
    }
    labels[i] = Number(cells[cells.length - 1]);
  }
  return { features, columns, labels };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'churn-bench-'));
const config: WarehouseConfig = { user: 'bench', password: `bench-${process.pid}`, database: 'crm', dataDir: dir, embeddedPort: 0 };
const admin = await connectWarehouse({ config, withDatabase: false });
await admin.client.command({ query: 'CREATE DATABASE IF NOT EXISTS crm' });
await applyMigrations(admin.client, { database: 'crm' });
const wh = await connectWarehouse({ config });
try {
  const definition = resolveDefinition();
  const { trainCutoff, evalCutoff } = validationCutoffs(today, definition);
  console.log(`churn bench: ${customers} customers, today ${today}, train at ${trainCutoff}, evaluate at ${evalCutoff}`);
  console.log(`params: ${trees} trees, max_depth ${maxDepth ?? 'none'}, min_samples_leaf ${minSamplesLeaf}, max_features sqrt, ${jobs} jobs`);

  let t0 = performance.now();
  let lastLog = t0;
  const existing = await (await wh.client.query({ query: 'SELECT count() AS n FROM customers', format: 'JSONEachRow' })).json<{ n: string }>();
  const reuse = Number(existing[0].n) === customers;
  if (reuse) console.log(`load:    reusing the ${customers} customers already in ${dir}`);
  const truth = reuse ? undefined : await loadFixture(wh, {
    customers,
    today,
    seed,
    onProgress: (n, rows) => {
      if (performance.now() - lastLog > 10_000 || n === customers) {
        lastLog = performance.now();
        console.log(`  loading: ${n}/${customers} customers, ${rows} rows (${s(lastLog - t0)})`);
      }
    },
  });
  if (truth) {
    const r = truth.rows;
    console.log(`load:    ${r.transactions} transaction lines, ${r.interactions} interactions, ${r.opportunities} deals in ${s(performance.now() - t0)}`);
  }

  t0 = performance.now();
  const trainCsv = await exportFeatures(wh, { cutoff: trainCutoff, definition, withLabels: true, out: join(dir, 'train.csv') });
  const testCsv = await exportFeatures(wh, { cutoff: evalCutoff, definition, withLabels: true, out: join(dir, 'test.csv') });
  const pq = await exportFeatures(wh, { cutoff: evalCutoff, definition, withLabels: true, out: join(dir, 'test.parquet') });
  console.log(
    `export:  train CSV ${(trainCsv.bytes / 1e6).toFixed(1)} MB in ${trainCsv.seconds.toFixed(1)} s, ` +
      `test CSV ${(testCsv.bytes / 1e6).toFixed(1)} MB in ${testCsv.seconds.toFixed(1)} s, test Parquet ${(pq.bytes / 1e6).toFixed(1)} MB in ${pq.seconds.toFixed(1)} s`,
  );

  const train = readExport(trainCsv.path);
  const test = readExport(testCsv.path);
  const rate = (y: Uint8Array): string => `${((100 * y.reduce((a, b) => a + b, 0)) / y.length).toFixed(1)}% churned`;
  console.log(`data:    train ${train.labels.length} × ${train.features.length} (${rate(train.labels)}), test ${test.labels.length} (${rate(test.labels)}), ${s(performance.now() - t0)} incl. parsing`);

  t0 = performance.now();
  const forest = await RandomForest.train({ columns: train.columns }, train.labels, {
    nEstimators: trees,
    maxDepth,
    minSamplesLeaf,
    maxFeatures: 'sqrt',
    nJobs: jobs,
    seed,
    featureNames: train.features,
  });
  const oursMs = performance.now() - t0;
  const oursAuc = rocAuc(test.labels, forest.predictProba({ columns: test.columns }));
  console.log(`ours:    train ${(oursMs / 1000).toFixed(2)} s, AUC ${oursAuc.toFixed(4)}, ${forest.nNodes} nodes`);

  let peer: { fit_s: number; auc: number; rows: number; cols: number } | undefined;
  if (spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' }).status !== 0) {
    console.log(`sklearn: not available for ${python}; peer skipped (Debian: apt-get install -y python3-sklearn)`);
  } else {
    const params = JSON.stringify({ trees, max_depth: maxDepth, min_samples_leaf: minSamplesLeaf, jobs, seed, missing: MISSING });
    const p = spawnSync(python, ['-c', SKLEARN_SCRIPT, trainCsv.path, testCsv.path, params], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) throw new Error(`sklearn run failed (${p.status}): ${p.stderr}`);
    peer = JSON.parse(p.stdout.trim().split('\n').pop()!);
    if (peer!.rows !== train.labels.length || peer!.cols !== train.features.length) throw new Error(`sklearn read ${peer!.rows} × ${peer!.cols}, expected ${train.labels.length} × ${train.features.length}`);
    console.log(`sklearn: train ${peer!.fit_s.toFixed(2)} s, AUC ${peer!.auc.toFixed(4)}`);
  }

  // End to end at today: features of every buyer, probabilities, reasons, insert into churn_scores.
  const model: LoadedChurnModel = {
    forest,
    file: {
      format: 'ci-churn-model',
      formatVersion: 1,
      modelVersion: newModelVersion('churn', addDays(today, -definition.horizonDays)),
      model: 'churn',
      trainedAt: new Date().toISOString(),
      cutoff: trainCutoff,
      features: train.features,
      definition,
      metrics: {},
      params: {},
      forest: forest.toJSON(),
    },
  };
  const scored = await scoreChurn(wh, { runId: newRunId(today), today, model });
  const perSecond = scored.customers / scored.seconds;
  const tm = scored.timings;
  console.log(
    `scoring: ${scored.customers} customers end to end in ${scored.seconds.toFixed(1)} s = ${Math.round(perSecond)}/s → 1M ≈ ${(1e6 / perSecond).toFixed(0)} s ` +
      `(feature query ${tm.featuresSeconds.toFixed(1)} s, probabilities + reasons ${tm.modelSeconds.toFixed(1)} s, inserts ${tm.insertSeconds.toFixed(1)} s)`,
  );

  console.log('\nsummary');
  if (peer) {
    const ratio = oursMs / 1000 / peer.fit_s;
    console.log(`  training on exported features, ours/sklearn: ${ratio.toFixed(2)}× (goal ≤ 1.0) ${ratio <= 1 ? 'ok' : 'MISSED'}`);
    const gap = oursAuc - peer.auc;
    console.log(`  AUC ours − sklearn: ${gap >= 0 ? '+' : ''}${gap.toFixed(4)} (goal ≥ −0.005) ${gap >= -0.005 ? 'ok' : 'MISSED'}`);
  }
  // The "1M scored ≤ 30 s" is the model's scoring (forest-vs-sklearn.ts times predictProba on
  // 1M rows); this line adds the feature SQL, the reasons and the inserts around it.
  console.log(
    `  end-to-end churn scoring (feature SQL + probabilities + reasons + insert), 1M extrapolated: ${(1e6 / perSecond).toFixed(0)} s ` +
      `(the 30 s goal is for the model's scoring alone: see forest-vs-sklearn.ts)`,
  );
} finally {
  await wh.close();
  await admin.close();
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
