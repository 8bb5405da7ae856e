/**
 * CLV on real data (`npm run bench:models -- --clv`): the product's BG/NBD + Gamma-Gamma fitted on
 * the CDNOW sample up to each cutoff, its predicted purchases and spend for the period after it
 * against what the customers then did, beside the baselines of models/clv/holdout.ts (past_rate,
 * last_period, cohort_average), with the goals beside every row:
 *   total: |model's total error| ≤ the best baseline's;  top tenth: ≥ best baseline − 0.01;
 *   MAE ≤ the best baseline's;  Spearman ≥ best baseline − 0.01.
 * Then an independent cross-check in Python (models/bench/clv_check.py: its own parser, scipy fits,
 * scipy's hyp2f1 and spearmanr) at the published 39-week split; skipped with a message without scipy.
 *
 *   tsx models/bench/clv-real.ts [--horizons 90,180,365] [--from 1997-03-31] [--step 91] [--python PATH]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config/schema.ts';
import { addDays } from '../churn/definition.ts';
import { CDNOW_CALIBRATION_END, CDNOW_FILE, CDNOW_HOLDOUT_END, cdnowAvailable, loadCdnow } from '../clv/cdnow.ts';
import { BASELINES, evaluateClvHoldout, type HoldoutEvaluation, type PredictionScore } from '../clv/holdout.ts';
import { CDNOW_END } from './cdnow-load.ts';

const { values: args } = parseArgs({
  options: {
    clv: { type: 'boolean', default: true },
    help: { type: 'boolean', default: false },
    horizons: { type: 'string', default: '90,180,365' },
    from: { type: 'string', default: '1997-03-31' },
    step: { type: 'string', default: '91' },
    python: { type: 'string', default: loadConfig().PYTHON },
  },
});
if (args.help) {
  console.log(`npm run bench:models -- --clv [--horizons 90,180,365] [--from 1997-03-31] [--step 91] [--python PATH]

The CLV model (BG/NBD + Gamma-Gamma) on the CDNOW sample, out of time: fitted up to each cutoff
(from --from every --step days), its predicted purchases and spend over each horizon against what
customers did, beside past_rate, last_period and cohort_average, with the goals beside each row.
Then a Python/scipy cross-check at the published 39-week split. Needs ${CDNOW_FILE}.`);
  process.exit(0);
}
if (!cdnowAvailable()) {
  console.log(`bench:models --clv: the CDNOW sample is not at ${CDNOW_FILE}; nothing to measure.`);
  process.exit(0);
}

const tx = loadCdnow();
const pct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%`;
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
type Metric = 'absTotal' | 'mae' | 'spearman' | 'top';
const value = (s: PredictionScore, m: Metric): number =>
  m === 'absTotal' ? Math.abs(s.totalError) : m === 'mae' ? s.mae : m === 'spearman' ? s.spearman : s.topDecileCapture;
const lowerBetter = (m: Metric): boolean => m === 'absTotal' || m === 'mae';
const margin: Record<Metric, number> = { absTotal: 0, mae: 0, spearman: 0.01, top: 0.01 };
function best(scores: Record<string, PredictionScore>, m: Metric): { name: string; v: number } {
  let out = { name: '', v: NaN };
  for (const b of BASELINES) {
    const v = value(scores[b], m);
    if (!Number.isFinite(v)) continue;
    if (!out.name || (lowerBetter(m) ? v < out.v : v > out.v)) out = { name: b, v };
  }
  return out;
}
const met = (scores: Record<string, PredictionScore>, m: Metric): boolean => {
  const b = best(scores, m);
  const v = value(scores.model, m);
  return lowerBetter(m) ? v <= b.v + margin[m] : v >= b.v - margin[m];
};

const rows: { ev: HoldoutEvaluation; horizon: number; t: number }[] = [];
const t0 = performance.now();
for (const horizon of args.horizons.split(',').map(Number)) {
  for (let c = args.from; addDays(c, horizon) <= CDNOW_END; c = addDays(c, Number(args.step))) {
    const t = performance.now();
    rows.push({ ev: evaluateClvHoldout(tx, { cutoff: c, holdoutEnd: addDays(c, horizon) }), horizon, t: performance.now() - t });
  }
}
const split = evaluateClvHoldout(tx, { cutoff: CDNOW_CALIBRATION_END, holdoutEnd: CDNOW_HOLDOUT_END });
console.log(
  `CDNOW: ${tx.length} lines; ${rows.length} cutoff × horizon pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
);

const goals: Record<Metric, number> = { absTotal: 0, mae: 0, spearman: 0, top: 0 };
for (const measure of ['spend', 'purchases'] as const) {
  console.log(`${measure}: model vs the best baseline per metric (goal met / MISSED)`);
  console.log(
    '| cutoff | horizon | calibration days | actual | model total | best baseline total | MAE model / best | Spearman model / best | top tenth model / best (oracle) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const { ev, horizon } of rows) {
    const s = ev[measure];
    const g = (m: Metric): string => {
      const ok = met(s, m);
      if (measure === 'spend' && ok) goals[m]++;
      return ok ? 'met' : 'MISSED';
    };
    const bt = best(s, 'absTotal');
    const bm = best(s, 'mae');
    const bs = best(s, 'spearman');
    const bp = best(s, 'top');
    const amount = (v: number): string => (measure === 'spend' ? `$${v.toFixed(0)}` : v.toFixed(0));
    console.log(
      `| ${ev.cutoff} | ${horizon} | ${ev.calibrationDays} | ${amount(ev.actual[measure])} | ${pct(s.model.totalError)} | ${bt.name} ${pct(s[bt.name as 'past_rate'].totalError)} (${g('absTotal')}) | ` +
        `${s.model.mae.toFixed(2)} / ${bm.v.toFixed(2)} ${bm.name} (${g('mae')}) | ${f3(s.model.spearman)} (one-timers tied ${f3(ev.modelSpearmanOneTimersTied[measure])}) / ${f3(bs.v)} ${bs.name} (${g('spearman')}) | ` +
        `${f3(s.model.topDecileCapture)} / ${f3(bp.v)} ${bp.name} (${f3(ev.oracleTopDecileCapture[measure])}) (${g('top')}) |`,
    );
  }
  console.log('');
}
const n = rows.length;
console.log(
  `goals on spend over ${n} cutoff × horizon pairs: total ${goals.absTotal}/${n}, MAE ${goals.mae}/${n}, Spearman (−0.01) ${goals.spearman}/${n}, top tenth (−0.01) ${goals.top}/${n}`,
);

// Calibration by decile at the published split: where the model's money goes wrong.
console.log(`\ncalibration by decile of predicted spend, ${CDNOW_CALIBRATION_END} → ${CDNOW_HOLDOUT_END} (mean predicted / mean actual)`);
console.log('  ' + split.spend.model.deciles.map((d) => `${d.decile}: ${d.meanPredicted.toFixed(1)}/${d.meanActual.toFixed(1)}`).join('  '));

// The child gets our environment (PATH, PYTHONPATH find python3's numpy/scipy) with one BLAS thread.
const py = spawnSync(
  args.python,
  [fileURLToPath(new URL('./clv_check.py', import.meta.url)), CDNOW_FILE, CDNOW_CALIBRATION_END, CDNOW_HOLDOUT_END],
  { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } },
);
if (py.status !== 0) {
  console.log(`\nPython cross-check skipped (${args.python}: ${py.stderr.trim().split('\n').pop() ?? 'failed'}; needs numpy and scipy)`);
} else {
  const o = JSON.parse(py.stdout.trim().split('\n').pop()!) as {
    bgnbd: Record<string, number>;
    gamma_gamma: Record<string, number>;
    actual: { purchases: number; spend: number };
    model: { purchases: number; spend: number; spearman_spend: number; mae_spend: number };
  };
  const s = split.spend.model;
  const rel = (a: number, b: number): string => `${(Math.abs(a - b) / Math.abs(b)).toExponential(1)}`;
  console.log(`\nPython/scipy cross-check at ${CDNOW_CALIBRATION_END} → ${CDNOW_HOLDOUT_END} (own parser, fits, hyp2f1, spearmanr):`);
  console.log(
    `  BG/NBD r ${f3(o.bgnbd.r)} α ${f3(o.bgnbd.alpha)} a ${f3(o.bgnbd.a)} b ${f3(o.bgnbd.b)} (ours ${f3(split.params.bgNbd.r)} ${f3(split.params.bgNbd.alpha)} ${f3(split.params.bgNbd.a)} ${f3(split.params.bgNbd.b)}; published 0.243 4.414 0.793 2.426)`,
  );
  console.log(
    `  Gamma-Gamma p ${f3(o.gamma_gamma.p)} q ${f3(o.gamma_gamma.q)} γ ${f3(o.gamma_gamma.gamma)} (ours ${f3(split.params.gammaGamma.p)} ${f3(split.params.gammaGamma.q)} ${f3(split.params.gammaGamma.gamma)}; published 6.25 3.74 15.44)`,
  );
  console.log(
    `  actual ${o.actual.purchases} purchases / $${o.actual.spend.toFixed(2)} (ours ${split.actual.purchases} / $${split.actual.spend.toFixed(2)}); ` +
      `predicted ${o.model.purchases.toFixed(1)} / $${o.model.spend.toFixed(0)} (ours ${split.purchases.model.total.toFixed(1)} / $${s.total.toFixed(0)}, rel. diff ${rel(s.total, o.model.spend)}); ` +
      `Spearman ${f3(o.model.spearman_spend)} (ours ${f3(s.spearman)}); MAE ${o.model.mae_spend.toFixed(3)} (ours ${s.mae.toFixed(3)})`,
  );
}
