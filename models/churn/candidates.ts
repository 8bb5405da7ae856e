/**
 * The churn model's candidates, from the simplest to the most complex: what model selection
 * (select.ts) validates and what the registry can ship. Every candidate turns a feature set into a
 * raw score on a log-odds-like scale (higher = more likely to churn); a Platt map fitted on
 * held-out folds (calibration.ts) turns the raw score into the probability the product shows.
 *
 * - recency: log(1 + days since the last order) — the baseline every churn model must beat;
 * - bgnbd_p_alive / bgnbd_expected / bgnbd_no_purchase: 1 − P(alive), −E[purchases in the horizon]
 *   and P(no purchase in the horizon) — the label's own event — of a BG/NBD fit on the purchases
 *   before the cutoff (unsupervised: nothing is learnt from the labels);
 * - stack_bgnbd: a three-input L2 logistic regression on the BG/NBD no-purchase log-odds, recency
 *   and the order count: it re-weighs the BG/NBD answer by what the training cutoffs show (on CDNOW
 *   the BG/NBD under-weighs recency for frequent buyers). Its BG/NBD input is fitted per cutoff on
 *   that cutoff's past only, so it needs no out-of-fold stacking: no label reaches it;
 *   (not a candidate: a GAM-like logistic — linear splines, logistic.ts `knots`, of the stack's inputs,
 *   recency over the usual gap and tenure. Over every 15-day CDNOW cutoff it trailed the stack:
 *   +0.005 ± 0.012 over the best baseline at 90 days, −0.011 ± 0.007 at 180, against +0.010 ± 0.006
 *   and +0.010 ± 0.003; bench/candidates-cdnow.ts --variants. Splines fitted on young cohorts
 *   extrapolate badly to older ones.)
 * - logistic / logistic_bgnbd: L2 logistic regression on the standardised features (logistic.ts),
 *   without and with the BG/NBD outputs as features;
 * - forest_* : the random forest with a small hyperparameter grid, and forest_bgnbd: the best grid
 *   point with the BG/NBD outputs as features.
 */
import { BGNBD_FEATURES } from './bgnbd-features.ts';
import { logit } from './calibration.ts';
import { FEATURE_NAMES, type FeatureSet } from './features.ts';
import { RandomForest, type RandomForestOptions } from './forest/random-forest.ts';
import { LogisticModel, type LogisticModelJSON, type LogisticOptions } from './logistic.ts';

export type CandidateKind =
  'recency' | 'bgnbd_p_alive' | 'bgnbd_expected' | 'bgnbd_no_purchase' | 'logistic' | 'forest';

export interface CandidateSpec {
  name: string;
  kind: CandidateKind;
  /** Ties in validated ROC-AUC go to the lower number (the simpler model). */
  complexity: number;
  /** A baseline: what the shipped model must not fall below. */
  baseline: boolean;
  /** Takes the BG/NBD outputs as input columns. */
  usesBgnbd: boolean;
  /** A learner's own input columns, when not every feature (the stack). */
  inputs?: readonly string[];
  /** A logistic learner's fit options beyond the default L2 penalty of 1 (the GAM's hinge knots). */
  logistic?: LogisticOptions;
  forest?: RandomForestOptions;
  description: string;
}

/** What the model file stores to rebuild a fitted candidate (a forest itself sits in file.forest). */
export type CandidateModelJSON =
  | { kind: 'recency' | 'bgnbd_p_alive' | 'bgnbd_expected' | 'bgnbd_no_purchase'; features: string[] }
  | { kind: 'logistic'; features: string[]; logistic: LogisticModelJSON }
  | { kind: 'forest'; features: string[] };

export interface FittedCandidate {
  spec: CandidateSpec;
  /** Input columns, in the order the model reads them. */
  features: string[];
  forest?: RandomForest;
  logistic?: LogisticModel;
}

export class CandidateInputError extends Error {
  readonly code = 'MISSING_FEATURE';
}

/**
 * The forest grid: a few points that span shallow/large-leaf (smooth, good on small noisy logs) to
 * deeper/small-leaf (more interactions), and sqrt vs half the features per split. Small on purpose:
 * every point costs one training per validation fold on the start-up path.
 */
