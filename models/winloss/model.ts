/**
 * The win/loss model: P(lost) of a deal from its features as of its cutoff, chosen the way the
 * churn model is (models/churn/select.ts): out of time, a calibrated forest against a logistic
 * regression, ties (within TIE_MARGIN of ROC-AUC) to the simpler, and two baselines reported
 * beside them — stage only (how far the deal got) and amount only.
 *
 * Out of time: closed deals are ordered by close day; fold k trains on the deals closed before a
 * cutoff and tests on the next slice of close days (expanding window, FOLD_EDGES). Platt scaling is
 * fitted on the chosen candidate's out-of-time predictions. Closed deals get cross-fitted
 * probabilities (each from a model that did not see it); open deals get the final model's.
 */
import { fitLogistic1d } from '../churn/baselines.ts';
import { applyPlatt, fitPlatt, type PlattCalibration } from '../churn/calibration.ts';
import { RandomForest, type RandomForestOptions } from '../churn/forest/random-forest.ts';
import { LogisticModel } from '../churn/logistic.ts';
import { brier, rocAuc } from '../churn/metrics.ts';
import { TIE_MARGIN, pickCandidate } from '../churn/select.ts';
import { CATEGORICAL_FIELDS, categoricalValue } from './factors.ts';
import { NUMERIC_FEATURES, type DealFeatures, type DealRecord } from './features.ts';

/** Close-day quantiles bounding the folds: train before edge k, test from edge k to edge k+1. */
export const FOLD_EDGES = [0.55, 0.7, 0.85, 1] as const;
/** A categorical level needs this many deals to get its own one-hot column. */
const MIN_LEVEL = 20;

export type CandidateName = 'logistic' | 'forest';
const COMPLEXITY: Record<string, number> = { logistic: 1, forest: 2 };

export interface Matrix {
  names: string[];
  /** Column-major: one Float64Array per feature. */
  columns: Float64Array[];
}

/**
 * The feature matrix (numeric features, then one-hot levels learnt from `deals`) for the given rows;
 * `build` may be handed other deals (e.g. open ones) to get the same columns for them.
 */
export function featureMatrix(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
): {
  build(rows: readonly number[], otherDeals?: readonly DealRecord[], otherFeatures?: readonly DealFeatures[]): Matrix;
} {
  const levels: { field: (typeof CATEGORICAL_FIELDS)[number]; value: string }[] = [];
  for (const field of CATEGORICAL_FIELDS) {
    const counts = new Map<string, number>();
    for (const d of deals) counts.set(categoricalValue(d, field), (counts.get(categoricalValue(d, field)) ?? 0) + 1);
    for (const [value, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0])))
      if (n >= MIN_LEVEL) levels.push({ field, value });
  }
  const names = [...NUMERIC_FEATURES, ...levels.map((l) => `${l.field.field}=${l.value}`)];
  return {
    build(rows, otherDeals = deals, otherFeatures = features) {
      const columns = names.map(() => new Float64Array(rows.length));
      rows.forEach((i, r) => {
        NUMERIC_FEATURES.forEach((name, j) => (columns[j][r] = otherFeatures[i][name]));
        levels.forEach(
          (l, k) =>
            (columns[NUMERIC_FEATURES.length + k][r] = categoricalValue(otherDeals[i], l.field) === l.value ? 1 : 0),
        );
      });
      return { names, columns };
    },
  };
}

export interface Fitted {
  name: CandidateName;
  predict(m: Matrix): Float64Array;
}

export async function fitCandidate(
  name: CandidateName,
  m: Matrix,
  y: Uint8Array,
  forest: RandomForestOptions,
): Promise<Fitted> {
  if (name === 'logistic') {
    const model = LogisticModel.fit(m.names, m.columns, y, { l2: 1 });
    return { name, predict: (x) => model.predictProba(x.columns) };
  }
  const model = await RandomForest.train({ columns: m.columns }, y, {
    nEstimators: 100,
    maxDepth: 8,
    minSamplesLeaf: 5,
    nJobs: 1,
    seed: 7,
    featureNames: m.names,
    ...forest,
  });
  return { name, predict: (x) => model.predictProba({ columns: x.columns }) };
}

