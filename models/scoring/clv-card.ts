/**
 * The CLV model card in `model_cards` (model 'clv', migration 006): the rolling-origin check of
 * clv_12m and expected_purchases_90d against the baselines on the warehouse's own purchases
 * (models/clv/validate.ts), written with the CLV fit's version so the Models page shows the card of
 * the fit whose scores are published.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { ClvCard } from '../clv/validate.ts';

export interface StoredClvCard extends ClvCard {
  modelVersion: string;
  createdAt: string;
  params: Record<string, number>;
}

/** JSON has no NaN (a Spearman of predictions that are all equal): stored as null. */
const finiteOrNull = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

export async function saveClvCard(warehouse: Warehouse, card: StoredClvCard): Promise<void> {
  const folds = card.checks.reduce((a, c) => a + c.folds.length, 0);
  await warehouse.client.insert({
    table: 'model_cards',
    format: 'JSONEachRow',
    values: [
      {
        model_version: card.modelVersion,
        model: 'clv',
        created_at: card.createdAt,
        data_start: card.dataStart || card.asOf,
        as_of: card.asOf,
        train_cutoff: card.asOf,
        horizon_days: 365,
        churn_rate: 'nan',
        chosen: 'bgnbd_gamma_gamma',
        reason: card.headline,
        roc_auc: 'nan',
        pr_auc: 'nan',
        brier: 'nan',
        best_baseline: '',
        best_baseline_roc_auc: 'nan',
        folds: Math.min(255, folds),
        card: JSON.stringify(card, finiteOrNull),
      },
    ],
    clickhouse_settings: { date_time_input_format: 'best_effort', input_format_json_read_numbers_as_strings: 0 },
  });
}

/** The card of the published CLV fit (model_run_current), else the newest; undefined before the first. */
export async function latestClvCard(warehouse: Warehouse): Promise<StoredClvCard | undefined> {
  const rs = await warehouse.client.query({
    query: `SELECT card FROM model_cards FINAL WHERE model = 'clv'
      ORDER BY model_version = (SELECT any(clv_model_version) FROM model_run_current) DESC, created_at DESC, model_version DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ card: string }>();
  return row ? (JSON.parse(row.card) as StoredClvCard) : undefined;
}
