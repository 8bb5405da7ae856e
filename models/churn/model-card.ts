/**
 * The model card of a trained churn model: data window, horizon, churn rate, every candidate's
 * out-of-time ROC-AUC, PR-AUC and Brier beside the baselines, the chosen one and why, calibration
 * points and top features. Built from the selection (select.ts), stored in `model_cards`
 * (migration 006) and read back by the dashboard and the digests.
 */
import { formatScore } from '../../lib/format/index.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { CalibrationPoint, PlattCalibration } from './calibration.ts';
import type { CandidateResult, FoldInfo, SelectionResult } from './select.ts';

export interface ModelCard {
  modelVersion: string;
  model: 'churn';
  createdAt: string;
  dataStart: string;
  asOf: string;
  trainCutoff: string;
  trainCutoffs: string[];
  horizonDays: number;
  /**
   * Days before the as-of date in which a customer must have bought to be in the model's population
   * (definition.activeWindowDays); customers outside it are lapsed, not scored as at risk. Absent in
   * cards written before it was stored: unknown.
   */
  activeWindowDays?: number;
  definition: string;
  trainRows: number;
  churnRate: number;
  chosen: string;
  chosenDescription: string;
  reason: string;
  /**
   * Whether out-of-time validation chose the shipped model; false when no fold fitted or nothing
   * beat chance (the reason says which). Absent in cards written before it: validated iff folds.
   */
  validated?: boolean;
  /** The chosen candidate's validated figures (NaN when it could not be validated). */
  rocAuc: number;
  prAuc: number;
  brier: number;
  bestBaseline: string;
  bestBaselineRocAuc: number;
  folds: FoldInfo[];
  candidates: CandidateResult[];
  calibration: PlattCalibration;
  calibrationPoints: CalibrationPoint[];
  topFeatures: { feature: string; importance: number }[];
  warnings: string[];
  selectionSeconds: number;
}

export function buildModelCard(
  sel: SelectionResult,
  meta: { modelVersion: string; createdAt: string; dataStart: string; definition: string },
): ModelCard {
  const chosen = sel.candidates.find((c) => c.name === sel.chosen.name);
  const baselines = sel.candidates.filter((c) => c.baseline && c.status === 'validated');
  const bestBaseline = baselines.reduce<CandidateResult | undefined>(
    (a, b) => (!a || b.roc_auc > a.roc_auc ? b : a),
    undefined,
  );
  const y = sel.trainSet.labels;
  return {
    modelVersion: meta.modelVersion,
    model: 'churn',
    createdAt: meta.createdAt,
    dataStart: meta.dataStart,
    asOf: sel.today,
    trainCutoff: sel.trainCutoff,
    trainCutoffs: sel.trainCutoffs,
    horizonDays: sel.definition.horizonDays,
    activeWindowDays: sel.definition.activeWindowDays,
    definition: meta.definition,
    trainRows: y.length,
    churnRate: y.reduce((a, b) => a + b, 0) / Math.max(1, y.length),
    chosen: sel.chosen.name,
    chosenDescription: sel.chosen.description,
    reason: sel.reason,
    validated: sel.validated,
    rocAuc: chosen?.roc_auc ?? NaN,
    prAuc: chosen?.pr_auc ?? NaN,
    brier: chosen?.brier ?? NaN,
    bestBaseline: bestBaseline?.name ?? '',
    bestBaselineRocAuc: bestBaseline?.roc_auc ?? NaN,
    folds: sel.folds,
    candidates: sel.candidates,
    calibration: sel.calibration,
    calibrationPoints: sel.calibrationPoints,
    topFeatures: sel.topFeatures,
    warnings: sel.warnings,
    selectionSeconds: sel.seconds,
  };
}

// The Models page's fmt3 (web/src/lib/models/card.ts): never a false "1.000" / "0.000".
const f3 = (v: number | null | undefined): string => formatScore(v);