export interface FoldResult {
  train_until_day: number;
  test_until_day: number;
  train_rows: number;
  test_rows: number;
  roc_auc: Record<string, number>;
}

export interface Selection {
  chosen: CandidateName;
  reason: string;
  /** Mean out-of-time ROC-AUC per candidate and baseline. */
  roc_auc: Record<string, number>;
  brier: number;
  folds: FoldResult[];
  calibration: PlattCalibration;
}

/** One-feature baselines: a 1-D logistic fitted on the training fold (its direction), scored on the test fold. */
function baselineAuc(
  trainX: ArrayLike<number>,
  trainY: Uint8Array,
  testX: ArrayLike<number>,
  testY: Uint8Array,
): number {
  const fit = fitLogistic1d(trainX, trainY);
  const score = Float64Array.from(testX as ArrayLike<number>, (v) => fit.slope * v);
  return rocAuc(testY, score);
}

/**
 * How rows are labelled and ordered in time: by default a closed deal's outcome and close day; the
 * snapshots of closed deals (snapshots.ts) carry the final outcome and close day of their deal.
 */
export interface Labelling {
  lost(i: number): boolean;
  closedDay(i: number): number;
}

export const closedLabelling = (deals: readonly DealRecord[]): Labelling => ({
  lost: (i) => deals[i].status === 'lost',
  closedDay: (i) => deals[i].closed_day ?? 0,
});

/** Out-of-time selection over the rows `closed` (indices), ordered by their deals' close day. */
export async function selectModel(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
  closed: readonly number[],
  forest: RandomForestOptions = {},
  labelling: Labelling = closedLabelling(deals),
): Promise<Selection> {
  const matrix = featureMatrix(deals, features);
  const ordered = [...closed].sort((a, b) => labelling.closedDay(a) - labelling.closedDay(b));
  const dayAt = (q: number): number =>
    labelling.closedDay(ordered[Math.min(ordered.length - 1, Math.floor(q * ordered.length))]);
  const label = (rows: readonly number[]): Uint8Array => Uint8Array.from(rows, (i) => (labelling.lost(i) ? 1 : 0));
  const folds: FoldResult[] = [];
  const oot: Record<CandidateName, { p: number[]; y: number[] }> = {
    logistic: { p: [], y: [] },
    forest: { p: [], y: [] },
  };
  for (let k = 0; k + 1 < FOLD_EDGES.length; k++) {
    const from = dayAt(FOLD_EDGES[k]);
    const to = k + 2 === FOLD_EDGES.length ? Infinity : dayAt(FOLD_EDGES[k + 1]);
    const train = ordered.filter((i) => labelling.closedDay(i) < from);
    const test = ordered.filter((i) => labelling.closedDay(i) >= from && labelling.closedDay(i) < to);
    const yTrain = label(train);
    const yTest = label(test);
    if (train.length < 50 || test.length < 20 || new Set(yTest).size < 2 || new Set(yTrain).size < 2) continue;
    const mTrain = matrix.build(train);
    const mTest = matrix.build(test);
    const auc: Record<string, number> = {};
    for (const name of ['logistic', 'forest'] as const) {
      const fitted = await fitCandidate(name, mTrain, yTrain, forest);
      const p = fitted.predict(mTest);
      auc[name] = rocAuc(yTest, p);
      oot[name].p.push(...p);
      oot[name].y.push(...yTest);
    }
    const col = (m: ReturnType<typeof matrix.build>, name: string): Float64Array => m.columns[m.names.indexOf(name)];
    auc.stage_only = baselineAuc(col(mTrain, 'stage_count'), yTrain, col(mTest, 'stage_count'), yTest);
    const logAmount = (m: ReturnType<typeof matrix.build>): Float64Array =>
      col(m, 'amount').map((v) => Math.log1p(Math.max(0, v)));
    auc.amount_only = baselineAuc(logAmount(mTrain), yTrain, logAmount(mTest), yTest);
    folds.push({
      train_until_day: from,
      test_until_day: Number.isFinite(to) ? to : labelling.closedDay(ordered[ordered.length - 1]) + 1,
      train_rows: train.length,
      test_rows: test.length,
      roc_auc: auc,
    });
  }
  if (folds.length === 0)
    throw new Error(`win/loss model: too few closed deals over time to validate (${closed.length} closed deals)`);
  const mean = (name: string): number => folds.reduce((s, f) => s + f.roc_auc[name], 0) / folds.length;
  const roc_auc = Object.fromEntries(['logistic', 'forest', 'stage_only', 'amount_only'].map((n) => [n, mean(n)]));
  const { best, pick } = pickCandidate(
    (['logistic', 'forest'] as const).map((name) => ({ name, roc_auc: roc_auc[name] })),
    (name) => COMPLEXITY[name],
    TIE_MARGIN,
  );
  const chosen = pick.name as CandidateName;
  const calibration = fitPlatt(Float64Array.from(oot[chosen].p), Uint8Array.from(oot[chosen].y));
  const calibrated = applyPlatt(calibration, Float64Array.from(oot[chosen].p));
  const reason =
    chosen === best.name
      ? `${chosen} had the best mean out-of-time ROC-AUC (${roc_auc[chosen].toFixed(3)})`
      : `${chosen} (${roc_auc[chosen].toFixed(3)}) is within ${TIE_MARGIN} of ${best.name} (${best.roc_auc.toFixed(3)}) and simpler`;
  return { chosen, reason, roc_auc, brier: brier(Uint8Array.from(oot[chosen].y), calibrated), folds, calibration };
}

