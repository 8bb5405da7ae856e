/**
 * Out-of-time check of the CLV model against what customers then did: fit BG/NBD + Gamma-Gamma on
 * the purchases up to a cutoff, predict each customer's purchases and spend over the holdout that
 * follows, and score the predictions beside the baselines a skeptical analyst would use instead:
 *
 * - `past_rate`: the customer's own spend (and purchase days) per day since their first purchase,
 *   carried forward over the holdout;
 * - `last_period`: what the customer spent in the last period of the holdout's length before the
 *   cutoff (scaled up when the history is shorter than that);
 * - `cohort_average`: every customer gets the cohort's average of that last period (it gets the
 *   aggregate as right as last_period and ranks nobody).
 *
 * Money needs money metrics: the total error (does the sum over customers come out right — what a
 * forecast of next year's revenue from the CLV column reads), MAE and RMSE per customer, Spearman
 * rank correlation, the share of holdout revenue the top tenth by prediction holds, and predicted
 * against actual by decile of prediction.
 *
 * Actual = purchase days and spend in (cutoff, holdoutEnd] of customers acquired on or before the
 * cutoff; the model predicts purchases with E[X(t)] and spend with E[X(t)] · E(M), undiscounted
 * (the holdout's revenue is not discounted either; the product's `clv_12m` is, by 10 %/year).
 */
import { bgNbdExpectedPurchases } from './bg-nbd.ts';
import { type DateInput, epochDayToIso, toEpochDay } from './dates.ts';
import { ClvModelError } from './errors.ts';
import { fitClvFromSummary, type ClvFit } from './fit-clv.ts';
import { buildRfmSummary, type CustomerId, type Transaction } from './rfm-summary.ts';

export const BASELINES = ['past_rate', 'last_period', 'cohort_average'] as const;
export type PredictorName = 'model' | (typeof BASELINES)[number];

export interface DecilePoint {
  /** 1 = lowest predictions. */
  decile: number;
  customers: number;
  meanPredicted: number;
  meanActual: number;
}

export interface PredictionScore {
  /** Σ predicted over customers. */
  total: number;
  /** (Σ predicted − Σ actual) / Σ actual. */
  totalError: number;
  mae: number;
  rmse: number;
  /** Spearman rank correlation with the actual values (NaN when the predictions are all equal). */
  spearman: number;
  /** Share of the actual total held by the top 10 % of customers by prediction (ties shared evenly). */
  topDecileCapture: number;
  deciles: DecilePoint[];
}

export interface HoldoutEvaluation {
  /** Last day of the calibration period (inclusive), YYYY-MM-DD. */
  cutoff: string;
  /** Last day of the holdout (inclusive). */
  holdoutEnd: string;
  holdoutDays: number;
  /** Days from the first purchase in the data to the cutoff, inclusive. */
  calibrationDays: number;
  customers: number;
  repeatCustomers: number;
  actual: { purchases: number; spend: number; buyers: number };
  /**
   * The model's Spearman with the one-time buyers' predictions replaced by their mean. Spearman
   * counts a fine order within a large group that mostly buys nothing against a predictor (the
   * rank spread adds variance, not correlation); a count of past purchases ties those customers.
   * This says how much of a Spearman gap is that, and how much is the ordering of everyone else.
   */
  modelSpearmanOneTimersTied: { purchases: number; spend: number };
  /** What the best possible ranking would capture in the top tenth (the ceiling for topDecileCapture). */
  oracleTopDecileCapture: { purchases: number; spend: number };
  purchases: Record<PredictorName, PredictionScore>;
  spend: Record<PredictorName, PredictionScore>;
  params: { bgNbd: ClvFit['bgNbd']['params']; gammaGamma: ClvFit['gammaGamma']['params'] };
  warnings: string[];
}

export interface HoldoutOptions {
  /** Last day of the calibration period (inclusive). */
  cutoff: DateInput;
  /** Last day of the holdout (inclusive). */
  holdoutEnd: DateInput;
}

/**
 * A day parser that parses each distinct date string once: a log repeats a few hundred days over
 * millions of rows, and the regular expression per row cost more than the fits (1M customers).
 */
export function cachedDays(): (d: DateInput) => number {
  const seen = new Map<string, number>();
  return (d) => {
    if (typeof d !== 'string') return toEpochDay(d);
    let v = seen.get(d);
    if (v === undefined) seen.set(d, (v = toEpochDay(d)));
    return v;
  };
}

