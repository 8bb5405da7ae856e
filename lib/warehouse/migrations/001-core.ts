import type { TableDef, ViewDef } from './ddl.ts';

/**
 * Core CRM schema. Conventions:
 * - `version UInt64` is the record's own update time in ms when the source gives one, else the
 *   ingest time: ReplacingMergeTree keeps the newest, so re-loading an older export never wins.
 * - `row_hash UInt64` is a hash of the business fields: the ingest job compares it with the stored
 *   one and writes nothing when a record is unchanged (re-loading a file adds zero rows).
 * - Facts are partitioned by month (the cockpit's time filters prune whole parts) and sorted by
 *   customer first (RFM, features and the customer 360 page read one customer's rows together).
 * - `customer_ref` keeps the id the source used; `customer_id` is the resolved customer.
 */
const audit = [
  'batch_id String',
  'row_hash UInt64',
  'version UInt64',
  'ingested_at DateTime64(3) DEFAULT now64(3)',
];

export const customerRecords: TableDef = {
  name: 'customer_records',
  columns: [
    'source LowCardinality(String)',
    'source_id String',
    'customer_id String',
    "customer_type LowCardinality(String) COMMENT 'person | business'",
    'name String',
    'email String',
    'email_norm String',
    'phone String',
    'phone_norm String',
    'company String',
    'external_ids Map(String, String)',
    'region LowCardinality(String)',
    'country LowCardinality(String)',
    'city String',
    'acquisition_channel LowCardinality(String)',
    'owner_id String',
    'signup_date Nullable(Date)',
    'attributes Map(String, String)',
    ...audit,
  ],
  indexes: ['INDEX idx_email email_norm TYPE bloom_filter GRANULARITY 4', 'INDEX idx_phone phone_norm TYPE bloom_filter GRANULARITY 4'],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(source, source_id)',
  shardingKey: 'cityHash64(source, source_id)',
  why: 'One row per record as each source sent it, upserted on (source, source_id). The 360 page lists these as the merged source records; identity resolution reads them by e-mail/phone (bloom filters).',
};

