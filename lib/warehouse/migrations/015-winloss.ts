import { checkName } from '../sql.ts';
import { coreViews } from './001-core.ts';
import { renderView, type RenderContext, type TableDef, type ViewDef } from './ddl.ts';

/**
 * Win/loss model (issue 18): what deals lacked for the model, the per-deal scores and the drivers.
 *
 * opportunities gains three fields a CRM usually has but the first schema did not: the discount
 * given, the lead source and how many people at the customer the team met. They are nullable or
 * default '' so files without them still load (ADD COLUMN IF NOT EXISTS is idempotent; on a cluster
 * both the shards' local tables and the Distributed table get them). opportunities_resolved is
 * re-created afterwards: a view's column list is fixed when it is created, so `t.*` would not show
 * the new columns otherwise.
 *
 * deal_scores and winloss_drivers hold every run's rows; a run becomes visible through the
 * `_current` views only once its model card (model = 'winloss') is written, which the trainer does
 * last — so readers never see half a run.
 */
const OPPORTUNITY_COLUMNS = [
  "discount_pct Nullable(Float64) COMMENT 'discount given on the deal, percent 0-100'",
  "lead_source LowCardinality(String) DEFAULT '' COMMENT 'where the lead came from (web, referral, event, …)'",
  "contacts_met Nullable(UInt16) COMMENT 'people at the customer the team met during the deal'",
];

export const dealScores: TableDef = {
  name: 'deal_scores',
  columns: [
    "run_id String COMMENT 'win/loss run, = model_cards.model_version'",
    'scored_at DateTime64(3)',
    "as_of Date COMMENT 'open deals are scored as of this day'",
    'source LowCardinality(String)',
    'opportunity_id String',
    'customer_id String',
    'owner_id String',
    'region LowCardinality(String)',
    'product LowCardinality(String)',
    "status LowCardinality(String) COMMENT 'open | won | lost'",
    'stage LowCardinality(String)',
    "amount Float64 COMMENT 'base currency'",
    'created_at Date',
    'closed_at Nullable(Date)',
    "stated_reason LowCardinality(String) COMMENT 'the loss reason typed in the CRM'",
    'competitor LowCardinality(String)',
    "win_probability Float64 COMMENT 'calibrated P(won); closed deals: out-of-fold, as of the close'",
    "value_at_risk Float64 COMMENT 'open deals: amount × (1 - win_probability); 0 for closed deals'",
    "causes Array(Tuple(feature String, text String, effect Float64)) COMMENT 'factors pushing this deal toward loss, largest first; effect = loss probability added'",
    "top_cause String COMMENT 'text of the first cause'",
    "disagreement String COMMENT 'stated reason vs the top data cause when they differ'",
  ],
  engine: 'MergeTree',
  orderBy: '(run_id, customer_id, opportunity_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Written once per run and never updated; read through deal_scores_current (the published run) by customer or owner. Old runs are deleted by run_id.',
};

export const winlossDrivers: TableDef = {
  name: 'winloss_drivers',
  columns: [
    'run_id String',
    "slice_dim LowCardinality(String) COMMENT 'all | region | product | owner'",
    "slice_value String COMMENT 'empty for all'",
    "owner_id String COMMENT 'the owner of an owner slice, else empty (row-level security)'",
    'factor LowCardinality(String)',
    'label String',
    "direction LowCardinality(String) COMMENT 'loss (effect > 1) | win (effect < 1)'",
    "effect Float64 COMMENT 'adjusted loss risk ratio: share lost if every deal had the factor / if none had it, other factors held'",
    'ci_low Float64',
    'ci_high Float64',
    'p_value Float64',
    'n_with UInt32',
    'n_without UInt32',
    'lost_with UInt32',
    'lost_without UInt32',
    "significant Bool COMMENT 'Holm-adjusted p < 0.05 over the slice''s factors'",
    "rank UInt16 COMMENT '1 = strongest within the run and slice'",
  ],
  engine: 'MergeTree',
  orderBy: '(run_id, slice_dim, slice_value, rank)',
  shardingKey: 'cityHash64(run_id)',
  why: 'A few hundred rows per run, written once; read by slice.',
};

/** The newest win/loss run whose model card exists: the card is written after its scores and drivers. */
const published = `(SELECT argMax(model_version, created_at) FROM {db}.model_cards FINAL WHERE model = 'winloss')`;

export const winlossViews: ViewDef[] = [
  {
    name: 'deal_scores_current',
    select: `SELECT * FROM {db}.deal_scores WHERE run_id = ${published}`,
    why: 'The deals of the published win/loss run only.',
  },
  {
    name: 'winloss_drivers_current',
    select: `SELECT * FROM {db}.winloss_drivers WHERE run_id = ${published}`,
    why: 'The drivers of the published win/loss run only.',
  },
];

export function winlossStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const add = OPPORTUNITY_COLUMNS.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ');
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const alter = ctx.cluster
    ? [`ALTER TABLE ${db}.opportunities_local${on} ${add}`, `ALTER TABLE ${db}.opportunities${on} ${add}`]
    : [`ALTER TABLE ${db}.opportunities ${add}`];
  const resolved = coreViews.find((v) => v.name === 'opportunities_resolved');
  if (!resolved) throw new Error('migration 015: opportunities_resolved is not among the core views');
  return [...alter, ...renderView(resolved, ctx), ...winlossViews.flatMap((v) => renderView(v, ctx))];
}

export const winlossTables: TableDef[] = [dealScores, winlossDrivers];
