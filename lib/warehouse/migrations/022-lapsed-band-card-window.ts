import { checkName } from '../sql.ts';
import type { RenderContext } from './ddl.ts';

/**
 * Migration 020 re-banded every old score row at the default window (365 days), also rows of a
 * model whose card names another window (`activeWindowDays`, stored on cards since b2d906f): with
 * 730 days a customer last seen 500 days before the cutoff was made `lapsed` although the model
 * scored them as active; with 180 days one last seen 200 days before stayed active. This re-bands
 * the rows of every model whose card names a window other than 365 at that window: no placed order
 * (completed or refunded) in [cutoff − window, cutoff) → `lapsed`; a row 020 made lapsed that is
 * active at the card's window gets its band back from its probability (high ≥ 0.6, medium ≥ 0.3,
 * else low — scoring's thresholds). Active rows keep their band. Rows of a model without a card, or
 * whose card has no window, stay at 365 (the default the card reader assumes too). A definition
 * with other purchase statuses than completed/refunded is not read: placed = completed or refunded,
 * as in 020. Idempotent: a second pass finds every row already at its card's rule. Cluster: as 020.
 */
// Scoring's thresholds (models/scoring/churn-rows.ts RISK_THRESHOLDS, the test checks they agree),
// written out: the checksum is of this text, and a shipped migration does not follow later changes.
export const REBAND_THRESHOLDS = { high: 0.6, medium: 0.3 } as const;
const band = `multiIf(probability >= ${REBAND_THRESHOLDS.high}, 'high', probability >= ${REBAND_THRESHOLDS.medium}, 'medium', 'low')`;

function rebandAtCardWindow(db: string, target: string, source: string, runKey: string, on: string): string {
  const windows = `SELECT model_version, toUInt32(JSONExtractUInt(card, 'activeWindowDays')) AS w FROM ${db}.model_cards FINAL
    WHERE model = 'churn' AND JSONHas(card, 'activeWindowDays') AND JSONExtractUInt(card, 'activeWindowDays') NOT IN (0, 365)`;
  const active = `SELECT r.k, t.customer_id
  FROM (SELECT DISTINCT ${runKey} AS k, s.cutoff AS cutoff, c.w AS w FROM ${db}.${source} AS s INNER JOIN (${windows}) AS c ON c.model_version = s.model_version) AS r
  CROSS JOIN (
    SELECT DISTINCT customer_id, toDate(order_date, 'UTC') AS day FROM ${db}.transactions_resolved WHERE status IN ('completed', 'refunded')
  ) AS t
  WHERE t.day >= subtractDays(r.cutoff, r.w) AND t.day < r.cutoff`;
  return `ALTER TABLE ${db}.${target}${on} UPDATE risk_band = if((${runKey}, customer_id) IN (${active}), if(risk_band = 'lapsed', ${band}, risk_band), 'lapsed')
WHERE model_version IN (SELECT model_version FROM (${windows}))
SETTINGS mutations_sync = 2${on ? ', allow_nondeterministic_mutations = 1' : ''}`;
}

export function lapsedBandCardWindowStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const local = ctx.cluster ? '_local' : '';
  return [
    rebandAtCardWindow(db, `churn_scores_runs${local}`, 'churn_scores_runs', 'run_id', on),
    // The pre-run table has no run id: its model and cutoff tell the window.
    rebandAtCardWindow(db, `churn_scores${local}`, 'churn_scores', "concat(model_version, '|', toString(cutoff))", on),
  ];
}
