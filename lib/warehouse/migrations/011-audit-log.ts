import type { TableDef } from './ddl.ts';

/**
 * The audit log (issue 16, item 4): one row per audited action — who did what to which ids, when,
 * with what outcome. Written only by lib/audit/log.ts, with INSERT alone: no user but the admin
 * may alter, delete, truncate, optimize or drop it (lib/warehouse/access.ts revokes those rights
 * on this table; the embedded endpoint refuses them, embedded/privileges.ts), and only the writer
 * (the dashboard, for its admin-only Audit page) and the admin may read it.
 */
export const auditLog: TableDef = {
  name: 'audit_log',
  columns: [
    "event_id String COMMENT 'random id of the row'",
    "at DateTime64(3, 'UTC') COMMENT 'when the action happened'",
    "actor String COMMENT 'users.user_id, cli:<os user>, or unknown-account:<keyed hash> for a failed sign-in of no account'",
    "actor_role LowCardinality(String) COMMENT 'the actor''s dashboard role; cli for a command-line tool; empty when unknown'",
    "action LowCardinality(String) COMMENT 'one of lib/audit/actions.ts AUDIT_ACTIONS (a closed list the writer enforces)'",
    "target_kind LowCardinality(String) COMMENT 'customer | segment | user | token | customers (an export) | none'",
    "target_ids Array(String) COMMENT 'ids only (customer, segment, campaign, user ids, token subjects), never names or e-mails'",
    "row_count Nullable(UInt64) COMMENT 'rows exported or pushed; NULL for actions that move no rows'",
    "filter String COMMENT 'the filter as member + operator; values only when they are ids or enums (lib/audit/describe-filters.ts)'",
    "request_id String COMMENT 'x-request-id of the dashboard request; empty for a CLI'",
    "outcome LowCardinality(String) COMMENT 'ok | denied | failed'",
    "detail String COMMENT 'a fixed phrase written by the code (why denied or failed), never user input'",
  ],
  engine: 'MergeTree',
  orderBy: '(toStartOfDay(at), action, at)',
  partitionBy: 'toYYYYMM(at)',
  shardingKey: 'cityHash64(event_id)',
  why: 'Append-only: rows are never updated, so a plain MergeTree. Read newest first by day and action (the Audit page filters by date and action); monthly partitions so a retention policy can drop whole months later.',
};

export const auditLogTables: TableDef[] = [auditLog];
