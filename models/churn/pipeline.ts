/**
 * Train → validate → register. The production model is trained at the newest cutoff whose labels
 * are complete (today − horizon). Its metrics come from the same recipe one period earlier
 * (trained at today − 2·horizon, evaluated at today − horizon): the honest out-of-time estimate of
 * how the registered model will do on today's scores.
 */
import { dataDirFrom } from '../../lib/config.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { addDays, describeDefinition, resolveDefinition, todayUtc, type ChurnDefinition } from './definition.ts';
import { ChurnEvaluationError, evaluateChurn, type EvaluationResult } from './evaluate.ts';
import type { RandomForestOptions } from './forest/random-forest.ts';
import { newModelVersion, saveChurnModel, type ChurnModelFile, type LoadedChurnModel } from './registry.ts';
import { ChurnTrainingError, trainChurnModel } from './train.ts';

export interface TrainAndRegisterOptions {
  today?: string;
  /** Training cutoff (default today − horizon). */
  cutoff?: string;
  definition?: Partial<ChurnDefinition>;
  forest?: RandomForestOptions;
  /** Run the out-of-time evaluation first and store its metrics with the model (default true). */
  evaluate?: boolean;
  dataDir?: string;
  onProgress?: (line: string) => void;
}

export interface RegisteredModel {
  model: LoadedChurnModel;
  path: string;
  evaluation?: EvaluationResult;
  warnings: string[];
}

export async function trainAndRegister(warehouse: Warehouse, opts: TrainAndRegisterOptions = {}): Promise<RegisteredModel> {
  const log = opts.onProgress ?? (() => {});
  const definition = resolveDefinition(opts.definition);
  const today = opts.today ?? todayUtc();
  const cutoff = opts.cutoff ?? addDays(today, -definition.horizonDays);
  const warnings: string[] = [];
  let evaluation: EvaluationResult | undefined;
  if (opts.evaluate ?? true) {
    try {
      evaluation = await evaluateChurn(warehouse, { today: addDays(cutoff, definition.horizonDays), definition, forest: opts.forest, onProgress: log });
      for (const m of evaluation.metrics) {
        log(`  ${m.model.padEnd(17)} ROC-AUC ${m.roc_auc.toFixed(3)}  PR-AUC ${m.pr_auc.toFixed(3)}  Brier ${m.brier.toFixed(3)}  lift@10% ${m.lift_top_decile.toFixed(2)}`);
      }
    } catch (err) {
      // Too little history for a second cutoff is normal on a young warehouse: train anyway.
      if (!(err instanceof ChurnTrainingError || err instanceof ChurnEvaluationError)) throw err;
      warnings.push(`no out-of-time evaluation: ${err.message}`);
      log(`warning: ${warnings.at(-1)}`);
    }
  }
  log(`production model: training at ${cutoff}…`);
  const trained = await trainChurnModel(warehouse, { cutoff, definition, forest: opts.forest, onProgress: log });
  const trainedAt = new Date();
  const n = trained.train.labels.length;
  const positives = trained.train.labels.reduce((a, b) => a + b, 0);
  const file: ChurnModelFile = {
    format: 'ci-churn-model',
    formatVersion: 1,
    modelVersion: newModelVersion('churn', cutoff, trainedAt),
    model: 'churn',
    trainedAt: trainedAt.toISOString(),
    cutoff,
    features: [...trained.train.features],
    definition,
    metrics: evaluation
      ? {
          evaluated_at: evaluation.evalCutoff,
          trained_at_cutoff: evaluation.trainCutoff,
          eval_rows: evaluation.summary.eval_rows,
          eval_churn_rate: evaluation.summary.eval_churn_rate,
          ...Object.fromEntries(evaluation.metrics.map((m) => [m.model, { roc_auc: m.roc_auc, pr_auc: m.pr_auc, brier: m.brier, lift_top_decile: m.lift_top_decile }])),
        }
      : {},
    params: {
      forest: trained.forest.options,
      train_rows: n,
      train_churn_rate: positives / n,
      train_seconds: trained.trainSeconds,
      definition: describeDefinition(definition),
      warnings,
    },
    forest: trained.forest.toJSON(),
  };
  const path = await saveChurnModel(warehouse, file, opts.dataDir ?? dataDirFrom());
  log(`registered ${file.modelVersion} (${path})`);
  return { model: { file, forest: trained.forest }, path, evaluation, warnings };
}
