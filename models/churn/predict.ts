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
 * - single-feature baselines (recency, BG/NBD): the whole distance from the training churn rate
 *   goes to their one feature.
 */
import { applyPlatt, logit } from './calibration.ts';
import { columnsOf, rawScores, type FittedCandidate } from './candidates.ts';
import { treePathContributions } from './forest/contributions.ts';
import type { FeatureSet } from './features.ts';
import type { LoadedChurnModel } from './registry.ts';

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

export function predictBlock(
  model: LoadedChurnModel,
  set: Pick<FeatureSet, 'features' | 'columns'>,
  start = 0,
  end?: number,
): PredictedBlock {
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
      return { probability: explained.probability, contributions: explained.contributions, features: names };
    const raw = Float64Array.from(explained.probability, logit);
    const probability = applyPlatt(calibration, raw);
    const contributions = explained.contributions;
    for (let i = 0; i < n; i++) {
      const s = explained.probability[i] > 0 ? probability[i] / explained.probability[i] : 1;
      for (let j = 0; j < d; j++) contributions[i * d + j] *= s;
    }
    return { probability, contributions, features: names };
  }
  if (kind === 'logistic') {
    const e = model.logistic!.explain(sliced);
    const probability = calibration ? applyPlatt(calibration, Float64Array.from(e.probability, logit)) : e.probability;
    const contributions = e.contributions;
    for (let i = 0; i < n; i++) {
      const slope = probability[i] * (1 - probability[i]) * (calibration?.slope ?? 1);
      for (let j = 0; j < d; j++) contributions[i * d + j] *= slope;
    }
    return { probability, contributions, features: names };
  }
  const fitted = { spec: { kind } as FittedCandidate['spec'], features: [...names] } as FittedCandidate;
  const raw = rawScores(fitted, { features: [...names], columns: sliced });
  const probability = calibration ? applyPlatt(calibration, raw) : raw.map((z) => 1 / (1 + Math.exp(-z)));
  const base = p?.baseRate ?? 0.5;
  const contributions = new Float64Array(n * d);
  for (let i = 0; i < n; i++) contributions[i * d] = probability[i] - base;
  return { probability, contributions, features: names };
}
