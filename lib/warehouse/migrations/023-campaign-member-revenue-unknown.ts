import { checkName } from '../sql.ts';
import { coreViews } from './001-core.ts';
import { renderView, type RenderContext } from './ddl.ts';

/**
 * A campaign member's attributed revenue may be unknown: a file without the column, or a member
 * whose revenue the campaign tool did not report, loaded as 0 (the field's default), and the
 * segments page read "Attributed revenue €0" as "the campaign earned nothing". The column becomes
 * Nullable; ingest stores an empty or absent value as NULL (ingest/entities/campaign-members.ts),
 * Cube's sum skips it and answers NULL when no member's revenue is known. Rows loaded before keep
 * their 0: whether it was reported cannot be told afterwards (reload the file to get NULLs).
 *
 * The view over the table is created again after the change: ClickHouse keeps a view's column
 * types from its creation, and a view still typed Decimal refuses the Nullable column ("returned
 * Nullable column having not Nullable type in structure"). MODIFY COLUMN to the type a column
 * already has, and CREATE OR REPLACE VIEW, are idempotent. Cluster: the shards' local tables and the
 * Distributed table over them.
 */
const TYPE = 'revenue Nullable(Decimal(18, 2))';

export function campaignMemberRevenueStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const modify = `MODIFY COLUMN ${TYPE}`;
  const view = coreViews.find((v) => v.name === 'campaign_members_resolved');
  if (!view) throw new Error('001-core defines no campaign_members_resolved view');
  const alters = ctx.cluster
    ? [
        `ALTER TABLE ${db}.campaign_members_local ON CLUSTER ${checkName(ctx.cluster)} ${modify}`,
        `ALTER TABLE ${db}.campaign_members ON CLUSTER ${checkName(ctx.cluster)} ${modify}`,
      ]
    : [`ALTER TABLE ${db}.campaign_members ${modify}`];
  return [...alters, ...renderView(view, ctx)];
}
