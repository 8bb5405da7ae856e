/**
 * The CLV pipeline the scoring job calls: transactions → RFM summary → BG/NBD + Gamma-Gamma fits →
 * per-customer predictions, as columns (typed arrays) ready to be written out row by row.
 * The BG/NBD fit runs on the distinct (x, t_x, T) triples, the series behind its predictions on the
 * distinct (x, T) pairs (see rfm-groups.ts).
 */
import { bgNbdExpectedPurchases, bgNbdProbabilityAlive, fitBgNbd } from './bg-nbd.ts';
import { type ClvHorizonOptions, type ResolvedHorizon, discountedExpectedPurchases, resolveHorizon } from './clv.ts';
import { type DateInput, epochDayToIso } from './dates.ts';
import { ClvModelError } from './errors.ts';
import { type GammaGammaFit, fitGammaGamma, gammaGammaExpectedValue } from './gamma-gamma.ts';
import { groupByRfm } from './rfm-groups.ts';
import { type CustomerId, type Transaction, buildRfmSummary } from './rfm-summary.ts';
import type { BgNbdParams, FitOptions, GammaGammaParams, ModelFit } from './types.ts';

export interface ClvScoringOptions extends ClvHorizonOptions {
  /** Window of the "expected purchases" prediction, in days (default 90). */
  horizonDays?: number;
}

export interface FitClvOptions extends ClvScoringOptions {
  /** Count actual purchases in (cutoff, holdoutEnd] and compare with the predictions. */
  holdoutEnd?: DateInput;
  bgNbd?: FitOptions<BgNbdParams>;
  gammaGamma?: FitOptions<GammaGammaParams>;
}

export interface ClvParams {
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
}

/** Per-customer columns, all of the same length and order as `customerIds`. */
export interface ClvPredictions<TId extends CustomerId = string> {
  customerIds: TId[];
  frequency: Int32Array;
  /** Weeks. */
  recency: Float64Array;
  /** Weeks. */
  T: Float64Array;
  monetaryValue: Float64Array;
  probabilityAlive: Float64Array;
  /** Expected purchases in the next `horizonDays` days. */
  expectedPurchases: Float64Array;
  /** Gamma-Gamma expected value of a future purchase. */
  expectedOrderValue: Float64Array;
  /** Discounted expected purchases over `months` (CLV = margin × this × expectedOrderValue). */
  discountedPurchases: Float64Array;
  clv: Float64Array;
}

export interface HoldoutCheck {
  days: number;
  actualPurchases: number;
  predictedPurchases: number;
  /** Mean over customers of |predicted − actual| repeat purchases in the holdout. */
  meanAbsoluteError: number;
}

export interface ClvFit<TId extends CustomerId = string> {
  /** Last day of the calibration period, YYYY-MM-DD. */
  cutoff: string;
  settings: ResolvedHorizon & { horizonDays: number };
  bgNbd: ModelFit<BgNbdParams>;
  gammaGamma: GammaGammaFit;
  customers: ClvPredictions<TId>;
  holdout?: HoldoutCheck;
  /** Things a reviewer should know (non-convergence, q ≤ 1, spend correlated with frequency). */
  warnings: string[];
}

/** Fits both models on the transactions up to `cutoff` (inclusive) and scores every customer. */
export function fitClv<TId extends CustomerId = string>(
  transactions: Iterable<Transaction<TId>>,
  cutoff: DateInput,
  options: FitClvOptions = {},
): ClvFit<TId> {
  const summary = buildRfmSummary(transactions, cutoff, { holdoutEnd: options.holdoutEnd });
  return fitClvFromSummary(summary, options);
}

/** Per-customer inputs for scoring: the RFM columns of buildRfmSummary (or an equivalent query). */
export interface ClvSummaryColumns<TId extends CustomerId = string> {
  customerIds: TId[];
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  monetaryValue: ArrayLike<number>;
}

/** What fitting needs besides the columns: the cutoff, and optionally holdout counts. */
export interface ClvFitInput<TId extends CustomerId = string> extends ClvSummaryColumns<TId> {
  cutoffDay: number;
  holdoutFrequency?: ArrayLike<number>;
  holdoutDays?: number;
}

