/**
 * Validated model selection: rolling-origin, out-of-time validation over the candidates
 * (candidates.ts), Platt calibration on held-out folds, and the choice of the model to ship.
 *
 * Evaluation cutoffs e_k = today − horizon − k·step, k = 0 … folds − 1 (step: half the horizon by
 * default). Fold k trains at e_k − horizon, e_k − 2·horizon, … (their labels end by e_k) and is
 * evaluated at e_k (its labels end by today at the latest), so no training label sees the
 * evaluation period, and every fold is what production does: train on the past, score the next
 * horizon. The shipped model is then trained at today − horizon (and the pool before it), the
 * newest cutoffs whose labels are complete.
 *
 * Why a step shorter than the horizon: on a few thousand customers one fold's ROC-AUC moves by
 * ±0.01–0.02 from one cutoff to the next (CDNOW, models/README.md), so three folds a horizon apart
 * cannot tell a real +0.01 from noise, and the oldest of them sit at the start of the history,
 * where customers are weeks old and unlike today's. Six folds half a horizon apart average over
 * more cutoffs within the same recent stretch. Their evaluation windows overlap, so they are not
 * independent (the card's fold spread understates the uncertainty), and calibration's cross-fitting
 * leaves out the folds whose windows overlap the one being scored.
 *
 * Choice: the candidate with the best mean held-out ROC-AUC; candidates within TIE_MARGIN of it
 * count as tied and the simplest of those ships. Baselines are candidates and the simplest, so a
 * complex model ships only when it beats every baseline by more than the margin: the product never
 * ships a model below its best baseline.
 *
 * Calibration: each fold's probabilities come from a Platt map fitted on the other folds' held-out
 * scores (cross-fitting), so the Brier scores and the calibration curve are honest; the shipped
 * map is fitted on all folds' held-out scores.
 *
 * Budget: the forest grid is the expensive part (one training per grid point and fold); grid points
 * are skipped, and the card says so, once the search has used `budgetSeconds`.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { bgnbdColumnsFrom, withBgnbdColumns } from './bgnbd-features.ts';
import { loadPurchaseDays, type PurchaseDay } from './purchase-days.ts';
import {
  applyPlatt,
  calibrationPoints,
  fitPlatt,
  type CalibrationPoint,
  type PlattCalibration,
} from './calibration.ts';
import {
  baselineSpecs,
  fitCandidate,
  FOREST_GRID,
  forestSpec,
  logisticSpecs,
  rawScores,
  topFeatures,
  type CandidateSpec,
  type FittedCandidate,
} from './candidates.ts';
import { addDays, resolveDefinition, type ChurnDefinition } from './definition.ts';
import { loadFeatures, type FeatureSet } from './features.ts';
import type { RandomForestOptions } from './forest/random-forest.ts';
import { brier, prAuc, rocAuc } from './metrics.ts';
import { ChurnTrainingError } from './train.ts';

/** Mean ROC-AUC differences below this are noise on a few thousand customers: the simpler model wins. */
export const TIE_MARGIN = 0.005;

/**
 * The ROC-AUC a fold's evaluation set gives by chance has mean 0.5 and SD √((n₀+n₁+1)/(12·n₀·n₁))
 * (the Mann–Whitney statistic under no signal; n₁ churned, n₀ retained). The best candidate must
 * clear 0.5 + 2 SD (the folds' mean SD: they overlap, so no √k) before its ranking counts as
 * validated; on 100 customers that is ≈ 0.63, on CDNOW's ≈ 2,000 ≈ 0.53.
 */
