/**
 * Training: features and labels at a cutoff (ClickHouse) → random forest. The cutoff must leave the
 * whole label window in the past (cutoff + horizon ≤ today), or recent customers would look churned
 * only because their window has not ended yet.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { resolveDefinition, type ChurnDefinition } from './definition.ts';
import { loadFeatures, type FeatureSet } from './features.ts';
import { RandomForest, type RandomForestOptions } from './forest/random-forest.ts';

/**
 * Forest settings for churn. Leaves of at least 10 rows and depth ≤ 10 keep the leaf fractions
 * (the probabilities) from collapsing to 0/1, which is what keeps the Brier score low; 'sqrt'
 * features per split as in sklearn.
 */
export const DEFAULT_FOREST_OPTIONS: Readonly<RandomForestOptions> = Object.freeze({
  nEstimators: 100,
  maxDepth: 10,
  minSamplesLeaf: 10,
  maxFeatures: 'sqrt',
  seed: 1,
});

export interface TrainOptions {
  cutoff: string;
  definition?: Partial<ChurnDefinition>;
  forest?: RandomForestOptions;
  onProgress?: (line: string) => void;
}

export interface TrainedChurnModel {
  forest: RandomForest;
  train: FeatureSet & { labels: Uint8Array };
  definition: ChurnDefinition;
  forestOptions: RandomForestOptions;
  trainSeconds: number;
}

export class ChurnTrainingError extends Error {
  constructor(
    readonly code: 'NO_ROWS' | 'ONE_CLASS' | 'HISTORY_TOO_SHORT',
    message: string,
  ) {
    super(message);
  }
}

/** The feature matrix of a set, in the forest's input layout (column-major, no copy). */
export function matrixOf(set: FeatureSet): { columns: Float64Array[] } {
  return { columns: set.columns };
}

export async function trainChurnModel(warehouse: Warehouse, opts: TrainOptions): Promise<TrainedChurnModel> {
  const definition = resolveDefinition(opts.definition);
  const log = opts.onProgress ?? (() => {});
  log(`features at ${opts.cutoff} (labels: next ${definition.horizonDays} days)…`);
  const train = (await loadFeatures(warehouse, { cutoff: opts.cutoff, definition, withLabels: true })) as FeatureSet & { labels: Uint8Array };
  const n = train.customerIds.length;
  if (n === 0) throw new ChurnTrainingError('NO_ROWS', `no customer bought in the ${definition.activeWindowDays} days before ${opts.cutoff}: nothing to train on`);
  let positives = 0;
  for (const y of train.labels) positives += y;
  if (positives === 0 || positives === n) {
    throw new ChurnTrainingError('ONE_CLASS', `all ${n} customers at ${opts.cutoff} are ${positives ? 'churned' : 'retained'}: a classifier needs both`);
  }
  const forestOptions: RandomForestOptions = { ...DEFAULT_FOREST_OPTIONS, ...opts.forest, featureNames: train.features };
  log(`training ${forestOptions.nEstimators} trees on ${n} customers × ${train.features.length} features (${((100 * positives) / n).toFixed(1)}% churned)…`);
  const t0 = performance.now();
  const forest = await RandomForest.train(matrixOf(train), train.labels, forestOptions);
  const trainSeconds = (performance.now() - t0) / 1000;
  log(`trained in ${trainSeconds.toFixed(1)} s`);
  return { forest, train, definition, forestOptions, trainSeconds };
}
