/**
 * The churn model card as the dashboard reads it (models/churn/model-card.ts writes it to
 * `model_cards`): the fields the Models page and the churn page show, and the wording of the
 * summary. Unvalidated figures are null in the stored JSON.
 */
import { formatScore } from '../format/format.ts';
export interface CandidateView {
  name: string;
  /** models' CandidateSpec kind: 'logistic', 'forest' or a baseline's ('recency', 'bgnbd_…'). */
  kind?: string;
  baseline: boolean;
  description: string;
  status: 'validated' | 'skipped';
  note?: string;
  roc_auc: number | null;
  /** Spread (sample SD) of the folds' ROC-AUC; absent on cards stored before it was recorded. */
  roc_auc_sd?: number | null;
  pr_auc: number | null;
  brier: number | null;
}

export interface ModelCardView {
  modelVersion: string;
  createdAt: string;
  dataStart: string;
  asOf: string;
  trainCutoff: string;
  horizonDays: number;
  /** The model's active window in days (its population; older cards lack it: 365 was the default). */
  activeWindowDays?: number;
  definition: string;
  trainRows: number;
  churnRate: number;
  chosen: string;
  chosenDescription: string;
  reason: string;
  /** Whether out-of-time validation chose the model (absent in older cards: validated iff folds). */
  validated?: boolean;
  rocAuc: number | null;
  prAuc: number | null;
  brier: number | null;
  bestBaseline: string;
  bestBaselineRocAuc: number | null;
  folds: { trainCutoff: string; evalCutoff: string; evalRows: number; evalChurnRate: number }[];
  candidates: CandidateView[];
  calibrationPoints: { lower: number; upper: number; rows: number; meanPredicted: number; observedRate: number }[];
  topFeatures: { feature: string; importance: number }[];
  warnings: string[];
}

/** Scores with 3 decimals, never a false "1.000" or "0.000" (lib/format formatScore; models' headline too). */
export const fmt3 = (v: number | null | undefined): string => formatScore(v);

/**
 * The card's headline in one line: what shipped, how it validated, against which baseline. The
 * same words as models' modelCardHeadline (the digests' line); kept here so the browser bundle
 * does not pull in the models package, and test/models/churn/card-pages.test.ts holds them equal.
 */
export function cardHeadline(card: ModelCardView): string {
  const auc = fmt3(card.rocAuc);
  const folds = `${card.folds.length} out-of-time fold${card.folds.length === 1 ? '' : 's'}`;
  const base =
    card.bestBaseline && card.chosen !== card.bestBaseline
      ? ` vs ${card.bestBaseline} ${fmt3(card.bestBaselineRocAuc)}`
      : '';
  const unvalidated = !isValidated(card) ? '; not validated: a rule of thumb, see the model card' : '';
  return `${card.chosen}: ROC-AUC ${auc}${base} (${folds}, ${card.horizonDays}-day horizon)${unvalidated}`;
}

/** Chosen by out-of-time validation: not when no fold fitted or nothing beat chance. */
export function isValidated(card: Pick<ModelCardView, 'validated' | 'folds'>): boolean {
  return card.validated !== false && card.folds.length > 0;
}

/**
 * What the number beside each top feature is: the models measure weight differently, and a bare
 * "2.101" beside "0.999" read as a share or a percentage (the logistic model's weights add up to
 * far more than 1; a forest's importances add up to 1). The chosen candidate's kind decides.
 */
export function featureWeightNote(card: Pick<ModelCardView, 'chosen' | 'candidates'>): string {
  const kind = card.candidates.find((c) => c.name === card.chosen)?.kind;
  if (kind === 'logistic')
    return 'Each number is the size of the feature’s weights in the logistic model: the change in the log-odds of churn per standard deviation of the feature (absolute, with its missing-value and bend terms added). Not a share: they do not add up to 1.';
  if (kind === 'forest')
    return 'Each number is the feature’s share of the forest’s split improvements (impurity decrease): all features add up to 1, the ten largest are shown.';
  if (kind) return 'The shipped model is a baseline that ranks customers by this one feature.';
  return 'Each number is the feature’s weight by the model’s own measure (this card does not say which model kind it is).';
}

/** Candidates in the table's order: baselines first, then by validated ROC-AUC, skipped last. */
export function candidateRows(card: ModelCardView): (CandidateView & { chosen: boolean })[] {
  const key = (c: CandidateView): number => (c.status === 'skipped' ? 2 : c.baseline ? 0 : 1);
  return [...card.candidates]
    .sort((a, b) => key(a) - key(b) || (b.roc_auc ?? -1) - (a.roc_auc ?? -1))
    .map((c) => ({ ...c, chosen: c.name === card.chosen }));
}

/** What the churn page and the digests show of the card: its headline figures, nothing recomputed. */
export interface CardSummary {
  modelVersion: string;
  chosen: string;
  headline: string;
  rocAuc: number | null;
  brier: number | null;
  bestBaseline: string;
  bestBaselineRocAuc: number | null;
  horizonDays: number;
  /** Lapsed = no order in this many days before the scores' as-of day (the card's, else the default 365). */
  activeWindowDays: number;
  asOf: string;
  folds: number;
  /** False: the probabilities are calibrated on the training cutoff, not on held-out periods. */
  validated: boolean;
}

export function cardSummary(card: ModelCardView): CardSummary {
  return {
    modelVersion: card.modelVersion,
    chosen: card.chosen,
    headline: cardHeadline(card),
    rocAuc: card.rocAuc,
    brier: card.brier,
    bestBaseline: card.bestBaseline,
    bestBaselineRocAuc: card.bestBaselineRocAuc,
    horizonDays: card.horizonDays,
    activeWindowDays: card.activeWindowDays ?? 365,
    asOf: card.asOf,
    folds: card.folds.length,
    validated: isValidated(card),
  };
}