/** Fits on purchases up to the cutoff and scores every predictor on the holdout. */
export function evaluateClvHoldout<TId extends CustomerId>(
  transactions: readonly Transaction<TId>[],
  options: HoldoutOptions,
): HoldoutEvaluation {
  const cutoffDay = toEpochDay(options.cutoff);
  const endDay = toEpochDay(options.holdoutEnd);
  const dayOf = cachedDays();
  const H = endDay - cutoffDay;
  if (!(H > 0)) throw new ClvModelError('INVALID_INPUT', 'the holdout must end after the cutoff');
  const summary = buildRfmSummary(transactions, epochDayToIso(cutoffDay), {
    holdoutEnd: epochDayToIso(endDay),
  });
  const n = summary.customerIds.length;
  if (n === 0) throw new ClvModelError('NO_CUSTOMERS', `no customer purchased on or before ${epochDayToIso(cutoffDay)}`);
  const fit = fitClvFromSummary(summary);
  const index = new Map<TId, number>();
  summary.customerIds.forEach((id, i) => index.set(id, i));

  // Spend per customer: before the cutoff, in its last H days, and in the holdout (amounts as given).
  let dataStart = Infinity;
  const pastSpend = new Float64Array(n);
  const lastSpend = new Float64Array(n);
  const actualSpend = new Float64Array(n);
  for (const t of transactions) {
    const day = dayOf(t.date);
    if (day > endDay) continue;
    if (day < dataStart) dataStart = day;
    const i = index.get(t.customerId);
    if (i === undefined) continue;
    if (day <= cutoffDay) {
      pastSpend[i] += t.amount;
      if (day > cutoffDay - H) lastSpend[i] += t.amount;
    } else actualSpend[i] += t.amount;
  }
  const calibrationDays = cutoffDay - dataStart + 1;
  // A history shorter than the holdout: its last period is all of it, scaled to the holdout's length.
  const lastScale = H / Math.min(H, calibrationDays);

  const actualPurchases = Float64Array.from(summary.holdoutFrequency!);
  const modelPurchases = bgNbdExpectedPurchases(fit.bgNbd.params, summary, H / 7);
  const modelSpend = modelPurchases.map((e, i) => e * fit.customers.expectedOrderValue[i]);

  // Baselines' purchases: purchase days, the same unit as the model's (same-day lines are one).
  const pastDays = new Float64Array(n);
  const lastDays = new Float64Array(n);
  for (let i = 0; i < n; i++) pastDays[i] = summary.frequency[i] + 1;
  countLastPeriodDays(transactions, index, cutoffDay, H, lastDays, dayOf);

  const pastRate = (v: Float64Array): Float64Array =>
    v.map((s, i) => (s / (cutoffDay - summary.firstPurchaseDay[i] + 1)) * H);
  const last = (v: Float64Array): Float64Array => v.map((s) => s * lastScale);
  const cohort = (v: Float64Array): Float64Array => new Float64Array(n).fill(mean(last(v)));

  const rp = ranks(actualPurchases);
  const rs = ranks(actualSpend);
  const purchases = {
    model: scorePredictions(modelPurchases, actualPurchases, rp),
    past_rate: scorePredictions(pastRate(pastDays), actualPurchases, rp),
    last_period: scorePredictions(last(lastDays), actualPurchases, rp),
    cohort_average: scorePredictions(cohort(lastDays), actualPurchases, rp),
  };
  const spend = {
    model: scorePredictions(modelSpend, actualSpend, rs),
    past_rate: scorePredictions(pastRate(pastSpend), actualSpend, rs),
    last_period: scorePredictions(last(lastSpend), actualSpend, rs),
    cohort_average: scorePredictions(cohort(lastSpend), actualSpend, rs),
  };
  const tieOneTimers = (p: Float64Array): Float64Array => {
    let sumOne = 0;
    let nOne = 0;
    for (let i = 0; i < n; i++) {
      if (summary.frequency[i] !== 0) continue;
      sumOne += p[i];
      nOne++;
    }
    return p.map((v, i) => (summary.frequency[i] === 0 ? sumOne / nOne : v));
  };
  let buyers = 0;
  for (let i = 0; i < n; i++) if (actualPurchases[i] > 0) buyers++;
  return {
    cutoff: epochDayToIso(cutoffDay),
    holdoutEnd: epochDayToIso(endDay),
    holdoutDays: H,
    calibrationDays,
    customers: n,
    repeatCustomers: summary.frequency.filter((x) => x > 0).length,
    actual: { purchases: sum(actualPurchases), spend: sum(actualSpend), buyers },
    modelSpearmanOneTimersTied: {
      purchases: pearson(ranks(tieOneTimers(modelPurchases)), rp),
      spend: pearson(ranks(tieOneTimers(modelSpend)), rs),
    },
    oracleTopDecileCapture: {
      purchases: topDecileCapture(actualPurchases, actualPurchases),
      spend: topDecileCapture(actualSpend, actualSpend),
    },
    purchases,
    spend,
    params: { bgNbd: fit.bgNbd.params, gammaGamma: fit.gammaGamma.params },
    warnings: fit.warnings,
  };
}