export const FOREST_GRID: readonly { name: string; options: RandomForestOptions }[] = [
  // In order of cost and prior odds: when the budget runs out, the points left out are the dearer ones.
  {
    name: 'forest_medium',
    options: { nEstimators: 100, maxDepth: 8, minSamplesLeaf: 20, maxFeatures: 'sqrt', seed: 1 },
  },
  {
    name: 'forest_deep',
    options: { nEstimators: 100, maxDepth: 12, minSamplesLeaf: 10, maxFeatures: 'sqrt', seed: 1 },
  },
  { name: 'forest_wide', options: { nEstimators: 100, maxDepth: 6, minSamplesLeaf: 40, maxFeatures: 0.3, seed: 1 } },
];

export function baselineSpecs(): CandidateSpec[] {
  return [
    {
      name: 'recency',
      kind: 'recency',
      complexity: 0,
      baseline: true,
      usesBgnbd: false,
      description: 'days since the last order (log scale)',
    },
    {
      name: 'bgnbd_p_alive',
      kind: 'bgnbd_p_alive',
      complexity: 1,
      baseline: true,
      usesBgnbd: true,
      description: 'BG/NBD 1 − P(alive)',
    },
    {
      name: 'bgnbd_expected',
      kind: 'bgnbd_expected',
      complexity: 1,
      baseline: true,
      usesBgnbd: true,
      description: 'BG/NBD expected purchases in the horizon (fewer = riskier)',
    },
    {
      name: 'bgnbd_no_purchase',
      kind: 'bgnbd_no_purchase',
      complexity: 1,
      baseline: true,
      usesBgnbd: true,
      description: 'BG/NBD probability of no purchase in the horizon (the churn event itself)',
    },
  ];
}

/** The stack's inputs: the BG/NBD's own answer to the label, and the two RFM facts it re-weighs. */
export const STACK_INPUTS = ['bgnbd_logodds_no_purchase', 'recency_days', 'orders_total'] as const;

export function logisticSpecs(): CandidateSpec[] {
  return [
    {
      name: 'stack_bgnbd',
      kind: 'logistic',
      complexity: 2,
      baseline: false,
      usesBgnbd: true,
      inputs: STACK_INPUTS,
      description: 'L2 logistic regression on the BG/NBD no-purchase log-odds, recency and the order count',
    },
    {
      name: 'logistic',
      kind: 'logistic',
      complexity: 2,
      baseline: false,
      usesBgnbd: false,
      description: 'L2 logistic regression on the standardised features',
    },
    {
      name: 'logistic_bgnbd',
      kind: 'logistic',
      complexity: 3,
      baseline: false,
      usesBgnbd: true,
      description: 'L2 logistic regression with the BG/NBD outputs as features',
    },
  ];
}

export function forestSpec(
  name: string,
  options: RandomForestOptions,
  usesBgnbd: boolean,
  complexity: number,
): CandidateSpec {
  const o = options;
  return {
    name,
    kind: 'forest',
    complexity,
    baseline: false,
    usesBgnbd,
    forest: options,
    description: `random forest: ${o.nEstimators ?? 100} trees, depth ≤ ${o.maxDepth ?? '∞'}, leaf ≥ ${o.minSamplesLeaf ?? 1}, ${o.maxFeatures ?? 'sqrt'} features per split${usesBgnbd ? ', BG/NBD outputs as features' : ''}`,
  };
}

/** The input columns of a candidate. */
export function candidateFeatures(spec: CandidateSpec): string[] {
  switch (spec.kind) {
    case 'recency':
      return ['recency_days'];
    case 'bgnbd_p_alive':
      return ['bgnbd_p_alive'];
    case 'bgnbd_expected':
      return ['bgnbd_expected_purchases'];
    case 'bgnbd_no_purchase':
      return ['bgnbd_logodds_no_purchase'];
    default:
      if (spec.inputs) return [...spec.inputs];
      return spec.usesBgnbd ? [...FEATURE_NAMES, ...BGNBD_FEATURES] : [...FEATURE_NAMES];
  }
}

