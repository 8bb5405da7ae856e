/**
 * Calibrated probabilities and per-feature contributions of a registered churn model, whatever
 * candidate shipped (candidates.ts), for a block of rows. Scoring (models/scoring/score-churn.ts)
 * calls it batch by batch.
 *
 * Contributions are in probability points, the unit reasons.ts ranks and reports:
 * - forest: tree-path (Saabas) contributions of the raw forest probability (forest/contributions.ts,
 *   the forest's own walk: same numbers as explain.ts, about 2.5× faster), scaled by
 *   calibrated / raw probability so they add up to the calibrated probability's distance from the
 *   scaled bias;
 * - logistic: weight × standardised value on the log-odds scale (exact), times p(1 − p) of the
 *   calibrated probability: the first-order change in probability points;
 * - single-feature baselines (recency, BG/NBD): the whole distance from the reference goes to their
 *   one feature.
 *
 * Measured from whom: a model file that carries `predictor.reference` (trained since issue 14
 * point 5) has every contribution measured from the customers it scores at low risk — their mean
 * contribution over the training rows is subtracted. Without it the contributions are measured
 * from the average training row (the forest's root, the logistic's centring), and where most
 * customers churn (CDNOW: 80%) the average customer is itself high risk: a frequent buyer at 0.72
 * was below average on every input, no contribution was positive, and the churn page said "—" for
 * most of its top rows. Measured from the low-risk customers, a row's contributions add up to its
 * raw score minus theirs, so every customer scored above `reference.probability` (below 0.3) has
 * at least one reason: "what makes this customer riskier than the customers we expect to keep".
 */
import { applyPlatt, logit, type PlattCalibration } from './calibration.ts';
import { columnsOf, rawScores, type FittedCandidate } from './candidates.ts';
import { treePathContributions } from './forest/contributions.ts';
import type { FeatureSet } from './features.ts';
import { mediansOf, populationOf } from './population.ts';
import type { ExplanationReference, LoadedChurnModel } from './registry.ts';

export interface PredictedBlock {
  probability: Float64Array;
  /** contributions[i * features.length + j]. */
  contributions: Float64Array;
  features: readonly string[];
}

/** The input columns of the model (file.features), from a set that may carry more. */
export function modelColumns(model: LoadedChurnModel, set: Pick<FeatureSet, 'features' | 'columns'>): Float64Array[] {
  return columnsOf(set, model.file.features);
}

interface RawBlock {
  /** Calibrated probability. */
  probability: Float64Array;
  /** Raw contributions (row-major), before the reference and the scaling to probability points. */
  contributions: Float64Array;
  /** Per row: raw contribution → probability points. */
  scale: Float64Array;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function rawBlock(
  model: LoadedChurnModel,
  set: Pick<FeatureSet, 'features' | 'columns'>,
  start: number,
  end: number | undefined,
): RawBlock {
  const names = model.file.features;
  const cols = modelColumns(model, set);
  const stop = end ?? cols[0]?.length ?? 0;
  const sliced = cols.map((c) => c.subarray(start, stop));
  const n = stop - start;
  const d = names.length;
  const p = model.file.predictor;
  const calibration = p?.calibration ?? null;
  const kind = p?.model.kind ?? 'forest';
  if (kind === 'forest') {
    const explained = treePathContributions(model.forest!, { columns: cols }, start, stop);
    if (!calibration)
      return {
        probability: explained.probability,
        contributions: explained.contributions,
        scale: new Float64Array(n).fill(1),
      };
    const probability = applyPlatt(calibration, Float64Array.from(explained.probability, logit));
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) scale[i] = explained.probability[i] > 0 ? probability[i] / explained.probability[i] : 1;
    return { probability, contributions: explained.contributions, scale };
  }
  if (kind === 'logistic') {
    const e = model.logistic!.explain(sliced);
    const probability = calibration ? applyPlatt(calibration, Float64Array.from(e.probability, logit)) : e.probability;
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) scale[i] = probability[i] * (1 - probability[i]) * (calibration?.slope ?? 1);
    return { probability, contributions: e.contributions, scale };
  }
  const fitted = { spec: { kind } as FittedCandidate['spec'], features: [...names] } as FittedCandidate;
  const raw = rawScores(fitted, { features: [...names], columns: sliced });
  const probability = calibration ? applyPlatt(calibration, raw) : raw.map(sigmoid);
  // A single input: its contribution is the probability itself, measured from the reference below.
  const contributions = new Float64Array(n * d);
  for (let i = 0; i < n; i++) contributions[i * d] = probability[i];
  return { probability, contributions, scale: new Float64Array(n).fill(1) };
}