/** Distinct purchase days of each customer in (cutoff − H, cutoff]. */
function countLastPeriodDays<TId extends CustomerId>(
  transactions: readonly Transaction<TId>[],
  index: Map<TId, number>,
  cutoffDay: number,
  H: number,
  out: Float64Array,
  dayOf: (d: DateInput) => number,
): void {
  const seen = new Set<string>();
  for (const t of transactions) {
    const day = dayOf(t.date);
    if (day > cutoffDay || day <= cutoffDay - H) continue;
    const i = index.get(t.customerId);
    if (i === undefined) continue;
    const key = `${i}:${day}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out[i]++;
  }
}

const sum = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
};
const mean = (v: ArrayLike<number>): number => (v.length ? sum(v) / v.length : NaN);

export function scorePredictions(pred: ArrayLike<number>, actual: ArrayLike<number>, actualRanks?: Float64Array): PredictionScore {
  const n = pred.length;
  if (actual.length !== n) throw new ClvModelError('INVALID_INPUT', 'predictions and actuals differ in length');
  let ae = 0;
  let se = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - actual[i];
    ae += Math.abs(d);
    se += d * d;
  }
  const total = sum(pred);
  const act = sum(actual);
  // One sort of the predictions serves the ranks, the top tenth and the deciles (at 20,000
  // customers × 8 predictors × 8 folds the sorts were most of the card's time).
  const order = ascendingOrder(pred);
  return {
    total,
    totalError: (total - act) / act,
    mae: ae / n,
    rmse: Math.sqrt(se / n),
    spearman: pearson(ranks(pred, order), actualRanks ?? ranks(actual)),
    topDecileCapture: topDecileCapture(pred, actual, order),
    deciles: deciles(pred, actual, order),
  };
}

/** Indices in ascending order of v, equal values by index. */
export function ascendingOrder(v: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(v.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => v[a] - v[b] || a - b);
}

/** Average ranks (1-based), ties sharing the mean of their positions. */
export function ranks(v: ArrayLike<number>, order: Uint32Array = ascendingOrder(v)): Float64Array {
  const n = v.length;
  const r = new Float64Array(n);
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && v[order[e + 1]] === v[order[s]]) e++;
    const avg = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) r[order[k]] = avg;
    s = e + 1;
  }
  return r;
}

function pearson(ra: ArrayLike<number>, rb: ArrayLike<number>): number {
  const ma = mean(ra);
  const mb = mean(rb);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) ** 2;
    sbb += (rb[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Share of Σ actual held by the n/10 customers with the highest predictions. A group of equal
 * predictions straddling the cut contributes in proportion to the places left (its expected share
 * under a random tie-break), so an all-equal prediction captures exactly 10 %.
 */
export function topDecileCapture(pred: ArrayLike<number>, actual: ArrayLike<number>, order: Uint32Array = ascendingOrder(pred)): number {
  const n = pred.length;
  const k = n / 10;
  let taken = 0;
  let captured = 0;
  // From the highest prediction down.
  for (let s = n - 1; s >= 0 && taken < k; ) {
    let e = s;
    let group = actual[order[s]];
    while (e - 1 >= 0 && pred[order[e - 1]] === pred[order[s]]) group += actual[order[--e]];
    const size = s - e + 1;
    const share = Math.min(1, (k - taken) / size);
    captured += share * group;
    taken += share * size;
    s = e - 1;
  }
  const total = sum(actual);
  return total > 0 ? captured / total : NaN;
}

/** Ten groups of (nearly) equal size in order of prediction; mean predicted and actual in each. */
export function deciles(pred: ArrayLike<number>, actual: ArrayLike<number>, order: Uint32Array = ascendingOrder(pred)): DecilePoint[] {
  const n = pred.length;
  const out: DecilePoint[] = [];
  for (let d = 0; d < 10; d++) {
    const from = Math.floor((d * n) / 10);
    const to = Math.floor(((d + 1) * n) / 10);
    if (to <= from) continue;
    let p = 0;
    let a = 0;
    for (let k = from; k < to; k++) {
      p += pred[order[k]];
      a += actual[order[k]];
    }
    out.push({ decile: d + 1, customers: to - from, meanPredicted: p / (to - from), meanActual: a / (to - from) });
  }
  return out;
}
