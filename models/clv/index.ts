/**
 * Predictive CLV: BG/NBD (purchases, dropout) + Gamma-Gamma (spend), fitted by maximum likelihood.
 * Entry point for jobs: fitClv(transactions, cutoff, options) → parameters, diagnostics and
 * per-customer predictions as columns. The pieces are exported for notebooks and tests.
 */
export type { BgNbdParams, GammaGammaParams, RfmColumns, SpendColumns, FitOptions, FitDiagnostics, ModelFit } from './types.ts';
export { ClvModelError, type ClvErrorCode } from './errors.ts';
export { type DateInput, toEpochDay, epochDayToIso } from './dates.ts';
export { type CustomerId, type Transaction, type RfmSummary, type RfmSummaryOptions, buildRfmSummary } from './rfm-summary.ts';
export { type RfmGroups, groupByRfm } from './rfm-groups.ts';
export {
  fitBgNbd,
  bgNbdLogLikelihood,
  bgNbdLogLikelihoodOne,
  bgNbdLogLikelihoodGradient,
  bgNbdProbabilityAlive,
  bgNbdProbabilityAliveOne,
  bgNbdExpectedPurchases,
  bgNbdExpectedPurchasesOne,
  bgNbdExpectedPurchasesNewCustomer,
  bgNbdProbabilityNoPurchase,
  bgNbdProbabilityNoPurchaseOne,
  bgNbdLogOddsNoPurchaseOne,
  bgNbdLogOddsNoPurchase,
} from './bg-nbd.ts';
export {
  type GammaGammaFit,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  gammaGammaLogLikelihoodOne,
  gammaGammaLogLikelihoodGradient,
  gammaGammaExpectedValue,
  gammaGammaExpectedValueOne,
} from './gamma-gamma.ts';
export {
  type ClvHorizonOptions,
  WEEKS_PER_MONTH,
  customerLifetimeValue,
  discountedExpectedPurchases,
  discountedExpectedPurchasesOne,
} from './clv.ts';
export {
  type ClvFit,
  type ClvFitInput,
  type ClvParams,
  type ClvPredictions,
  type ClvPredictionRow,
  type ClvScoringOptions,
  type ClvSummaryColumns,
  type FitClvOptions,
  type HoldoutCheck,
  fitClv,
  fitClvFromSummary,
  scoreClv,
  predictionRows,
} from './fit-clv.ts';
export { seededUniform, simulateBgNbdRfm, simulateTransactions, type SimulatedTransactionsOptions } from './simulate.ts';
export { CDNOW_FILE, CDNOW_CALIBRATION_END, CDNOW_HOLDOUT_END, type CdnowTransaction, cdnowAvailable, loadCdnow, parseCdnow } from './cdnow.ts';
