/**
 * Select → train → register. By default every training runs validated model selection
 * (select.ts): rolling-origin out-of-time folds over the candidates, Platt calibration on held-out
 * folds, and the best validated candidate (ties to the simpler) trained at the newest cutoffs whose
 * labels are complete (today − horizon and the one before). The model file records the shipped
 * candidate and its calibration; the model card (model-card.ts) goes to `model_cards`.
 *
 * `evaluate: false` skips the selection and trains the default forest, uncalibrated (quick runs).
 * Old data is not an error: the as-of date (`today`) is wherever the data ends, and the folds go
 * back as far as the history allows; the warnings say what was left out.
 */
import { dataDirFrom } from '../../lib/config.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { candidateToJSON } from './candidates.ts';
import { addDays, describeDefinition, resolveDefinition, todayUtc, type ChurnDefinition } from './definition.ts';
import type { RandomForestOptions } from './forest/random-forest.ts';
import { buildModelCard, saveModelCard, type ModelCard } from './model-card.ts';
import { explanationReference } from './predict.ts';
import { newModelVersion, saveChurnModel, type ChurnModelFile, type LoadedChurnModel } from './registry.ts';
import { selectChurnModel, type SelectionResult } from './select.ts';
import { trainChurnModel } from './train.ts';

export interface TrainAndRegisterOptions {
  today?: string;
  /** Training cutoff without selection (default today − horizon). */
  cutoff?: string;
  definition?: Partial<ChurnDefinition>;
  /** Overrides for every forest the selection trains (e.g. fewer trees). */
  forest?: RandomForestOptions;
  /** Run validated model selection (default true); false trains the default forest at `cutoff`. */
  evaluate?: boolean;
  /** Validation folds (default 6, half a horizon apart) and the seconds the forest grid may use (default 90). */
  folds?: number;
  budgetSeconds?: number;
  dataDir?: string;
  onProgress?: (line: string) => void;
}

export interface RegisteredModel {
  model: LoadedChurnModel;
  path: string;
  selection?: SelectionResult;
  card?: ModelCard;
  warnings: string[];
}

export async function trainAndRegister(warehouse: Warehouse, opts: TrainAndRegisterOptions = {}): Promise<RegisteredModel> {
  const log = opts.onProgress ?? (() => {});
  const definition = resolveDefinition(opts.definition);
  const today = opts.today ?? todayUtc();
  const trainedAt = new Date();
  if (opts.evaluate === false) {
    const cutoff = opts.cutoff ?? addDays(today, -definition.horizonDays);
    log(`training the default forest at ${cutoff} (no model selection)…`);
    const trained = await trainChurnModel(warehouse, { cutoff, definition, forest: opts.forest, onProgress: log });
    const n = trained.train.labels.length;
    const positives = trained.train.labels.reduce((a, b) => a + b, 0);
    const file: ChurnModelFile = {
      format: 'ci-churn-model',
      formatVersion: 2,
      modelVersion: newModelVersion('churn', cutoff, trainedAt),
      model: 'churn',
      trainedAt: trainedAt.toISOString(),
      cutoff,
      features: [...trained.train.features],
      definition,
      metrics: {},
      params: { forest: trained.forest.options, train_rows: n, train_churn_rate: positives / n, train_seconds: trained.trainSeconds, definition: describeDefinition(definition), warnings: ['not validated'] },
      forest: trained.forest.toJSON(),
      predictor: { candidate: 'forest_default', model: { kind: 'forest', features: [...trained.train.features] }, calibration: null, usesBgnbd: false, baseRate: positives / n },
    };
    const reference = explanationReference({ file, forest: trained.forest }, trained.train);
    if (reference) file.predictor!.reference = reference;
    const path = await saveChurnModel(warehouse, file, opts.dataDir ?? dataDirFrom());
    log(`registered ${file.modelVersion} (${path})`);
    return { model: { file, forest: trained.forest }, path, warnings: ['not validated'] };
  }

  const sel = await selectChurnModel(warehouse, {
    today,
    definition,
    forest: opts.forest,
    folds: opts.folds,
    budgetSeconds: opts.budgetSeconds,
    onProgress: log,
  });
  for (const w of sel.warnings) log(`warning: ${w}`);
  const m = sel.model;
  const modelVersion = newModelVersion('churn', sel.trainCutoff, trainedAt);
  const y = sel.trainSet.labels;
  const baseRate = y.reduce((a, b) => a + b, 0) / Math.max(1, y.length);
  const chosen = sel.candidates.find((c) => c.name === sel.chosen.name);
  const file: ChurnModelFile = {
    format: 'ci-churn-model',
    formatVersion: 2,
    modelVersion,
    model: 'churn',
    trainedAt: trainedAt.toISOString(),
    cutoff: sel.trainCutoff,
    features: [...m.features],
    definition,
    // The catalogue's metrics: the validated figures of every candidate (means over the folds).
    metrics: {
      chosen: sel.chosen.name,
      folds: sel.folds.length,
      ...Object.fromEntries(
        sel.candidates.filter((c) => c.status === 'validated').map((c) => [c.name, { roc_auc: c.roc_auc, pr_auc: c.pr_auc, brier: c.brier }]),
      ),
    },
    params: {
      candidate: sel.chosen.name,
      description: sel.chosen.description,
      ...(m.forest ? { forest: m.forest.options } : {}),
      train_cutoffs: sel.trainCutoffs,
      train_rows: y.length,
      train_churn_rate: baseRate,
      selection_seconds: sel.seconds,
      definition: describeDefinition(definition),
      reason: sel.reason,
      validated_roc_auc: chosen?.roc_auc ?? null,
      warnings: sel.warnings,
    },
    ...(m.forest ? { forest: m.forest.toJSON() } : {}),
    predictor: { candidate: sel.chosen.name, model: candidateToJSON(m), calibration: sel.calibration, usesBgnbd: m.features.some((f) => f.startsWith('bgnbd_')), baseRate },
  };
  // Reasons are measured from the training customers the model scores at low risk (predict.ts).
  const reference = explanationReference({ file, forest: m.forest, logistic: m.logistic }, sel.trainSet);
  if (reference) file.predictor!.reference = reference;
  const path = await saveChurnModel(warehouse, file, opts.dataDir ?? dataDirFrom());
  const card = buildModelCard(sel, { modelVersion, createdAt: trainedAt.toISOString(), dataStart: sel.dataStart, definition: describeDefinition(definition) });
  await saveModelCard(warehouse, card);
  log(`registered ${modelVersion} (${sel.chosen.name}; ${path}) with its model card`);
  return { model: { file, forest: m.forest, logistic: m.logistic }, path, selection: sel, card, warnings: sel.warnings };
}
