import type { TableDef } from './ddl.ts';

/**
 * One model card per trained churn model (models/churn/model-card.ts): what it was trained on, how
 * every candidate did out of time beside the baselines, which one shipped and why, its calibration
 * and top features. The headline figures are columns (the dashboard and the digests read them
 * without parsing); the full card is JSON.
 */
export const modelCards: TableDef = {
  name: 'model_cards',
  columns: [
    'model_version String',
    "model LowCardinality(String) COMMENT 'churn'",
    'created_at DateTime64(3)',
    "data_start Date COMMENT 'first purchase in the warehouse'",
    "as_of Date COMMENT 'the day the model was trained for (its scores are as of this day)'",
    "train_cutoff Date COMMENT 'newest training cutoff (labels complete up to as_of)'",
    'horizon_days UInt32',
    "churn_rate Float64 COMMENT 'share of churners among the shipped model''s training rows'",
    "chosen LowCardinality(String) COMMENT 'the candidate that shipped'",
    'reason String',
    "roc_auc Float64 COMMENT 'chosen candidate, mean out-of-time ROC-AUC over the folds (NaN: not validated)'",
    'pr_auc Float64',
    "brier Float64 COMMENT 'of the calibrated probabilities, cross-fitted on held-out folds'",
    'best_baseline LowCardinality(String)',
    'best_baseline_roc_auc Float64',
    'folds UInt8',
    "card String COMMENT 'JSON: candidates, folds, calibration points, top features, warnings'",
  ],
  engine: 'ReplacingMergeTree(created_at)',
  orderBy: '(model, model_version)',
  shardingKey: 'cityHash64(model_version)',
  why: 'A few rows per training run, read by model version or newest first; writing a card twice for a version keeps the newer (ReplacingMergeTree).',
};

export const modelCardTables: TableDef[] = [modelCards];
