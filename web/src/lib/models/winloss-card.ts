/**
 * The win/loss model card as the Models page shows it (models/winloss/run.ts writes the card to
 * `model_cards` with model 'winloss'; card.server.ts reads it with the published run's drivers):
 * each candidate's out-of-time ROC-AUC beside the stage-only and amount-only baselines, the one
 * that shipped and why, and the significant drivers over all deals in the lost-orders panel's words.
 */
import { formatNumber, formatScore } from '../format/format.ts';
import type { Driver } from '../lost-orders/drivers.ts';

/** The fields of the stored card the page reads (unvalidated figures are null in the JSON). */
export interface WinLossCardView {
  modelVersion: string;
  createdAt: string;
  asOf: string;
  chosen: string;
  reason: string;
  /** Mean out-of-time ROC-AUC by candidate (logistic, forest) and baseline (stage_only, amount_only). */
  roc_auc: Record<string, number | null>;
  baselines: { stage_only: number | null; amount_only: number | null };
  brier: number | null;
  folds: unknown[];
  open_deals?: { chosen: string; reason: string; roc_auc: Record<string, number | null>; folds: number };
  deals: { closed: number; lost: number; open: number };
  warnings: string[];
}

export interface WinLossCardPage {
  card: WinLossCardView;
  /** The significant drivers over all deals of the published run, strongest first (lost-orders/drivers.ts's shape and words). */
  drivers: Driver[];
}

const fmt3 = (v: number | null | undefined): string => formatScore(v);

const BASELINES: Record<string, string> = { stage_only: 'the deal’s stage alone', amount_only: 'the deal’s amount alone' };
const CANDIDATES: Record<string, string> = { logistic: 'logistic regression', forest: 'random forest, calibrated' };

export interface WinLossCandidateRow {
  name: string;
  description: string;
  baseline: boolean;
  rocAuc: string;
  chosen: boolean;
}

/** Baselines first, then the candidates by ROC-AUC; every name the card holds, none invented. */
export function winLossCandidateRows(card: WinLossCardView): WinLossCandidateRow[] {
  const auc = (n: string): number => card.roc_auc[n] ?? -1;
  return Object.keys(card.roc_auc)
    .sort((a, b) => Number(b in BASELINES) - Number(a in BASELINES) || auc(b) - auc(a) || a.localeCompare(b))
    .map((name) => ({
      name,
      description: BASELINES[name] ?? CANDIDATES[name] ?? name,
      baseline: name in BASELINES,
      rocAuc: fmt3(card.roc_auc[name]),
      chosen: name === card.chosen,
    }));
}

/** "forest: ROC-AUC 0.812 vs stage_only 0.701 (3 out-of-time folds, 1,520 closed deals)". */
export function winLossHeadline(card: WinLossCardView): string {
  const { stage_only: stage, amount_only: amount } = card.baselines;
  const best = (amount ?? -1) > (stage ?? -1) ? 'amount_only' : 'stage_only';
  const folds = `${card.folds.length} out-of-time fold${card.folds.length === 1 ? '' : 's'}`;
  return `${card.chosen}: ROC-AUC ${fmt3(card.roc_auc[card.chosen])} vs ${best} ${fmt3(card.baselines[best])} (${folds}, ${formatNumber(card.deals.closed)} closed deals)`;
}