export function predictBlock(
  model: LoadedChurnModel,
  set: Pick<FeatureSet, 'features' | 'columns'>,
  start = 0,
  end?: number,
): PredictedBlock {
  const names = model.file.features;
  const d = names.length;
  const { probability, contributions, scale } = rawBlock(model, set, start, end);
  const p = model.file.predictor;
  const kind = p?.model.kind ?? 'forest';
  const ref = p?.reference?.contributions;
  // Files from before the reference: baselines measured from the training churn rate, learners from
  // their own centre (as they were scored then).
  const offset = new Float64Array(d);
  if (ref && ref.length === d) offset.set(ref);
  else if (kind !== 'forest' && kind !== 'logistic') offset[0] = p?.baseRate ?? 0.5;
  const n = probability.length;
  for (let i = 0; i < n; i++) {
    const s = scale[i];
    for (let j = 0, k = i * d; j < d; j++, k++) contributions[k] = (contributions[k] - offset[j]) * s;
  }
  return { probability, contributions, features: names };
}

/** The low band's upper edge (models/scoring/churn-rows.ts RISK_THRESHOLDS.medium; scoring imports churn, not the reverse). */
export const REFERENCE_BELOW = 0.3;
/** Fewer training rows than this below REFERENCE_BELOW: the lowest-scored tenth is the reference instead. */
const MIN_REFERENCE_ROWS = 30;

/**
 * The reference of a model about to ship: its mean raw contributions over the training rows it scores
 * at low risk (calibrated probability below `below`), or over its lowest-scored tenth when fewer than
 * MIN_REFERENCE_ROWS are. Every row averaged is below the line, so the reference's own probability
 * is too: every customer scored medium or high gets at least one reason. (The customers who bought
 * in the horizon were tried first: on CDNOW their mean scores 0.71, so high-risk customers between
 * 0.6 and 0.71 still had none.) `model` is the model as it will be loaded.
 */
export function explanationReference(
  model: LoadedChurnModel,
  set: Pick<FeatureSet, 'features' | 'columns'>,
  below = REFERENCE_BELOW,
): ExplanationReference | undefined {
  const d = model.file.features.length;
  const { probability, contributions } = rawBlock(model, set, 0, undefined);
  const n = probability.length;
  if (n === 0) return undefined;
  let take = (i: number): boolean => probability[i] < below;
  let count = 0;
  for (let i = 0; i < n; i++) if (take(i)) count++;
  if (count < MIN_REFERENCE_ROWS) {
    const line = Float64Array.from(probability).sort()[Math.max(0, Math.ceil(n / 10) - 1)];
    take = (i) => probability[i] <= line;
  }
  const mean = new Array<number>(d).fill(0);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if (!take(i)) continue;
    rows++;
    for (let j = 0; j < d; j++) mean[j] += contributions[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= rows;
  // Where a value starts to point toward churn (reasons.ts pickReasons): the medians of these same
  // rows. The whole training population's were tried first; on CDNOW (80% churn) the median customer
  // is a churner, and 98 customers scored high lost every reason.
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (take(i)) kept.push(i);
  return {
    contributions: mean,
    probability: referenceProbability(model, mean),
    rows,
    medians: mediansOf(
      populationOf({
        features: set.features,
        columns: set.columns.map((c) => Float64Array.from({ length: rows }, (_, k) => c[kept[k]])),
      }),
    ),
  };
}

/** The calibrated probability of a row whose raw contributions are `mean`. */
function referenceProbability(model: LoadedChurnModel, mean: readonly number[]): number {
  const p = model.file.predictor;
  const calibration: PlattCalibration | null = p?.calibration ?? null;
  const kind = p?.model.kind ?? 'forest';
  const sum = mean.reduce((a, b) => a + b, 0);
  if (kind === 'forest') {
    const { roots, value } = model.forest!.nodes;
    let bias = 0;
    for (let t = 0; t < roots.length; t++) bias += value[roots[t]];
    const raw = bias / roots.length + sum;
    return calibration ? sigmoid(calibration.slope * logit(raw) + calibration.intercept) : raw;
  }
  if (kind === 'logistic') {
    const raw = sigmoid(model.logistic!.json.intercept + sum);
    return calibration ? sigmoid(calibration.slope * logit(raw) + calibration.intercept) : raw;
  }
  return mean[0];
}
