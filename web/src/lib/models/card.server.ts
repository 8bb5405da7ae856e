import { qualified } from '../../../../lib/warehouse/sql.ts';
import { getWebContext } from '../server/context.ts';
import type { ModelCardView } from './card.ts';
import type { ClvCardView } from './clv-card.ts';
import type { WinLossCardPage, WinLossCardView } from './winloss-card.ts';

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

/**
 * The CLV model card of the published run's CLV fit (model_run_current), else the newest: the
 * out-of-time check of clv_12m and the 90-day purchases against the baselines. Undefined before the
 * first CLV scoring that wrote one.
 */
export async function latestClvCard(): Promise<ClvCardView | undefined> {
  const db = getWebContext().warehouse;
  const q = (name: string): string => (db.database ? qualified(db.database, name) : name);
  const rs = await db.client.query({
    query: `SELECT card FROM ${q('model_cards')} FINAL WHERE model = 'clv'
      ORDER BY model_version = (SELECT any(clv_model_version) FROM ${q('model_run_current')}) DESC, created_at DESC, model_version DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ card: string }>();
  return row ? (JSON.parse(row.card) as ClvCardView) : undefined;
}

/** Drivers shown on the card: the strongest significant ones over all deals (the lost-orders page has every slice). */
export const CARD_DRIVERS = 8;

/**
 * The published win/loss run's model card (the newest 'winloss' card: the card is what publishes a
 * run, migration 015) and its significant drivers over all deals, strongest first. Undefined before
 * the first win/loss run (a data set without enough closed deals never has one).
 */
export async function latestWinLossCard(): Promise<WinLossCardPage | undefined> {
  const db = getWebContext().warehouse;
  const q = (name: string): string => (db.database ? qualified(db.database, name) : name);
  const rs = await db.client.query({
    query: `SELECT card, toString(as_of) AS as_of, formatDateTime(created_at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS created_at
      FROM ${q('model_cards')} FINAL WHERE model = 'winloss' ORDER BY created_at DESC, model_version DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ card: string; as_of: string; created_at: string }>();
  if (!row) return undefined;
  // The day and the time are the row's columns, not fields of the stored card JSON.
  const card = { ...(JSON.parse(row.card) as WinLossCardView), asOf: row.as_of, createdAt: row.created_at };
  const drivers = await db.client.query({
    query: `SELECT factor, label, direction, effect, ci_low, ci_high, n_with, n_without FROM ${q('winloss_drivers_current')}
      WHERE slice_dim = 'all' AND significant AND run_id = {run:String} ORDER BY rank, factor LIMIT {limit:UInt32}`,
    query_params: { run: card.modelVersion, limit: CARD_DRIVERS },
    format: 'JSONEachRow',
  });
  type DriverRow = {
    factor: string;
    label: string;
    direction: string;
    effect: number;
    ci_low: number;
    ci_high: number;
    n_with: number;
    n_without: number;
  };
  return {
    card,
    drivers: (await drivers.json<DriverRow>()).map((d) => ({
      factor: d.factor,
      label: d.label,
      direction: d.direction === 'win' ? 'win' : 'loss',
      effect: Number(d.effect),
      ciLow: Number(d.ci_low),
      ciHigh: Number(d.ci_high),
      n: Number(d.n_with) + Number(d.n_without),
      nWith: Number(d.n_with),
      significant: true,
    })),
  };
}