/**
 * The card's headline in one line — what shipped, how it validated, against which baseline — as
 * the Models page, the churn page and the digests print it (one wording for all three).
 */
export function modelCardHeadline(
  card: Pick<ModelCard, 'chosen' | 'bestBaseline' | 'horizonDays' | 'validated'> & {
    rocAuc: number | null;
    bestBaselineRocAuc: number | null;
    folds: readonly unknown[];
  },
): string {
  const folds = `${card.folds.length} out-of-time fold${card.folds.length === 1 ? '' : 's'}`;
  const base =
    card.bestBaseline && card.chosen !== card.bestBaseline
      ? ` vs ${card.bestBaseline} ${f3(card.bestBaselineRocAuc)}`
      : '';
  // A choice validation did not make is named as such wherever the headline is printed.
  const unvalidated = !modelCardValidated(card) ? '; not validated: a rule of thumb, see the model card' : '';
  return `${card.chosen}: ROC-AUC ${f3(card.rocAuc)}${base} (${folds}, ${card.horizonDays}-day horizon)${unvalidated}`;
}

/** Whether validation chose the shipped model (cards written before `validated`: iff folds ran). */
export function modelCardValidated(card: Pick<ModelCard, 'validated'> & { folds: readonly unknown[] }): boolean {
  return card.validated !== false && card.folds.length > 0;
}

/** JSON has no NaN: unvalidated figures travel as null and come back as NaN. */
const finiteOrNull = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
const nanOf = (v: number | null): number => (v === null || v === undefined ? NaN : Number(v));

export async function saveModelCard(warehouse: Warehouse, card: ModelCard): Promise<void> {
  await warehouse.client.insert({
    table: 'model_cards',
    format: 'JSONEachRow',
    values: [
      {
        model_version: card.modelVersion,
        model: card.model,
        created_at: card.createdAt,
        data_start: card.dataStart,
        as_of: card.asOf,
        train_cutoff: card.trainCutoff,
        horizon_days: card.horizonDays,
        churn_rate: card.churnRate,
        chosen: card.chosen,
        reason: card.reason,
        roc_auc: Number.isFinite(card.rocAuc) ? card.rocAuc : 'nan',
        pr_auc: Number.isFinite(card.prAuc) ? card.prAuc : 'nan',
        brier: Number.isFinite(card.brier) ? card.brier : 'nan',
        best_baseline: card.bestBaseline,
        best_baseline_roc_auc: Number.isFinite(card.bestBaselineRocAuc) ? card.bestBaselineRocAuc : 'nan',
        folds: card.folds.length,
        card: JSON.stringify(card, finiteOrNull),
      },
    ],
    clickhouse_settings: { date_time_input_format: 'best_effort', input_format_json_read_numbers_as_strings: 0 },
  });
}

/** The card JSON as stored, with null figures turned back into NaN. */
export function parseModelCard(json: string): ModelCard {
  const c = JSON.parse(json) as ModelCard;
  for (const k of ['rocAuc', 'prAuc', 'brier', 'bestBaselineRocAuc'] as const) c[k] = nanOf(c[k] as number | null);
  for (const r of c.candidates)
    for (const k of ['roc_auc', 'pr_auc', 'brier'] as const) r[k] = nanOf(r[k] as number | null);
  return c;
}

/** The newest churn model's card, or undefined before the first training with selection. */
export async function latestModelCard(warehouse: Warehouse): Promise<ModelCard | undefined> {
  const rs = await warehouse.client.query({
    // The card of the model whose scores are shown (the published run's, migration 014) first: a
    // newer model whose run failed before publishing is not what the scores come from.
    query: `SELECT card FROM model_cards FINAL WHERE model = 'churn'
      ORDER BY model_version = (SELECT any(churn_model_version) FROM model_run_current) DESC, created_at DESC, model_version DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ card: string }>();
  return row ? parseModelCard(row.card) : undefined;
}
