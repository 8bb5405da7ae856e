/**
 * The churn candidates on every cutoff of the CDNOW sample, out of time (issue 14): does a candidate's
 * lead over the best baseline hold from cutoff to cutoff, or is it one lucky fold? Each evaluation
 * cutoff e (every `--step` days) trains as the selection's folds do — at e − horizon and
 * e − 2·horizon, where the history allows — and scores the customers at e; the purchases in
 * [e, e + horizon) decide who churned. Printed per candidate: the ROC-AUC gap to the best baseline
 * at the same cutoff (the best of recency and the BG/NBD scores there, chosen with hindsight, so the
 * gap is a conservative one), mean ± SD over cutoffs, the worst cutoff, and the CPU time of its fits;
 * plus rank-average ensembles that the product does not ship (a model file holds one learner).
 *
 *   tsx models/bench/candidates-cdnow.ts [--horizon 90] [--from 1997-09-12] [--step 15] [--forest] [--variants]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { WarehouseConfig } from '../../lib/config.ts';
import { connectWarehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { loadBgnbdColumns, withBgnbdColumns } from '../churn/bgnbd-features.ts';
import {
  baselineSpecs,
  fitCandidate,
  FOREST_GRID,
  forestSpec,
  logisticSpecs,
  rawScores,
  STACK_INPUTS,
  type CandidateSpec,
} from '../churn/candidates.ts';
import { resolveDefinition } from '../churn/definition.ts';
import { loadFeatures } from '../churn/features.ts';
import { rocAuc } from '../churn/metrics.ts';
import { stackSets, type LabelledSet } from '../churn/select.ts';
import { cdnowAvailable, CDNOW_FILE } from '../clv/cdnow.ts';
import { loadCdnowIntoWarehouse } from './cdnow-load.ts';
import { evaluationCutoffs, trainingCutoffs } from './cdnow-cutoffs.ts';

const { values: args } = parseArgs({
  options: {
    horizon: { type: 'string', default: '90' },
    from: { type: 'string', default: '1997-09-12' },
    step: { type: 'string', default: '15' },
    forest: { type: 'boolean', default: false },
    variants: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`tsx models/bench/candidates-cdnow.ts [--horizon 90] [--from 1997-09-12] [--step 15] [--forest]

Every churn candidate on every --step-day cutoff of the CDNOW sample from --from on, trained as the
selection's folds train, out of time; per candidate the ROC-AUC gap to the best baseline (mean ± SD
over cutoffs, worst) and CPU seconds. --forest adds forest_medium and its rank average with the stack;
--variants adds logistic variants the product does not offer (other inputs for the stack and the GAM).
Needs ${CDNOW_FILE}.`);
  process.exit(0);
}
if (!cdnowAvailable()) {
  console.log(`candidates-cdnow: the CDNOW sample is not at ${CDNOW_FILE}; nothing to measure.`);
  process.exit(0);
}
const horizon = Number(args.horizon);
const step = Number(args.step);
if (!(horizon > 0) || !(step > 0)) throw new RangeError('--horizon and --step must be positive numbers of days');
const definition = resolveDefinition({ horizonDays: horizon });

const dir = mkdtempSync(join(tmpdir(), 'churn-cands-'));
const config: WarehouseConfig = {
  user: 'bench',
  password: `bench-${process.pid}`,
  database: 'crm',
  dataDir: dir,
  embeddedPort: 0,
};
const admin = await connectWarehouse({ config, withDatabase: false });
await admin.client.command({ query: 'CREATE DATABASE IF NOT EXISTS crm' });
await applyMigrations(admin.client, { database: 'crm' });
const wh = await connectWarehouse({ config });

/** Ranks scaled to [0, 1] (ties share their mean rank): what a rank average adds up. */
function ranks(x: Float64Array): Float64Array {
  const idx = [...x.keys()].sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 / Math.max(1, x.length - 1);
    i = j + 1;
  }
  return r;
}

