/**
 * models/: the public API, for the parts that may not reach into models' internals (alerts/, web/,
 * notebooks/; see .dependency-cruiser.cjs). bin/ and the models' own CLI use the modules directly.
 *
 * For the alerts worker:  trainAndScore (the whole refresh), todayUtc and parseDay (the days it
 *                         works in), REASON_TOPICS (the feature → topic map of the churn reasons),
 *                         latestModelCard and modelCardHeadline (the digests' model line)
 *
 * Kept light on purpose: the dates and reason topics import nothing, and trainAndScore loads the
 * forest, the CLV fits and their dependencies only when it is first called, so a CLI that parses a
 * date does not pay for the training code.
 */
import type { Warehouse } from '../lib/warehouse/index.ts';
import type { TrainAndScoreOptions, TrainAndScoreResult } from './scoring/train-and-score.ts';

export { DEFAULT_CHURN_DEFINITION, parseDay, todayUtc, type ChurnDefinition } from './churn/definition.ts';
export { REASON_TOPICS } from './churn/reasons.ts';
export { latestModelCard, modelCardHeadline, modelCardValidated, type ModelCard } from './churn/model-card.ts';
export type { TrainAndScoreOptions, TrainAndScoreResult };

/** Trains, evaluates and registers the churn model, then scores churn risk and CLV for every customer. */
export async function trainAndScore(
  warehouse: Warehouse,
  opts: TrainAndScoreOptions = {},
): Promise<TrainAndScoreResult> {
  const { trainAndScore: run } = await import('./scoring/train-and-score.ts');
  return run(warehouse, opts);
}
