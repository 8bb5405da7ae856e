import type { TableDef } from './ddl.ts';

/**
 * Churn alerts (issue 6, alerts/): the delivery ledger that makes digests go out once.
 * See alerts/README.md for the guarantee these tables carry and its limits.
 *
 * All three are sharded by owner on a cluster: one owner's digest rows then land on one shard, so
 * the insert that plans a digest (or records its delivery) is a single block there.
 */
const reasons = "reasons Array(Tuple(feature String, text String, contribution Float64)) COMMENT 'churn_scores.top_reasons at planning time'";

export const alertLedger: TableDef = {
  name: 'alert_ledger',
  columns: [
    "owner_id String COMMENT 'customers.owner_id the digest went to'",
    'customer_id String',
    "episode_id String COMMENT 'one alerting episode of this customer for this owner'",
    "channel LowCardinality(String) COMMENT 'email | outbox | webhook'",
    "delivery_id String COMMENT 'the digest: hash of (owner, window, episode ids); shared by its rows'",
    "message_id String COMMENT 'stable Message-ID of the digest (same on every retry)'",
    "run_window String COMMENT 'run window the digest was planned in (ISO instant of the scheduled run)'",
    "run_window_at DateTime64(3, 'UTC')",
    "status LowCardinality(String) COMMENT 'pending | sent | failed'",
    "attempts UInt32 COMMENT 'delivery attempts so far, over all runs'",
    'last_error String',
    "recipient String COMMENT 'e-mail address or webhook origin'",
    'customer_name String',
    'probability Float64',
    "previous_probability Nullable(Float64) COMMENT 'probability at the previous alert about this customer'",
    'value_at_risk Float64',
    "value_basis LowCardinality(String) COMMENT 'clv_12m | revenue_12m'",
    reasons,
    'next_step String',
    "trigger LowCardinality(String) COMMENT 'first | reopened | cooldown | rise'",
    "more_at_risk UInt32 COMMENT 'customers who qualified for this digest but were over maxCustomersPerDigest (they follow in later runs)'",
    'planned_at DateTime64(3, \'UTC\')',
    "sent_at Nullable(DateTime64(3, 'UTC'))",
    'version UInt64',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(owner_id, customer_id, episode_id, channel)',
  shardingKey: 'cityHash64(owner_id)',
  why: 'One row per (owner, customer, episode, channel), written as pending before a digest is sent and re-versioned to sent or failed after; read with FINAL. Owner-first order: a run and the alerts inbox read one owner at a time.',
};

export const alertEpisodeClosures: TableDef = {
  name: 'alert_episode_closures',
  columns: [
    'owner_id String',
    'customer_id String',
    'episode_id String',
    "probability Float64 COMMENT 'the probability that fell below the threshold'",
    "run_window String COMMENT 'run that saw it'",
    "closed_at DateTime64(3, 'UTC')",
  ],
  engine: 'ReplacingMergeTree(closed_at)',
  orderBy: '(owner_id, customer_id, episode_id)',
  shardingKey: 'cityHash64(owner_id)',
  why: 'An episode ends when a run sees the customer below the threshold; the next alert about them is a new episode. Kept apart from the ledger so closing never rewrites delivery rows.',
};

export const alertRuns: TableDef = {
  name: 'alert_runs',
  columns: [
    'run_id String',
    'run_window String',
    "run_window_at DateTime64(3, 'UTC')",
    "trigger LowCardinality(String) COMMENT 'schedule | manual | cli'",
    "owner_filter String COMMENT 'empty: all owners'",
    "started_at DateTime64(3, 'UTC')",
    "finished_at DateTime64(3, 'UTC')",
    'scores_scored_at Nullable(DateTime64(3, \'UTC\'))',
    'rescored UInt8',
    'candidates UInt32',
    'new_episodes UInt32',
    'closed_episodes UInt32',
    'deliveries_sent UInt32',
    'deliveries_failed UInt32',
    "error String COMMENT 'empty when the run completed'",
  ],
  engine: 'MergeTree',
  orderBy: 'started_at',
  shardingKey: 'cityHash64(run_id)',
  why: 'One row per (non-dry) run, for the admin page and monitoring: when alerts last ran and what they did.',
};

export const alertTables: TableDef[] = [alertLedger, alertEpisodeClosures, alertRuns];