const specs: CandidateSpec[] = [...baselineSpecs(), ...logisticSpecs()];
if (args.forest) specs.push(forestSpec(FOREST_GRID[0].name, FOREST_GRID[0].options, false, 4));
if (args.variants) {
  // Which inputs and which shape carry the GAM's gain (or loss): one change at a time from the stack.
  const variant = (name: string, inputs: readonly string[], knots: number): CandidateSpec => ({
    name,
    kind: 'logistic',
    complexity: 3,
    baseline: false,
    usesBgnbd: true,
    inputs,
    logistic: { knots },
    description: name,
  });
  specs.push(
    // The GAM-like candidate tried for issue 14 (splines of the stack's inputs, rhythm and tenure).
    variant('v_gam_bgnbd', [...STACK_INPUTS, 'overdue_ratio', 'tenure_days'], 3),
    variant('v_stack_splines', STACK_INPUTS, 3),
    variant('v_stack_rhythm', [...STACK_INPUTS, 'overdue_ratio'], 0),
    variant('v_stack_rhythm_splines', [...STACK_INPUTS, 'overdue_ratio'], 3),
    variant('v_stack_tenure', [...STACK_INPUTS, 'tenure_days'], 0),
  );
}
const ENSEMBLES: [string, string][] = [['stack_bgnbd', 'logistic']];
if (args.variants) ENSEMBLES.push(['stack_bgnbd', 'v_gam_bgnbd']);
if (args.forest) ENSEMBLES.push(['stack_bgnbd', FOREST_GRID[0].name]);
const gaps = new Map<string, number[]>();
const cpu = new Map<string, number>();
const cache = new Map<string, LabelledSet>();
const at = async (c: string): Promise<LabelledSet> => {
  let s = cache.get(c);
  if (!s) {
    s = withBgnbdColumns(
      (await loadFeatures(wh, { cutoff: c, definition, withLabels: true })) as LabelledSet,
      await loadBgnbdColumns(wh, c, definition),
    );
    cache.set(c, s);
  }
  return s;
};
try {
  await loadCdnowIntoWarehouse(wh);
  const lines: string[] = [];
  for (const e of evaluationCutoffs(args.from!, step, horizon)) {
    // Trained as the selection's folds train (its pool of cutoffs and its history rule).
    const cuts = trainingCutoffs(e, horizon);
    if (cuts.length === 0) continue;
    const train = stackSets(await Promise.all(cuts.map(at)));
    const ev = await at(e);
    const auc = new Map<string, number>();
    const raw = new Map<string, Float64Array>();
    for (const spec of specs) {
      const t0 = process.cpuUsage();
      const fitted = await fitCandidate(spec, train);
      const r = rawScores(fitted, ev);
      const u = process.cpuUsage(t0);
      cpu.set(spec.name, (cpu.get(spec.name) ?? 0) + (u.user + u.system) / 1e6);
      raw.set(spec.name, r);
      auc.set(spec.name, rocAuc(ev.labels, r));
    }
    for (const [a, b] of ENSEMBLES) {
      const ra = ranks(raw.get(a)!);
      const rb = ranks(raw.get(b)!);
      auc.set(
        `rank(${a}+${b})`,
        rocAuc(
          ev.labels,
          Float64Array.from(ra, (v, i) => v + rb[i]),
        ),
      );
    }
    const best = Math.max(...specs.filter((s) => s.baseline).map((s) => auc.get(s.name)!));
    for (const [name, v] of auc) gaps.set(name, [...(gaps.get(name) ?? []), v - best]);
    lines.push(
      `${e}: ${ev.labels.length} customers, train ${cuts.join(' + ')}; best baseline ${best.toFixed(3)}; ` +
        [...auc].map(([k, v]) => `${k} ${v - best >= 0 ? '+' : ''}${(v - best).toFixed(3)}`).join(', '),
    );
    console.log(lines[lines.length - 1]);
  }
} finally {
  await wh.close();
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
}
const n = [...gaps.values()][0]?.length ?? 0;
console.log(
  `\nROC-AUC gap to the best baseline at the same cutoff, horizon ${horizon}, ${n} cutoffs ${step} days apart`,
);
console.log('| candidate | mean | SD | worst | cutoffs ≥ +0.01 | CPU-s (all fits) |');
console.log('|---|---|---|---|---|---|');
for (const [name, g] of gaps) {
  const m = g.reduce((a, b) => a + b, 0) / g.length;
  const sd = Math.sqrt(g.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, g.length - 1));
  const c = cpu.get(name);
  console.log(
    `| ${name} | ${m >= 0 ? '+' : ''}${m.toFixed(3)} | ${sd.toFixed(3)} | ${Math.min(...g).toFixed(3)} | ${g.filter((x) => x >= 0.01).length}/${g.length} | ${c === undefined ? '—' : c.toFixed(1)} |`,
  );
}