export const identityMap: TableDef = {
  name: 'identity_map',
  columns: [
    'source LowCardinality(String)',
    'source_id String',
    'customer_id String',
    "rule LowCardinality(String) COMMENT 'which rule joined this record: new | email | phone | external_id | customer_id'",
    "matched_on String COMMENT 'the normalised value that matched'",
    "matched_record String COMMENT 'source:source_id of the record it matched'",
    'version UInt64',
    'resolved_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(source, source_id)',
  shardingKey: 'cityHash64(source, source_id)',
  why: 'Source record → customer, with the rule that joined them, so every merge is explainable. Keyed like customer_records; ingest looks facts up here by (source, customer_ref).',
};

export const customerAliases: TableDef = {
  name: 'customer_aliases',
  columns: ['from_id String', 'to_id String', 'rule LowCardinality(String)', 'version UInt64', 'merged_at DateTime64(3) DEFAULT now64(3)'],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'from_id',
  shardingKey: 'cityHash64(from_id)',
  why: 'When a later record bridges two existing customers, the younger id becomes an alias of the older one. Facts keep the id they were loaded with and the *_resolved views map aliases; the table stays tiny, so that join is cheap.',
};

export const customers: TableDef = {
  name: 'customers',
  columns: [
    'customer_id String',
    'customer_type LowCardinality(String)',
    'name String',
    'email String',
    'phone String',
    'company String',
    'region LowCardinality(String)',
    'country LowCardinality(String)',
    'city String',
    'acquisition_channel LowCardinality(String)',
    'owner_id String',
    'signup_date Nullable(Date)',
    'source_records UInt32',
    'sources Array(LowCardinality(String))',
    'version UInt64',
    'updated_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'customer_id',
  shardingKey: 'cityHash64(customer_id)',
  why: 'The golden record per resolved customer, rebuilt by identity resolution from customer_records. Point lookups and joins by customer_id.',
};

export const users: TableDef = {
  name: 'users',
  columns: [
    'user_id String',
    'email String',
    'name String',
    "role LowCardinality(String) COMMENT 'executive | marketer | analyst | owner | admin'",
    "owner_id String COMMENT 'for account owners: the id customers.owner_id refers to'",
    'region LowCardinality(String)',
    'password_hash String',
    'active UInt8 DEFAULT 1',
    'version UInt64',
    'updated_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'user_id',
  shardingKey: 'cityHash64(user_id)',
  why: 'Account owners and dashboard users; small, upserted by user_id.',
};

export const transactions: TableDef = {
  name: 'transactions',
  columns: [
    'source LowCardinality(String)',
    'transaction_id String',
    "order_id String COMMENT 'groups the lines of one order'",
    'customer_id String',
    'customer_ref String',
    'order_date DateTime',
    "status LowCardinality(String) COMMENT 'completed | refunded | cancelled | pending'",
    "amount Decimal(18, 2) COMMENT 'in the base currency'",
    'original_amount Decimal(18, 2)',
    'original_currency LowCardinality(String)',
    'quantity UInt32',
    'product_id String',
    'product_name String',
    'category LowCardinality(String)',
    'channel LowCardinality(String)',
    ...audit,
  ],
  indexes: ['INDEX idx_txn transaction_id TYPE bloom_filter GRANULARITY 4'],
  engine: 'ReplacingMergeTree(version)',
  partitionBy: 'toYYYYMM(order_date)',
  orderBy: '(customer_id, order_date, source, transaction_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Order lines. Monthly partitions for time filters; customer-first order for per-customer aggregates (RFM, LTV, features). A status change (refund) is a new version of the same key. The bloom filter serves the ingest job’s “do I have this id already” lookups.',
};

export const interactions: TableDef = {
  name: 'interactions',
  columns: [
    'source LowCardinality(String)',
    'interaction_id String',
    'customer_id String',
    'customer_ref String',
    'occurred_at DateTime',
    "type LowCardinality(String) COMMENT 'email_sent | email_open | email_click | call | meeting | web_visit | support_ticket | complaint | chat | campaign_response'",
    'channel LowCardinality(String)',
    "direction LowCardinality(String) COMMENT 'inbound | outbound'",
    'outcome LowCardinality(String)',
    "csat Nullable(UInt8) COMMENT '1-5 when the source has a satisfaction score'",
    'campaign_id String',
    'owner_id String',
    'subject String',
    'duration_seconds UInt32',
    ...audit,
  ],
  indexes: ['INDEX idx_int interaction_id TYPE bloom_filter GRANULARITY 4'],
  engine: 'ReplacingMergeTree(version)',
  partitionBy: 'toYYYYMM(occurred_at)',
  orderBy: '(customer_id, occurred_at, source, interaction_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Touchpoints. Same layout as transactions: monthly partitions, customer-first order for the timeline and churn features.',
};

export const opportunities: TableDef = {
  name: 'opportunities',
  columns: [
    'source LowCardinality(String)',
    'opportunity_id String',
    'customer_id String',
    'customer_ref String',
    'owner_id String',
    'name String',
    'product LowCardinality(String)',
    'amount Decimal(18, 2)',
    'original_amount Decimal(18, 2)',
    'original_currency LowCardinality(String)',
    'stage LowCardinality(String)',
    "status LowCardinality(String) COMMENT 'open | won | lost'",
    'loss_reason LowCardinality(String)',
    'competitor LowCardinality(String)',
    'created_at Date',
    'closed_at Nullable(Date)',
    'expected_close_at Nullable(Date)',
    "stage_history Array(Tuple(stage String, entered_at Date)) COMMENT 'every stage the deal passed through'",
    'notes String',
    ...audit,
  ],
  engine: 'ReplacingMergeTree(version)',
  partitionBy: 'toYYYYMM(created_at)',
  orderBy: '(customer_id, created_at, source, opportunity_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Deals change stage often: each change is a new version of the same key (creation date and customer do not change). Partitioned by creation month.',
};

export const campaigns: TableDef = {
  name: 'campaigns',
  columns: [
    'campaign_id String',
    'name String',
    'channel LowCardinality(String)',
    'objective LowCardinality(String)',
    'segment_id String',
    'started_at Nullable(Date)',
    'ended_at Nullable(Date)',
    'budget Decimal(18, 2)',
    ...audit,
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'campaign_id',
  shardingKey: 'cityHash64(campaign_id)',
  why: 'Small dimension, upserted by id.',
};

export const campaignMembers: TableDef = {
  name: 'campaign_members',
  columns: [
    'campaign_id String',
    'customer_id String',
    'customer_ref String',
    'added_at DateTime',
    "status LowCardinality(String) COMMENT 'sent | opened | clicked | responded | converted | bounced | unsubscribed'",
    'responded_at Nullable(DateTime)',
    'converted_at Nullable(DateTime)',
    'revenue Decimal(18, 2)',
    ...audit,
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(campaign_id, customer_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Who was in which campaign and how they reacted; the newest status wins.',
};

export const ingestBatches: TableDef = {
  name: 'ingest_batches',
  columns: [
    'batch_id String',
    'entity LowCardinality(String)',
    'source LowCardinality(String)',
    "source_file String COMMENT 'file path, or http:<idempotency key> for pushed batches'",
    'file_sha256 String',
    "status LowCardinality(String) COMMENT 'running | completed | failed'",
    'rows_read UInt64',
    'rows_loaded UInt64',
    'rows_updated UInt64',
    'rows_duplicate UInt64',
    'rows_rejected UInt64',
    'error String',
    'started_at DateTime64(3)',
    'finished_at Nullable(DateTime64(3))',
    'version UInt64',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'batch_id',
  shardingKey: 'cityHash64(batch_id)',
  why: 'One row per load, updated as it progresses: what was loaded from where, and when.',
};

export const rejects: TableDef = {
  name: 'rejects',
  columns: [
    'entity LowCardinality(String)',
    'source_file String',
    'file_sha256 String',
    'line UInt64',
    'record_id String',
    'field String',
    'reason String',
    'raw String',
    'batch_id String',
    'version UInt64',
    'rejected_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'ReplacingMergeTree(version)',
  partitionBy: 'toYYYYMM(rejected_at)',
  orderBy: '(entity, file_sha256, line, field)',
  shardingKey: 'cityHash64(file_sha256)',
  why: 'Quarantine: each bad row with file, line, field and a reason. Keyed by file content and line, so re-loading the same file does not repeat its rejects.',
};

export const ingestRequests: TableDef = {
  name: 'ingest_requests',
  columns: [
    'idempotency_key String',
    'entity LowCardinality(String)',
    'batch_id String',
    'request_sha256 String',
    "response String COMMENT 'the JSON summary answered the first time, answered again to a retry'",
    'version UInt64',
    'received_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'idempotency_key',
  shardingKey: 'cityHash64(idempotency_key)',
  why: 'Idempotency keys of pushed HTTP batches: a retried batch gets the first answer and loads nothing.',
};

export const churnScores: TableDef = {
  name: 'churn_scores',
  columns: [
    'customer_id String',
    'probability Float64',
    "risk_band LowCardinality(String) COMMENT 'high | medium | low'",
    'top_reasons Array(Tuple(feature String, text String, contribution Float64))',
    'model_version String',
    'cutoff Date',
    'scored_at DateTime64(3)',
  ],
  engine: 'ReplacingMergeTree(scored_at)',
  orderBy: 'customer_id',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Latest churn score per customer (written by models/, the newest scoring run wins).',
};

export const clvScores: TableDef = {
  name: 'clv_scores',
  columns: [
    'customer_id String',
    'p_alive Float64',
    'expected_purchases_90d Float64',
    'expected_order_value Float64',
    'clv_12m Float64',
    'model_version String',
    'cutoff Date',
    'scored_at DateTime64(3)',
  ],
  engine: 'ReplacingMergeTree(scored_at)',
  orderBy: 'customer_id',
  shardingKey: 'cityHash64(customer_id)',
  why: 'Latest BG/NBD + Gamma-Gamma predictions per customer.',
};

export const modelVersions: TableDef = {
  name: 'model_versions',
  columns: [
    'model_version String',
    "model LowCardinality(String) COMMENT 'churn | clv'",
    'trained_at DateTime64(3)',
    'cutoff Date',
    'features Array(String)',
    "metrics String COMMENT 'JSON'",
    "params String COMMENT 'JSON'",
    'version UInt64',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(model, model_version)',
  shardingKey: 'cityHash64(model_version)',
  why: 'Every trained model with its metrics and feature list.',
};

export const segments: TableDef = {
  name: 'segments',
  columns: [
    'segment_id String',
    'name String',
    'description String',
    "definition String COMMENT 'JSON rule tree (AND/OR groups)'",
    'created_by String',
    'created_at DateTime64(3)',
    'updated_at DateTime64(3)',
    'deleted UInt8 DEFAULT 0',
    'version UInt64',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: 'segment_id',
  shardingKey: 'cityHash64(segment_id)',
  why: 'Saved marketer segments; a delete is a new version with deleted = 1.',
};

export const coreTables: TableDef[] = [
  customerRecords, identityMap, customerAliases, customers, users, transactions, interactions,
  opportunities, campaigns, campaignMembers, ingestBatches, rejects, ingestRequests, churnScores,
  clvScores, modelVersions, segments,
];

/** `FINAL` applies pending upserts at read time; views are what Cube and the models read. */
const resolved = (table: string): string => `SELECT t.* REPLACE (if(a.to_id != '', a.to_id, t.customer_id) AS customer_id)
FROM {db}.${table} AS t FINAL
{global}LEFT ANY JOIN (SELECT from_id, argMax(to_id, version) AS to_id FROM {db}.customer_aliases GROUP BY from_id) AS a ON a.from_id = t.customer_id`;

export const coreViews: ViewDef[] = [
  { name: 'transactions_resolved', select: resolved('transactions'), why: 'Transactions with merged customers mapped to their surviving id and upserts applied.' },
  { name: 'interactions_resolved', select: resolved('interactions'), why: 'Same for interactions.' },
  { name: 'opportunities_resolved', select: resolved('opportunities'), why: 'Same for opportunities.' },
  { name: 'campaign_members_resolved', select: resolved('campaign_members'), why: 'Same for campaign members.' },
];