export function chanceLevel(folds: readonly Pick<FoldInfo, 'evalRows' | 'evalChurnRate'>[]): number {
  const sds = folds.map((f) => {
    const n1 = Math.round(f.evalRows * f.evalChurnRate);
    const n0 = f.evalRows - n1;
    return n0 > 0 && n1 > 0 ? Math.sqrt((n0 + n1 + 1) / (12 * n0 * n1)) : 0.5;
  });
  return 0.5 + (2 * sds.reduce((a, b) => a + b, 0)) / Math.max(1, sds.length);
}
export const DEFAULT_FOLDS = 6;
/** Days between evaluation cutoffs, as a share of the horizon (rounded up to whole days). */
export const DEFAULT_FOLD_STEP_SHARE = 0.5;
export const DEFAULT_TRAINING_CUTOFFS = 2;
/**
 * Seconds the forest grid (and the BG/NBD forest) may use before the remaining points are skipped:
 * the start-up path of the demo (20k customers) stays near two minutes for the whole refresh.
 */
export const DEFAULT_BUDGET_SECONDS = 60;

export type LabelledSet = FeatureSet & { labels: Uint8Array };

export interface FoldInfo {
  trainCutoff: string;
  evalCutoff: string;
  trainRows: number;
  trainChurnRate: number;
  evalRows: number;
  evalChurnRate: number;
}

export interface FoldMetrics {
  evalCutoff: string;
  roc_auc: number;
  pr_auc: number;
  brier: number;
}

export interface CandidateResult {
  name: string;
  kind: CandidateSpec['kind'];
  baseline: boolean;
  description: string;
  status: 'validated' | 'skipped';
  /** Why a candidate was skipped. */
  note?: string;
  /** Means over the folds (NaN when skipped). */
  roc_auc: number;
  /** Sample standard deviation of the folds' ROC-AUC (NaN with fewer than two folds). */
  roc_auc_sd?: number;
  pr_auc: number;
  brier: number;
  folds: FoldMetrics[];
  fitSeconds: number;
}

export interface SelectionResult {
  today: string;
  /** Day of the first purchase in the warehouse. */
  dataStart: string;
  definition: ChurnDefinition;
  folds: FoldInfo[];
  candidates: CandidateResult[];
  chosen: CandidateSpec;
  reason: string;
  /** False when the shipped model was not chosen by out-of-time validation (no fold, or nothing beat chance). */
  validated: boolean;
  calibration: PlattCalibration;
  /** Held-out, cross-fitted calibrated probabilities of the chosen candidate vs what happened. */
  calibrationPoints: CalibrationPoint[];
  /** The shipped model, trained at the newest complete cutoff. */
  model: FittedCandidate;
  trainSet: LabelledSet;
  /** The newest training cutoff (the model's cutoff in the registry). */
  trainCutoff: string;
  /** Every cutoff whose rows trained the shipped model. */
  trainCutoffs: string[];
  topFeatures: { feature: string; importance: number }[];
  warnings: string[];
  seconds: number;
}

