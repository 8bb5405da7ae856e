import type { TableDef, ViewDef } from './ddl.ts';

/**
 * Model runs publish atomically (issue 17, item 7). A scoring run writes its churn and CLV scores
 * under a new run id into `churn_scores_runs` / `clv_scores_runs`, which no reader reads directly;
 * when both are complete it inserts ONE row into `model_runs` with status `published`. Readers go
 * through `churn_scores_current` / `clv_scores_current`, which keep only the newest published run:
 * the switch of both score sets is that single-row insert, so a reader sees the old pair or the new
 * pair, never one of each, and a run that dies half way is simply never published.
 *
 * Within one query, the two views' run-id subqueries are the same text: ClickHouse evaluates a
 * scalar subquery once per query and reuses it for every identical one (its scalar cache, keyed by
 * the subquery's tree hash), so a query joining churn and CLV reads one run even while another run
 * publishes. The previous published run is kept until the next switch (models/scoring/runs.ts
 * prunes older ones), so a query that resolved the run id just before a switch still finds its rows.
 *
 * On a cluster: the scores are inserted with insert_distributed_sync (the insert returns once every
 * shard holds its rows) before the model_runs row is written the same way, and a run id is only
 * read through its own partition, so a lagging replica can show a run's rows late but never rows of
 * two runs. Pruning drops whole partitions on the shards' `_local` tables ON CLUSTER.
 *
 * The old `churn_scores` / `clv_scores` tables stay: rows written there before this migration (or by
 * fixtures that insert scores directly) are what the `_current` views show until the first run is
 * published; after that they are ignored.
 */
const RUN_STATUS = "status LowCardinality(String) COMMENT 'running | published | failed | interrupted'";

export const modelRuns: TableDef = {
  name: 'model_runs',
  columns: [
    "run_id String COMMENT 'run-<as of>-<start time>-<random>: the scores of this run carry it'",
    RUN_STATUS,
    "phase LowCardinality(String) COMMENT 'last step reached: started | trained | churn-scored | clv-scored | published'",
    "as_of Date COMMENT 'the day the run scored as of (features and purchases before it)'",
    "started_at DateTime64(3, 'UTC')",
    "updated_at DateTime64(3, 'UTC') COMMENT 'last heartbeat or status change; the published row: the switch time'",
    "churn_model_version String COMMENT 'the churn model that scored (model_cards.model_version)'",
    "clv_model_version String COMMENT 'model_versions.model_version of the CLV fit'",
    'churn_customers UInt64',
    'clv_customers UInt64',
    "host String COMMENT 'host name and process id of the process running it: a dead local process means interrupted'",
    'pid UInt32',
    "retry_of String COMMENT 'the interrupted run this one retries, else empty'",
    "detail String COMMENT 'why it failed or how the interruption was found; written by the code'",
    "version UInt64 COMMENT 'row version: later status rows of a run replace earlier ones'",
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'run_id',
  shardingKey: 'cityHash64(run_id)',
  why: 'A few rows per run (running → published | failed | interrupted), newest version wins; all rows of a run land on one shard, so FINAL is exact through the Distributed table.',
};

const RUN_ID = "run_id String COMMENT 'model_runs.run_id of the run that wrote the row'";
const PER_RUN = { engine: 'MergeTree', orderBy: 'customer_id', partitionBy: 'run_id', shardingKey: 'cityHash64(customer_id)' };

export const churnScoresRuns: TableDef = {
  name: 'churn_scores_runs',
  columns: [
    RUN_ID,
    'customer_id String',
    'probability Float64',
    "risk_band LowCardinality(String) COMMENT 'high | medium | low'",
    'top_reasons Array(Tuple(feature String, text String, contribution Float64))',
    'model_version String',
    'cutoff Date',
    'scored_at DateTime64(3)',
  ],
  ...PER_RUN,
  why: 'One partition per scoring run, written once: a reader filters on one run id (partition pruning), and pruning an old run drops its partition whole.',
};

export const clvScoresRuns: TableDef = {
  name: 'clv_scores_runs',
  columns: [
    RUN_ID,
    'customer_id String',
    'p_alive Float64',
    'expected_purchases_90d Float64',
    'expected_order_value Float64',
    'clv_12m Float64',
    'model_version String',
    'cutoff Date',
    'scored_at DateTime64(3)',
  ],
  ...PER_RUN,
  why: 'One partition per scoring run, like churn_scores_runs.',
};

/** The published run's id, '' before the first publish. Same text in every view (see above). */
export const PUBLISHED_RUN_ID = "(SELECT argMax(run_id, (updated_at, run_id)) FROM {db}.model_runs WHERE status = 'published')";

export const modelRunViews: ViewDef[] = [
  {
    name: 'model_run_current',
    select: `SELECT run_id, as_of, started_at, updated_at AS published_at, churn_model_version, clv_model_version,
       churn_customers, clv_customers, retry_of
FROM {db}.model_runs FINAL
WHERE status = 'published' AND run_id = ${PUBLISHED_RUN_ID}`,
    why: 'The run whose scores the dashboard, the semantic layer and the alerts show: id, time, as-of.',
  },
  {
    name: 'churn_scores_current',
    select: `SELECT run_id, customer_id, probability, risk_band, top_reasons, model_version, cutoff, scored_at
FROM {db}.churn_scores_runs
WHERE run_id = ${PUBLISHED_RUN_ID}
UNION ALL
SELECT '' AS run_id, customer_id, probability, risk_band, top_reasons, model_version, cutoff, scored_at
FROM {db}.churn_scores FINAL
WHERE ${PUBLISHED_RUN_ID} = ''`,
    why: 'Churn scores of the published run only (before the first run: the pre-run churn_scores rows).',
  },
  {
    name: 'clv_scores_current',
    select: `SELECT run_id, customer_id, p_alive, expected_purchases_90d, expected_order_value, clv_12m, model_version, cutoff, scored_at
FROM {db}.clv_scores_runs
WHERE run_id = ${PUBLISHED_RUN_ID}
UNION ALL
SELECT '' AS run_id, customer_id, p_alive, expected_purchases_90d, expected_order_value, clv_12m, model_version, cutoff, scored_at
FROM {db}.clv_scores FINAL
WHERE ${PUBLISHED_RUN_ID} = ''`,
    why: 'CLV scores of the published run only (before the first run: the pre-run clv_scores rows).',
  },
];

export const modelRunTables: TableDef[] = [modelRuns, churnScoresRuns, clvScoresRuns];
