import { checkName } from '../sql.ts';
import type { RenderContext } from './ddl.ts';

/**
 * Score rows written before the lapsed band (issue 14 point 4) carry high/medium/low for customers
 * with no placed order in the model's active window before the run's cutoff; scoring now stores
 * `lapsed` for them (models/scoring/churn-rows.ts riskBand). This rewrites those rows once, so old
 * runs (and the pre-run churn_scores) read like new ones on every surface.
 *
 * The rule is scoring's at the default definition: placed = completed or refunded, window 365 days
 * before the row's cutoff ([cutoff − 365 d, cutoff)). A model trained with another window or other
 * purchase statuses is re-banded at the default; its next scoring run writes its own. Idempotent:
 * a row already `lapsed` is not touched, and an active customer stays as it was. On a cluster the
 * shards' local tables are rewritten (ON CLUSTER); mutations_sync = 2 waits for every replica so
 * the migration is recorded only once the rows read right. A Replicated table refuses a mutation
 * that reads other tables unless allow_nondeterministic_mutations is on: every replica computes
 * the same set from the same Distributed tables, so it is set there (and only there: the
 * single-node text, which the checksum is taken from, is unchanged).
 */
function relabel(db: string, target: string, source: string, runKey: string, on: string): string {
  return `ALTER TABLE ${db}.${target}${on} UPDATE risk_band = 'lapsed'
WHERE risk_band != 'lapsed' AND (${runKey}, customer_id) NOT IN (
  SELECT r.k, t.customer_id
  FROM (SELECT DISTINCT ${runKey} AS k, cutoff FROM ${db}.${source}) AS r
  CROSS JOIN (
    SELECT DISTINCT customer_id, toDate(order_date, 'UTC') AS day FROM ${db}.transactions_resolved WHERE status IN ('completed', 'refunded')
  ) AS t
  WHERE t.day >= subtractDays(r.cutoff, 365) AND t.day < r.cutoff
)
SETTINGS mutations_sync = 2${on ? ', allow_nondeterministic_mutations = 1' : ''}`;
}

export function lapsedBandStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const local = ctx.cluster ? '_local' : '';
  return [
    relabel(db, `churn_scores_runs${local}`, 'churn_scores_runs', 'run_id', on),
    // The pre-run table has no run id: its cutoff tells the window.
    relabel(db, `churn_scores${local}`, 'churn_scores', 'toString(cutoff)', on),
  ];
}