export interface SelectOptions {
  today: string;
  definition?: Partial<ChurnDefinition>;
  folds?: number;
  /** Days between evaluation cutoffs (default: half the horizon). */
  foldStepDays?: number;
  /** Cutoffs, one horizon apart, stacked into each training set (default 2): more rows on small logs. */
  trainingCutoffs?: number;
  budgetSeconds?: number;
  /** Overrides applied to every forest grid point (e.g. fewer trees in tests, --trees on the CLI). */
  forest?: RandomForestOptions;
  /** Replace the grid (tests, benchmarks). */
  grid?: readonly { name: string; options: RandomForestOptions }[];
  onProgress?: (line: string) => void;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const sd = (xs: number[]): number => {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
const rate = (y: Uint8Array): number => (y.length ? y.reduce((a, b) => a + b, 0) / y.length : NaN);

/**
 * Whether a cutoff has the history the selection asks of it: the newest cutoff trains whatever
 * history it has; older ones must have a horizon of it behind them (else their customers are weeks
 * old and unlike today's). Exported for the benchmarks that train as the selection does.
 */
export function hasTrainingHistory(
  cutoff: string,
  opts: { newest: boolean; dataStart: string; horizonDays: number },
): boolean {
  return opts.newest || cutoff >= addDays(opts.dataStart, opts.horizonDays);
}

/** Features, labels and the BG/NBD columns at one cutoff; undefined when it cannot train or validate. */
async function loadCutoff(
  warehouse: Warehouse,
  cutoff: string,
  definition: ChurnDefinition,
  dataStart: string,
  warnings: string[],
  newest: boolean,
  purchases: PurchaseDay[],
): Promise<{ set: LabelledSet; bgnbd: boolean } | { problem: string }> {
  if (!hasTrainingHistory(cutoff, { newest, dataStart, horizonDays: definition.horizonDays })) {
    return {
      problem: `less than one horizon (${definition.horizonDays} days) of history before ${cutoff} (the first order is on ${dataStart})`,
    };
  }
  const base = (await loadFeatures(warehouse, { cutoff, definition, withLabels: true })) as LabelledSet;
  const n = base.customerIds.length;
  if (n === 0) return { problem: `no customer bought in the ${definition.activeWindowDays} days before ${cutoff}` };
  const positives = base.labels.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === n)
    return { problem: `all ${n} customers at ${cutoff} are ${positives ? 'churned' : 'retained'}` };
  const bg = bgnbdColumnsFrom(purchasesBefore(purchases, cutoff), cutoff, definition);
  if (bg.error) warnings.push(`BG/NBD fit at ${cutoff} failed (${bg.error}): BG/NBD candidates sit out`);
  return { set: withBgnbdColumns(base, bg), bgnbd: !bg.error };
}

/**
 * The choice among validated candidates: `best` has the highest mean ROC-AUC; `pick` is the
 * simplest candidate within TIE_MARGIN of it (equal complexity: the higher ROC-AUC).
 */
export function pickCandidate<R extends Pick<CandidateResult, 'name' | 'roc_auc'>>(
  validated: readonly R[],
  complexityOf: (name: string) => number,
  margin = TIE_MARGIN,
): { best: R; pick: R } {
  if (validated.length === 0) throw new RangeError('no validated candidate to pick from');
  const best = validated.reduce((a, b) => (b.roc_auc > a.roc_auc ? b : a));
  const tied = validated.filter((r) => r.roc_auc >= best.roc_auc - margin);
  const pick = tied.reduce((a, b) => {
    const ca = complexityOf(a.name);
    const cb = complexityOf(b.name);
    return cb < ca || (cb === ca && b.roc_auc > a.roc_auc) ? b : a;
  });
  return { best, pick };
}

/** The day of the first purchase in the warehouse (cutoffs before it + one horizon teach nothing). */
async function firstOrderDay(warehouse: Warehouse, definition: ChurnDefinition): Promise<string> {
  const rs = await warehouse.client.query({
    query:
      'SELECT toString(toDate(min(order_date))) AS day, count() AS n FROM transactions_resolved WHERE status IN {statuses:Array(String)}',
    query_params: { statuses: definition.purchaseStatuses },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ day: string; n: string | number }>();
  if (!row || Number(row.n) === 0)
    throw new ChurnTrainingError(
      'NO_ROWS',
      `no ${definition.purchaseStatuses.join('/')} order in the warehouse: nothing to train on`,
    );
  return row.day;
}

/**
 * The newest training cutoff (one horizon before today) is on or before the first purchase: nobody
 * can be labelled. Said in the user's terms, with the horizon that would fit, instead of "no customer
 * bought before the cutoff", which reads as a data problem.
 */
export function historyTooShort(
  today: string,
  dataStart: string,
  h: number,
  definition: ChurnDefinition,
): ChurnTrainingError {
  const span = Math.round((Date.parse(today) - Date.parse(dataStart)) / 86_400_000);
  const orders = `${definition.purchaseStatuses.join('/')} order`;
  const held =
    span > 0
      ? `the first ${orders} is on ${dataStart}, ${span} day${span === 1 ? '' : 's'} before ${today}`
      : `there is no ${orders} before ${today} (the first is on ${dataStart})`;
  // One validation fold needs three horizons of history (see the "no validation was possible" reason below).
  const fits = Math.floor(span / 3);
  const advice =
    fits >= 7
      ? `train with a shorter horizon (\`npm run models -- all --horizon ${fits}\` leaves room for one validation fold; --horizon ${span - 1} trains without validation; the first start and the worker then keep the latest model's horizon, or set CRM_CHURN_HORIZON_DAYS=${fits}) or load a longer history`
      : 'load a longer history';
  return new ChurnTrainingError(
    'HISTORY_TOO_SHORT',
    `history too short for the ${h}-day churn horizon: ${held}; a model needs customers who bought before its training cutoff (${addDays(today, -h)}, one horizon before ${today}) and the ${h} days after it to label them, so more than ${h} days of history (${3 * h} for out-of-time validation). No churn model was trained: ${advice}`,
  );
}

/** Rows of several labelled sets stacked (same feature columns), for training on more than one cutoff. */
export function stackSets(parts: LabelledSet[]): LabelledSet {
  if (parts.length === 1) return parts[0];
  const features = parts[0].features;
  for (const p of parts)
    if (p.features.join() !== features.join())
      throw new RangeError(`feature sets at ${parts[0].cutoff} and ${p.cutoff} differ`);
  return {
    cutoff: parts[0].cutoff,
    features,
    customerIds: parts.flatMap((p) => p.customerIds),
    columns: features.map((_, j) => concat(parts.map((p) => p.columns[j]))),
    labels: concatLabels(parts.map((p) => p.labels)),
  };
}

/** The purchase days strictly before `cutoff` (the list is sorted by customer, then day). */
function purchasesBefore(purchases: PurchaseDay[], cutoff: string): PurchaseDay[] {
  return purchases.filter((p) => p.date < cutoff);
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatLabels(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Probabilities of each fold from a Platt map fitted on the other folds whose evaluation windows do
 * not overlap it (else on all other folds; on the fold itself when it is the only one).
 */
function crossFitted(
  raw: Float64Array[],
  labels: Uint8Array[],
  overlapping: (i: number, k: number) => boolean = () => false,
): Float64Array[] {
  return raw.map((_, k) => {
    const apart = raw.map((_, i) => i).filter((i) => i !== k && !overlapping(i, k));
    const others = apart.length ? apart : raw.length > 1 ? raw.map((_, i) => i).filter((i) => i !== k) : [k];
    const map = fitPlatt(concat(others.map((i) => raw[i])), concatLabels(others.map((i) => labels[i])));
    return applyPlatt(map, raw[k]);
  });
}

export async function selectChurnModel(warehouse: Warehouse, opts: SelectOptions): Promise<SelectionResult> {
  const t0 = performance.now();
  const definition = resolveDefinition(opts.definition);
  const log = opts.onProgress ?? (() => {});
  const h = definition.horizonDays;
  const nFolds = Math.max(1, opts.folds ?? DEFAULT_FOLDS);
  const pool = Math.max(1, opts.trainingCutoffs ?? DEFAULT_TRAINING_CUTOFFS);
  const budget = opts.budgetSeconds ?? DEFAULT_BUDGET_SECONDS;
  const warnings: string[] = [];

  const step = Math.max(1, Math.round(opts.foldStepDays ?? Math.ceil(h * DEFAULT_FOLD_STEP_SHARE)));
  const dataStart = await firstOrderDay(warehouse, definition);
  // Purchase days are read once (before today) and cut per cutoff: one query instead of one per cutoff.
  const purchases = await loadPurchaseDays(warehouse, opts.today, definition.purchaseStatuses);
  // Each cutoff is loaded once, whichever folds share it (with step = horizon/2, fold k's training
  // cutoffs are the evaluation cutoffs of folds k + 2 and k + 4).
  const newest = addDays(opts.today, -h);
  const loaded = new Map<string, { set: LabelledSet; bgnbd: boolean } | { problem: string }>();
  const cutoffAt = async (cutoff: string) => {
    let got = loaded.get(cutoff);
    if (!got) {
      log(`validation data at ${cutoff}…`);
      got = await loadCutoff(warehouse, cutoff, definition, dataStart, warnings, cutoff === newest, purchases);
      loaded.set(cutoff, got);
    }
    return got;
  };
  let bgnbdEverywhere = true;
  /** The labelled sets at `pool` cutoffs a horizon apart from `from` back (fewer where the history ends). */
  const poolFrom = async (from: string): Promise<LabelledSet[]> => {
    const out: LabelledSet[] = [];
    for (let m = 0; m < pool; m++) {
      const got = await cutoffAt(addDays(from, -m * h));
      if ('problem' in got) break;
      out.push(got.set);
      bgnbdEverywhere &&= got.bgnbd;
    }
    return out;
  };
  const first = await cutoffAt(newest);
  if ('problem' in first && dataStart >= newest) throw historyTooShort(opts.today, dataStart, h, definition);
  if ('problem' in first)
    throw new ChurnTrainingError(
      first.problem.includes('churned') || first.problem.includes('retained') ? 'ONE_CLASS' : 'NO_ROWS',
      `${first.problem}: nothing to train on`,
    );
  const finalParts = await poolFrom(newest);
  const trainSets: LabelledSet[] = [];
  const evalSets: LabelledSet[] = [];
  const folds: FoldInfo[] = [];
  for (let k = 0; k < nFolds; k++) {
    const evalCutoff = addDays(newest, -k * step);
    const ev = await cutoffAt(evalCutoff);
    const parts = 'problem' in ev ? [] : await poolFrom(addDays(evalCutoff, -h));
    if ('problem' in ev || parts.length === 0) {
      const why = 'problem' in ev ? ev.problem : (loaded.get(addDays(evalCutoff, -h)) as { problem: string }).problem;
      warnings.push(
        `history ends before ${'problem' in ev ? evalCutoff : addDays(evalCutoff, -h)} (${why}): ${k === 1 ? 'one validation fold' : `${k} validation folds`} instead of ${nFolds}`,
      );
      break;
    }
    bgnbdEverywhere &&= ev.bgnbd;
    const train = stackSets(parts);
    trainSets.push(train);
    evalSets.push(ev.set);
    folds.push({
      trainCutoff: parts.map((p) => p.cutoff).join(' + '),
      evalCutoff,
      trainRows: train.customerIds.length,
      trainChurnRate: rate(train.labels),
      evalRows: ev.set.customerIds.length,
      evalChurnRate: rate(ev.set.labels),
    });
  }
  // Folds whose evaluation windows overlap fold k's (their labels share days): left out of the
  // Platt map that calibrates fold k.
  const overlapping = (i: number, k: number): boolean =>
    Math.abs(Date.parse(folds[i].evalCutoff) - Date.parse(folds[k].evalCutoff)) < h * 86_400_000;

  const specs: CandidateSpec[] = [...baselineSpecs(), ...logisticSpecs()];
  const grid = (opts.grid ?? FOREST_GRID).map((g, i) =>
    forestSpec(g.name, { ...g.options, ...opts.forest }, false, 4 + i),
  );
  const results: CandidateResult[] = [];
  const heldOut = new Map<string, Float64Array[]>();
  const evalLabels = evalSets.map((set) => set.labels);

  const validate = async (spec: CandidateSpec): Promise<CandidateResult> => {
    const base = { name: spec.name, kind: spec.kind, baseline: spec.baseline, description: spec.description };
    if (spec.usesBgnbd && !bgnbdEverywhere)
      return {
        ...base,
        status: 'skipped',
        note: 'no BG/NBD fit at every cutoff',
        roc_auc: NaN,
        pr_auc: NaN,
        brier: NaN,
        folds: [],
        fitSeconds: 0,
      };
    if (folds.length === 0)
      return {
        ...base,
        status: 'skipped',
        note: 'no validation fold',
        roc_auc: NaN,
        pr_auc: NaN,
        brier: NaN,
        folds: [],
        fitSeconds: 0,
      };
    const ts = performance.now();
    const raw: Float64Array[] = [];
    for (let k = 0; k < folds.length; k++) {
      const fitted = await fitCandidate(spec, trainSets[k]);
      raw.push(rawScores(fitted, evalSets[k]));
    }
    heldOut.set(spec.name, raw);
    const calibrated = crossFitted(raw, evalLabels, overlapping);
    const fm: FoldMetrics[] = folds.map((f, k) => ({
      evalCutoff: f.evalCutoff,
      roc_auc: rocAuc(evalLabels[k], raw[k]),
      pr_auc: prAuc(evalLabels[k], raw[k]),
      brier: brier(evalLabels[k], calibrated[k]),
    }));
    const r: CandidateResult = {
      ...base,
      status: 'validated',
      roc_auc: mean(fm.map((m) => m.roc_auc)),
      roc_auc_sd: sd(fm.map((m) => m.roc_auc)),
      pr_auc: mean(fm.map((m) => m.pr_auc)),
      brier: mean(fm.map((m) => m.brier)),
      folds: fm,
      fitSeconds: (performance.now() - ts) / 1000,
    };
    log(
      `  ${spec.name.padEnd(18)} ROC-AUC ${r.roc_auc.toFixed(3)} ± ${(r.roc_auc_sd ?? NaN).toFixed(3)} (folds: ${fm.map((m) => m.roc_auc.toFixed(3)).join(' ')})  PR-AUC ${r.pr_auc.toFixed(3)}  Brier ${r.brier.toFixed(3)}  (${r.fitSeconds.toFixed(1)} s)`,
    );
    return r;
  };

  for (const spec of specs) results.push(await validate(spec));
  const searchStart = performance.now();
  // A point is skipped when it would end past the budget, judged by the last point's cost (the
  // first point always runs: the forest must be validated at least once when there are folds).
  let lastCost = 0;
  const overBudget = (): boolean => (performance.now() - searchStart) / 1000 + lastCost > budget;
  const skipped = (spec: CandidateSpec): CandidateResult => ({
    name: spec.name,
    kind: spec.kind,
    baseline: false,
    description: spec.description,
    status: 'skipped',
    note: `search budget of ${budget} s would be exceeded`,
    roc_auc: NaN,
    pr_auc: NaN,
    brier: NaN,
    folds: [],
    fitSeconds: 0,
  });
  // The forest with the BG/NBD outputs runs right after the first grid point, with its settings,
  // so a tight budget still validates both the plain and the BG/NBD-fed forest.
  let withBg: CandidateSpec | undefined;
  for (const [i, spec] of grid.entries()) {
    if (overBudget()) {
      results.push(skipped(spec));
      continue;
    }
    const r = await validate(spec);
    results.push(r);
    lastCost = r.fitSeconds;
    if (i === 0 && r.status === 'validated') {
      withBg = forestSpec('forest_bgnbd', spec.forest!, true, 4 + grid.length);
      withBg.description += ` (the settings of ${spec.name})`;
      if (overBudget()) results.push(skipped(withBg));
      else {
        const rb = await validate(withBg);
        results.push(rb);
        lastCost = rb.fitSeconds;
      }
    }
  }

  const allSpecs = [...specs, ...grid, ...(withBg ? [withBg] : [])];
  const specOf = (name: string): CandidateSpec => allSpecs.find((s) => s.name === name)!;
  const validated = results.filter((r) => r.status === 'validated');
  const picked = validated.length ? pickCandidate(validated, (name) => specOf(name).complexity) : undefined;
  let chosen: CandidateSpec;
  let reason: string;
  let calibration: PlattCalibration;
  let points: CalibrationPoint[] = [];
  let validatedChoice = false;
  if (validated.length === 0) {
    chosen = specs[0];
    const span = Math.round((Date.parse(opts.today) - Date.parse(dataStart)) / 86_400_000);
    // Why not validate on folds with overlapping label windows, or at a shorter horizon: the first
    // lets training labels see the evaluation period, the second answers another question; neither
    // is out-of-time evidence for this horizon, so the baseline ships and the card says why.
    reason =
      span < 3 * h
        ? `no out-of-time validation was possible: a validation fold needs three horizons (${3 * h} days) of purchases before ${opts.today} — one of history behind its training cutoff, one of training labels, one of evaluation labels — and the first order is ${span} days before it (${dataStart}). Shipping the recency baseline, calibrated on its training cutoff`
        : 'no out-of-time validation was possible (the history holds one usable cutoff): shipping the recency baseline, calibrated on its training cutoff';
    const fitted = await fitCandidate(chosen, first.set);
    calibration = fitPlatt(rawScores(fitted, first.set), first.set.labels);
    warnings.push(reason);
  } else if (picked!.best.roc_auc < chanceLevel(folds)) {
    // Folds exist but nothing ranked the customers better than chance could on sets this small: a
    // "tie-margin" pick among them would ship as validated what the evidence cannot tell from noise.
    const { best } = picked!;
    chosen = specs[0];
    const churned = folds.reduce((a, f) => a + Math.round(f.evalRows * f.evalChurnRate), 0);
    const rows = folds.reduce((a, f) => a + f.evalRows, 0);
    reason = `not validated: no candidate ranked customers better than chance out of time — the best, ${best.name}, scored ${best.roc_auc.toFixed(3)} over ${folds.length} fold${folds.length === 1 ? '' : 's'} (${rows} customers evaluated, ${churned} churned, ${rows - churned} retained), and telling a ranking from chance on sets this small needs ${chanceLevel(folds).toFixed(3)}. Shipping the recency baseline, calibrated on its training cutoff, as a rule of thumb; its scores are not a validated prediction (more customers or a longer history would let validation decide)`;
    const fitted = await fitCandidate(chosen, first.set);
    calibration = fitPlatt(rawScores(fitted, first.set), first.set.labels);
    warnings.push(reason);
  } else {
    validatedChoice = true;
    const { best, pick } = picked!;
    chosen = specOf(pick.name);
    const bestBaseline = validated
      .filter((r) => r.baseline)
      .reduce((a, b) => (b.roc_auc > a.roc_auc ? b : a), validated.find((r) => r.baseline) ?? pick);
    const f = (x: number): string => x.toFixed(3);
    reason =
      pick.name === best.name
        ? `${pick.name} has the best mean out-of-time ROC-AUC over ${folds.length} fold${folds.length > 1 ? 's' : ''} (${f(pick.roc_auc)})` +
          (pick.baseline
            ? ''
            : `, ${f(pick.roc_auc - bestBaseline.roc_auc)} above the best baseline (${bestBaseline.name}, ${f(bestBaseline.roc_auc)})`)
        : `${best.name} scored ${f(best.roc_auc)}, but ${pick.name} (${f(pick.roc_auc)}) is within the tie margin of ${TIE_MARGIN} and simpler`;
    const raw = heldOut.get(pick.name)!;
    calibration = fitPlatt(concat(raw), concatLabels(evalLabels));
    const calibrated = crossFitted(raw, evalLabels, overlapping);
    points = calibrationPoints(concat(calibrated), concatLabels(evalLabels));
  }
  log(`chosen: ${chosen.name} — ${reason}`);
  const finalSet = stackSets(finalParts);
  const trainCutoffs = finalParts.map((s) => s.cutoff);
  log(`training ${chosen.name} at ${trainCutoffs.join(' + ')} on ${finalSet.customerIds.length} rows…`);
  const model = await fitCandidate(chosen, finalSet);
  return {
    today: opts.today,
    dataStart,
    definition,
    folds,
    candidates: results,
    chosen,
    reason,
    validated: validatedChoice,
    calibration,
    calibrationPoints: points,
    model,
    trainSet: finalSet,
    trainCutoff: newest,
    trainCutoffs,
    topFeatures: topFeatures(model),
    warnings,
    seconds: (performance.now() - t0) / 1000,
  };
}
