import { checkName } from '../sql.ts';
import type { RenderContext } from './ddl.ts';

/**
 * alert_episode_closures learns why an episode closed (alerts/episodes.ts closeReason): 'lapsed' when
 * a run finds the customer lapsed (the churn model's stored state), 'below_threshold' when the
 * probability fell. Before it, an episode opened before a customer lapsed stayed open until their
 * (extrapolated) probability happened to fall. Closures written before this read 'below_threshold',
 * the only reason there was. ADD COLUMN IF NOT EXISTS is idempotent; on a cluster both the shards'
 * local tables and the Distributed table over them get the column.
 */
const COLUMN = "reason LowCardinality(String) DEFAULT 'below_threshold' COMMENT 'lapsed | below_threshold'";

export function episodeClosureReasonStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const add = `ADD COLUMN IF NOT EXISTS ${COLUMN}`;
  if (!ctx.cluster) return [`ALTER TABLE ${db}.alert_episode_closures ${add}`];
  const on = ` ON CLUSTER ${checkName(ctx.cluster)}`;
  return [`ALTER TABLE ${db}.alert_episode_closures_local${on} ${add}`, `ALTER TABLE ${db}.alert_episode_closures${on} ${add}`];
}