/** Same as fitClv, from a summary already built (e.g. by buildRfmSummary or an equivalent query). */
export function fitClvFromSummary<TId extends CustomerId>(summary: ClvFitInput<TId>, options: FitClvOptions = {}): ClvFit<TId> {
  if (summary.customerIds.length === 0) throw new ClvModelError('NO_CUSTOMERS', 'no customer purchased on or before the cutoff');
  // Customers with the same (x, t_x, T) share a likelihood term: fit on the distinct triples.
  const bgNbd = fitBgNbd(groupByRfm(summary) ?? summary, options.bgNbd);
  const gammaGamma = fitGammaGamma(summary, options.gammaGamma);
  const params = { bgNbd: bgNbd.params, gammaGamma: gammaGamma.params };
  const customers = scoreColumns(params, summary, options);
  const settings = { ...resolveHorizon(options), horizonDays: options.horizonDays ?? 90 };

  const warnings: string[] = [];
  if (!bgNbd.converged) warnings.push('BG/NBD optimiser did not converge');
  if (!gammaGamma.converged) warnings.push('Gamma-Gamma optimiser did not converge');
  if (!(gammaGamma.params.q > 1)) {
    warnings.push(`Gamma-Gamma q = ${gammaGamma.params.q.toFixed(3)} ≤ 1: mean spend is infinite; expected value is NaN for customers without repeat purchases`);
  }
  if (bgNbd.params.a + bgNbd.params.b > 1e6) {
    warnings.push(`BG/NBD a + b = ${(bgNbd.params.a + bgNbd.params.b).toExponential(2)}: the fit collapsed to one dropout probability for all customers (no heterogeneity in dropout)`);
  }
  if (Math.abs(gammaGamma.frequencyMonetaryCorrelation) > 0.3) {
    warnings.push(`frequency and monetary value are correlated (ρ = ${gammaGamma.frequencyMonetaryCorrelation.toFixed(2)}): the Gamma-Gamma independence assumption is doubtful`);
  }

  let holdout: HoldoutCheck | undefined;
  if (summary.holdoutFrequency && summary.holdoutDays !== undefined) {
    const predicted = bgNbdExpectedPurchases(params.bgNbd, summary, summary.holdoutDays / 7);
    let actual = 0;
    let pred = 0;
    let mae = 0;
    for (let i = 0; i < predicted.length; i++) {
      actual += summary.holdoutFrequency[i];
      pred += predicted[i];
      mae += Math.abs(predicted[i] - summary.holdoutFrequency[i]);
    }
    holdout = { days: summary.holdoutDays, actualPurchases: actual, predictedPurchases: pred, meanAbsoluteError: mae / predicted.length };
  }

  return { cutoff: epochDayToIso(summary.cutoffDay), settings, bgNbd, gammaGamma, customers, holdout, warnings };
}

/** Scores customers with known parameters (e.g. stored with a model version). */
export function scoreClv<TId extends CustomerId>(
  params: ClvParams,
  summary: ClvSummaryColumns<TId>,
  options: ClvScoringOptions = {},
): ClvPredictions<TId> {
  return scoreColumns(params, summary, options);
}

function scoreColumns<TId extends CustomerId>(params: ClvParams, s: ClvSummaryColumns<TId>, options: ClvScoringOptions): ClvPredictions<TId> {
  const h = resolveHorizon(options);
  const horizonDays = options.horizonDays ?? 90;
  if (!(horizonDays >= 0)) throw new RangeError(`horizonDays must be ≥ 0, got ${horizonDays}`);
  const n = s.customerIds.length;
  if (s.frequency.length !== n || s.monetaryValue.length !== n) {
    throw new ClvModelError('INVALID_INPUT', 'customerIds, frequency, recency, T and monetaryValue must have the same length');
  }
  const alive = bgNbdProbabilityAlive(params.bgNbd, s);
  const expected = bgNbdExpectedPurchases(params.bgNbd, s, horizonDays / 7);
  const discounted = discountedExpectedPurchases(params.bgNbd, s, h);
  const out: ClvPredictions<TId> = {
    customerIds: s.customerIds,
    frequency: Int32Array.from(s.frequency),
    recency: Float64Array.from(s.recency),
    T: Float64Array.from(s.T),
    monetaryValue: Float64Array.from(s.monetaryValue),
    probabilityAlive: alive,
    expectedPurchases: expected,
    expectedOrderValue: gammaGammaExpectedValue(params.gammaGamma, s),
    discountedPurchases: discounted,
    clv: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) out.clv[i] = h.profitMargin * discounted[i] * out.expectedOrderValue[i];
  return out;
}

/** One object per customer, for writers that want rows (e.g. JSONEachRow inserts). */
export interface ClvPredictionRow<TId extends CustomerId = string> {
  customerId: TId;
  frequency: number;
  recency: number;
  T: number;
  monetaryValue: number;
  probabilityAlive: number;
  expectedPurchases: number;
  expectedOrderValue: number;
  clv: number;
}

export function* predictionRows<TId extends CustomerId>(p: ClvPredictions<TId>): Generator<ClvPredictionRow<TId>> {
  for (let i = 0; i < p.customerIds.length; i++) {
    yield {
      customerId: p.customerIds[i],
      frequency: p.frequency[i],
      recency: p.recency[i],
      T: p.T[i],
      monetaryValue: p.monetaryValue[i],
      probabilityAlive: p.probabilityAlive[i],
      expectedPurchases: p.expectedPurchases[i],
      expectedOrderValue: p.expectedOrderValue[i],
      clv: p.clv[i],
    };
  }
}
