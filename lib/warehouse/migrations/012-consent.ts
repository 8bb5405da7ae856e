import type { TableDef, ViewDef } from './ddl.ts';

/**
 * Consent (issue 16, item 1): events as loaded (ingest/entities/consents.ts), and the current
 * consent per customer and purpose derived from them. Every table here has a customer_id column,
 * so erasure (which finds tables by their columns) covers it.
 */
export const consentEvents: TableDef = {
  name: 'consent_events',
  columns: [
    "source LowCardinality(String) COMMENT 'system the event comes from; customer_ref is an id in it'",
    'consent_id String',
    'customer_id String',
    'customer_ref String',
    "purpose LowCardinality(String) COMMENT 'one of CRM_CONSENT_PURPOSES'",
    "status LowCardinality(String) COMMENT 'granted | withdrawn'",
    'occurred_at DateTime',
    "channel LowCardinality(String) COMMENT 'web_form, email_link, phone, dashboard, …'",
    "evidence String COMMENT 'reference to the proof (form submission, recording, document)'",
    "recorded_by String COMMENT 'dashboard user id when an employee recorded it'",
    'batch_id String',
    'row_hash UInt64',
    'version UInt64',
    'ingested_at DateTime64(3) DEFAULT now64(3)',
  ],
  engine: 'ReplacingMergeTree(version)',
  orderBy: '(customer_id, occurred_at, source, consent_id)',
  shardingKey: 'cityHash64(customer_id)',
  why: "Events keyed by (source, consent_id), upserted like interactions (a re-load adds nothing); customer first so one customer's history reads together; no partitions: few rows per customer.",
};

/** Customer ids mapped through merges, upserts applied (as the *_resolved views of migration 001). */
const resolvedEvents: ViewDef = {
  name: 'consent_events_resolved',
  select: `SELECT t.* REPLACE (if(a.to_id != '', a.to_id, t.customer_id) AS customer_id)
FROM {db}.consent_events AS t FINAL
{global}LEFT ANY JOIN (SELECT from_id, argMax(to_id, version) AS to_id FROM {db}.customer_aliases GROUP BY from_id) AS a ON a.from_id = t.customer_id`,
  why: 'Consent events with merged customers mapped to their surviving id.',
};

/**
 * The newest event per customer and purpose wins: by occurred_at, then by the load's version (two
 * clicks in the same second on the 360 page: the later load). A merged customer's events from all
 * its records count together. A customer without a row for a purpose has no event: lib/consent
 * says what that means (no consent for marketing; profiling per CRM_CONSENT_PROFILING_DEFAULT).
 */
const current: ViewDef = {
  name: 'consent_current',
  select: `SELECT customer_id, purpose,
  argMax(status, (occurred_at, version)) AS status,
  max(occurred_at) AS changed_at,
  argMax(source, (occurred_at, version)) AS source,
  argMax(channel, (occurred_at, version)) AS channel,
  argMax(evidence, (occurred_at, version)) AS evidence,
  argMax(recorded_by, (occurred_at, version)) AS recorded_by,
  count() AS events
FROM {db}.consent_events_resolved
GROUP BY customer_id, purpose`,
  why: 'Current consent per customer and purpose; small (events per customer are few), so a view rather than a derived table.',
};

export const consentTables: TableDef[] = [consentEvents];
export const consentViews: ViewDef[] = [resolvedEvents, current];
