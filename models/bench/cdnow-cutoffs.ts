/**
 * The cutoffs the CDNOW benchmarks evaluate and train at, written once: real.ts and
 * candidates-cdnow.ts both judge a cutoff by the purchases in [cutoff, cutoff + horizon), which
 * must end within the sample, and candidates-cdnow.ts trains as the selection's folds do
 * (models/churn/select.ts: DEFAULT_TRAINING_CUTOFFS cutoffs a horizon apart, its history rule).
 */
import { addDays } from '../churn/definition.ts';
import { DEFAULT_TRAINING_CUTOFFS, hasTrainingHistory } from '../churn/select.ts';
import { CDNOW_END } from './cdnow-load.ts';

/** The first purchase day of the CDNOW sample. */
export const CDNOW_START = '1997-01-01';

/** Whether a cutoff's churn labels (purchases in [cutoff, cutoff + horizon)) end within the sample. */
export function labelsWithinSample(cutoff: string, horizonDays: number, end: string = CDNOW_END): boolean {
  return addDays(cutoff, horizonDays) <= addDays(end, 1);
}

/** Evaluation cutoffs from `from` on, every `stepDays`, as long as their labels end within the sample. */
export function evaluationCutoffs(
  from: string,
  stepDays: number,
  horizonDays: number,
  end: string = CDNOW_END,
): string[] {
  if (!(stepDays > 0) || !(horizonDays > 0))
    throw new RangeError('the step and the horizon must be positive numbers of days');
  const out: string[] = [];
  for (let e = from; labelsWithinSample(e, horizonDays, end); e = addDays(e, stepDays)) out.push(e);
  return out;
}

/**
 * The training cutoffs for evaluation cutoff `e`, as the selection trains: `pool` cutoffs a horizon
 * apart from e − horizon back, none before the data starts; the newest trains on whatever history
 * it has, an older one needs a horizon of history behind it (hasTrainingHistory).
 */
export function trainingCutoffs(
  e: string,
  horizonDays: number,
  dataStart: string = CDNOW_START,
  pool: number = DEFAULT_TRAINING_CUTOFFS,
): string[] {
  const out: string[] = [];
  for (let m = 0; m < pool; m++) {
    const c = addDays(e, -(m + 1) * horizonDays);
    if (c < dataStart || !hasTrainingHistory(c, { newest: m === 0, dataStart, horizonDays })) break;
    out.push(c);
  }
  return out;
}
