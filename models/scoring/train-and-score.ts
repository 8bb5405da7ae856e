/**
 * The whole model refresh in one call, used at the first embedded start (so the cockpit shows churn
 * risk and CLV from the first visit) and by the worker on its schedule: train, evaluate and register
 * a churn model, score every customer's churn risk, fit CLV and score every customer's value.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { warehouseAsOf } from '../../lib/as-of.ts';
import type { ChurnDefinition } from '../churn/definition.ts';
import type { RandomForestOptions } from '../churn/forest/random-forest.ts';
import { trainAndRegister, type RegisteredModel } from '../churn/pipeline.ts';
import { scoreChurn, type ChurnScoringResult } from './score-churn.ts';
import { scoreLifetimeValue, type ClvScoringResult } from './score-clv.ts';

export interface TrainAndScoreOptions {
  /** YYYY-MM-DD; callers pass the product's as-of date; unset: resolved here (lib/as-of.ts, without CRM_AS_OF). */
  today?: string;
  onProgress?: (line: string) => void;
  dataDir?: string;
  /** Trees of the churn forest (default 100). */
  trees?: number;
  forest?: RandomForestOptions;
  definition?: Partial<ChurnDefinition>;
  /** Out-of-time evaluation before registering (default true). */
  evaluate?: boolean;
}

export interface TrainAndScoreResult {
  today: string;
  churnModel: Pick<RegisteredModel, 'path' | 'warnings'> & { modelVersion: string; metrics: Record<string, unknown> };
  churn: ChurnScoringResult;
  clv: ClvScoringResult;
  seconds: number;
}

export async function trainAndScore(warehouse: Warehouse, opts: TrainAndScoreOptions = {}): Promise<TrainAndScoreResult> {
  const t0 = performance.now();
  const today = opts.today ?? (await warehouseAsOf(warehouse.client, warehouse.database)).date;
  const log = opts.onProgress ?? (() => {});
  const forest: RandomForestOptions = { ...opts.forest, ...(opts.trees ? { nEstimators: opts.trees } : {}) };
  const registered = await trainAndRegister(warehouse, {
    today,
    definition: opts.definition,
    forest,
    evaluate: opts.evaluate,
    dataDir: opts.dataDir,
    onProgress: log,
  });
  const churn = await scoreChurn(warehouse, { today, model: registered.model, dataDir: opts.dataDir, onProgress: log });
  const clv = await scoreLifetimeValue(warehouse, { today, dataDir: opts.dataDir, onProgress: log });
  return {
    today,
    churnModel: {
      modelVersion: registered.model.file.modelVersion,
      metrics: registered.model.file.metrics,
      path: registered.path,
      warnings: registered.warnings,
    },
    churn,
    clv,
    seconds: (performance.now() - t0) / 1000,
  };
}