/** The named columns of a set, in that order; a clear error names the missing one. */
export function columnsOf(set: Pick<FeatureSet, 'features' | 'columns'>, names: readonly string[]): Float64Array[] {
  return names.map((f) => {
    const j = set.features.indexOf(f);
    if (j < 0)
      throw new CandidateInputError(
        `the model needs feature "${f}", which this feature set (cutoff ${(set as FeatureSet).cutoff ?? '?'}) lacks: retrain`,
      );
    return set.columns[j];
  });
}

/**
 * The candidate's columns that vary in the training rows. A purchase log has no interactions, deals
 * or campaigns, so a third of the features are one constant there: they cannot split a tree or
 * earn a weight, but they dilute the forest's draw of features per split.
 */
export function informativeFeatures(names: readonly string[], set: Pick<FeatureSet, 'features' | 'columns'>): string[] {
  const keep = names.filter((f) => {
    const col = set.columns[set.features.indexOf(f)];
    if (!col) return true; // columnsOf names the missing one
    let first = NaN;
    let missing = false;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (v !== v) missing = true;
      else if (first !== first) first = v;
      else if (v !== first) return true;
    }
    return missing && first === first; // known vs unknown still tells something
  });
  return keep.length ? keep : [...names];
}

export async function fitCandidate(
  spec: CandidateSpec,
  train: FeatureSet & { labels: Uint8Array },
): Promise<FittedCandidate> {
  const all = candidateFeatures(spec);
  const features = spec.kind === 'logistic' || spec.kind === 'forest' ? informativeFeatures(all, train) : all;
  if (spec.kind === 'logistic') {
    return {
      spec,
      features,
      logistic: LogisticModel.fit(features, columnsOf(train, features), train.labels, { l2: 1, ...spec.logistic }),
    };
  }
  if (spec.kind === 'forest') {
    const forest = await RandomForest.train({ columns: columnsOf(train, features) }, train.labels, {
      ...spec.forest,
      featureNames: features,
    });
    return { spec, features, forest };
  }
  return { spec, features };
}

/** NaN → the median of the finite values (a customer the BG/NBD did not see is an average one). */
function fillMissing(x: Float64Array): Float64Array {
  const finite = [...x].filter(Number.isFinite).sort((a, b) => a - b);
  const fill = finite.length ? finite[finite.length >> 1] : 0;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) x[i] = fill;
  return x;
}

/** Raw scores (log-odds-like, higher = riskier) of a fitted candidate on a feature set. */
export function rawScores(model: FittedCandidate, set: Pick<FeatureSet, 'features' | 'columns'>): Float64Array {
  const cols = columnsOf(set, model.features);
  switch (model.spec.kind) {
    case 'recency':
      return fillMissing(Float64Array.from(cols[0], (d) => Math.log1p(Math.max(0, d))));
    case 'bgnbd_p_alive':
      return fillMissing(Float64Array.from(cols[0], (p) => (Number.isFinite(p) ? logit(1 - p) : NaN)));
    case 'bgnbd_expected':
      return fillMissing(
        Float64Array.from(cols[0], (e) => (Number.isFinite(e) ? -Math.log(Math.max(0, e) + 1e-4) : NaN)),
      );
    case 'bgnbd_no_purchase':
      return fillMissing(Float64Array.from(cols[0]));
    case 'logistic':
      return Float64Array.from(model.logistic!.predictProba(cols), logit);
    case 'forest':
      return Float64Array.from(model.forest!.predictProba({ columns: cols }), logit);
  }
}

/** Features ranked by weight in the model (the model card's "top features"). */
export function topFeatures(model: FittedCandidate, k = 10): { feature: string; importance: number }[] {
  if (model.forest) {
    const imp = model.forest.featureImportance();
    return model.features
      .map((feature, j) => ({ feature, importance: imp[j] }))
      .sort((a, b) => b.importance - a.importance)
      .slice(0, k);
  }
  if (model.logistic) return model.logistic.importance().slice(0, k);
  return [{ feature: model.features[0], importance: 1 }];
}

export function candidateToJSON(model: FittedCandidate): CandidateModelJSON {
  if (model.spec.kind === 'logistic')
    return { kind: 'logistic', features: model.features, logistic: model.logistic!.json };
  return { kind: model.spec.kind, features: model.features } as CandidateModelJSON;
}
