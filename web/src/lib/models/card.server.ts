import { qualified } from '../../../../lib/warehouse/sql.ts';
import { getWebContext } from '../server/context.ts';
import type { ModelCardView } from './card.ts';

/**
 * The churn model card of the published model run (else the newest) from the warehouse's
 * `model_cards` table (migration 006), read with the dashboard's own warehouse client like the
 * other non-analytics metadata (saved segments).
 * Undefined before the first training that ran model selection.
 */
export async function latestChurnCard(): Promise<ModelCardView | undefined> {
  const db = getWebContext().warehouse;
  const table = db.database ? qualified(db.database, 'model_cards') : 'model_cards';
  const runs = db.database ? qualified(db.database, 'model_run_current') : 'model_run_current';
  const rs = await db.client.query({
    // The card of the model whose scores are shown (the published run's, migration 014) first: a
    // newer model whose run failed before publishing is not what the scores come from.
    query: `SELECT card FROM ${table} FINAL WHERE model = 'churn'
      ORDER BY model_version = (SELECT any(churn_model_version) FROM ${runs}) DESC, created_at DESC, model_version DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ card: string }>();
  return row ? (JSON.parse(row.card) as ModelCardView) : undefined;
}