/**
 * P(lost) of the closed deals, cross-fitted over `crossFolds` groups (each predicted by a model
 * trained without it), calibrated; other entries stay NaN.
 */
export async function crossFittedLoss(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
  selection: Selection,
  forest: RandomForestOptions = {},
  crossFolds = 5,
): Promise<Float64Array> {
  const matrix = featureMatrix(deals, features);
  const closed = deals.map((_, i) => i).filter((i) => deals[i].status !== 'open');
  const label = (rows: readonly number[]): Uint8Array =>
    Uint8Array.from(rows, (i) => (deals[i].status === 'lost' ? 1 : 0));
  const out = new Float64Array(deals.length).fill(NaN);
  for (let g = 0; g < crossFolds; g++) {
    const train = closed.filter((i) => idGroup(deals[i], crossFolds) !== g);
    const test = closed.filter((i) => idGroup(deals[i], crossFolds) === g);
    if (test.length === 0) continue;
    const fitted = await fitCandidate(selection.chosen, matrix.build(train), label(train), forest);
    const p = applyPlatt(selection.calibration, fitted.predict(matrix.build(test)));
    test.forEach((i, r) => (out[i] = p[r]));
  }
  return out;
}

/** A stable group of a deal from a hash of its id: independent of the order deals come in. */
export function idGroup(d: DealRecord, groups: number): number {
  let h = 2166136261;
  for (const ch of `${d.source}:${d.opportunity_id}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % groups;
}

/**
 * Trains the selected candidate on the training rows (all of them) and predicts, calibrated, the
 * rows `targets` of other deals (e.g. open deals from a model learnt on snapshots).
 */
export async function trainAndPredict(
  train: {
    deals: readonly DealRecord[];
    features: readonly DealFeatures[];
    rows: readonly number[];
    labelling: Labelling;
  },
  target: { deals: readonly DealRecord[]; features: readonly DealFeatures[]; rows: readonly number[] },
  selection: Selection,
  forest: RandomForestOptions = {},
): Promise<Float64Array> {
  if (target.rows.length === 0) return new Float64Array(0);
  const matrix = featureMatrix(train.deals, train.features);
  const y = Uint8Array.from(train.rows, (i) => (train.labelling.lost(i) ? 1 : 0));
  const fitted = await fitCandidate(selection.chosen, matrix.build(train.rows), y, forest);
  return applyPlatt(selection.calibration, fitted.predict(matrix.build(target.rows, target.deals, target.features)));
}
