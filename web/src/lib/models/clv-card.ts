/**
 * The CLV model card as the Models page shows it (models/clv/validate.ts builds it,
 * models/scoring/clv-card.ts stores it in `model_cards` with model 'clv'): each shown figure —
 * clv_12m, expected_purchases_90d — checked out of time against what customers then did, beside the
 * baselines an analyst would use instead, and where a baseline does better. Unfittable figures
 * (a Spearman of equal predictions) are null in the stored JSON.
 */
import { formatCurrency, formatNumber, formatPercent, formatScore } from '../format/format.ts';

type Predictor = 'model' | 'past_rate' | 'last_period' | 'cohort_average';
type Score = { total: number; totalError: number; mae: number; rmse: number; spearman: number | null; topDecileCapture: number | null };

export interface ClvFoldView {
  cutoff: string;
  holdoutEnd: string;
  customers: number;
  actualTotal: number;
  oracleTopDecileCapture: number | null;
  /** The model's Spearman with its one-time buyers tied (absent on cards before it). */
  modelSpearmanOneTimersTied?: number | null;
  scores: Record<Predictor, Score>;
  modelDeciles: { decile: number; customers: number; meanPredicted: number; meanActual: number }[];
}

export interface ClvCheckView {
  key: string;
  figure: string;
  measure: 'spend' | 'purchases';
  horizonDays: number;
  validated: boolean;
  reason: string;
  folds: ClvFoldView[];
  mean: Record<Predictor, { totalError: number | null; absTotalError: number | null; mae: number | null; spearman: number | null; topDecileCapture: number | null }>;
  losses: string[];
}

export interface ClvCardView {
  modelVersion: string;
  createdAt: string;
  asOf: string;
  dataStart: string;
  validated: boolean;
  headline: string;
  checks: ClvCheckView[];
  sample?: { customers: number; of: number };
  warnings: string[];
}

export const PREDICTORS: { name: Predictor; description: string }[] = [
  { name: 'model', description: 'BG/NBD + Gamma-Gamma (what the product shows)' },
  { name: 'past_rate', description: 'baseline: the customer’s own spend per day so far, carried forward' },
  { name: 'last_period', description: 'baseline: the customer’s last period of the same length' },
  { name: 'cohort_average', description: 'baseline: everyone gets the average of that last period' },
];

const signed = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v > 0 ? '+' : v < 0 ? '−' : ''}${formatPercent(Math.abs(v))}`;

/** The past_rate baseline in the check's unit: spend per day, or purchase days per day. */
const pastRateWords = (check: Pick<ClvCheckView, 'measure'>): string => `baseline: the customer’s own ${clvMeasureWords(check)} per day so far, carried forward`;

/** What a check measures, in words: the BG/NBD's purchases are purchase days (several orders on one day count once). */
export const clvMeasureWords = (check: Pick<ClvCheckView, 'measure'>): string => (check.measure === 'purchases' ? 'purchase days' : check.measure);

/** A fold's or the mean's amount in the check's unit: money for spend, a count for purchases. */
export const clvAmount = (check: Pick<ClvCheckView, 'measure'>, v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : check.measure === 'spend'
      ? formatCurrency(v)
      : formatNumber(v, { digits: 2 });

export interface ClvPredictorRow {
  name: Predictor;
  description: string;
  /** Σ predicted − Σ actual as a share of actual, fold by fold (newest first): never averaged away. */
  totalErrors: string;
  mae: string;
  spearman: string;
  topTenth: string;
}

/** One row per predictor: the totals' error per fold and the metrics' means over the folds. */
export function clvPredictorRows(check: ClvCheckView): ClvPredictorRow[] {
  return PREDICTORS.map(({ name, description }) => ({
    name,
    // past_rate carries forward the check's own measure (models/clv/holdout.ts): under purchase days
    // "spend per day" named the wrong one.
    description: name === 'past_rate' ? pastRateWords(check) : description,
    totalErrors: check.folds.map((f) => signed(f.scores[name].totalError)).join(' / '),
    mae: clvAmount(check, check.mean[name].mae),
    spearman: formatScore(check.mean[name].spearman),
    topTenth: check.mean[name].topDecileCapture === null ? '—' : formatPercent(check.mean[name].topDecileCapture),
  }));
}

/** "2 folds: 1997-06-30 → 1998-06-30 (actual $97,964), …"; a count of purchases says its unit ("actual 493 purchase days"). */
export function clvFoldsLine(check: ClvCheckView): string {
  return check.folds.map((f) => `${f.cutoff} → ${f.holdoutEnd} (${formatNumber(f.customers)} customers, actual ${clvAmount(check, f.actualTotal)}${check.measure === 'purchases' ? ' purchase days' : ''})`).join('; ');
}
