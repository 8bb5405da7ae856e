import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig, type Config } from '../../config/schema.ts';
import { checkName, rows } from '../sql.ts';
import type { RenderContext, TableDef } from './ddl.ts';

/**
 * Privacy (issue 16, items 2, 3 and 5; lib/privacy, docs/privacy.md).
 *
 * - `privacy_tombstones`: one keyed hash (HMAC-SHA256 with CRM_PRIVACY_KEY) per identifier of an
 *   erased person — customer id, normalised e-mail, normalised phone, source record — and nothing
 *   else, so the table holds no personal data yet lets ingest skip the person's records when an old
 *   file is loaded again.
 * - `privacy_erasures`: the receipt of every erasure (counts per table and file, who, when), keyed
 *   by the tombstone of the person's customer id, never an identifier.
 *
 * Retention (item 5) is configuration, not schema: `reconcileRetention` runs on every migrate and
 * gives each kind of raw data the TTL its CRM_RETENTION_*_DAYS variable asks for (0: none). It is
 * not part of the migration's checksum, so changing a variable changes the TTL at the next start
 * instead of refusing a "changed migration".
 */
export const privacyTombstones: TableDef = {
  name: 'privacy_tombstones',
  columns: [
    "kind LowCardinality(String) COMMENT 'customer_id | email | phone | source_record'",
    "hash String COMMENT 'hex HMAC-SHA256 of kind and the normalised value (lib/privacy/tombstone.ts)'",
    "erasure_id String COMMENT 'privacy_erasures.erasure_id that wrote it'",
    "created_at DateTime64(3, 'UTC') DEFAULT now64(3)",
  ],
  engine: 'ReplacingMergeTree(created_at)',
  orderBy: '(kind, hash)',
  shardingKey: 'cityHash64(hash)',
  why: 'Read whole by every load (a few rows per erased person) and looked up by (kind, hash); erasing the same person twice writes the same keys, which ReplacingMergeTree folds.',
};

export const privacyErasures: TableDef = {
  name: 'privacy_erasures',
  columns: [
    'erasure_id String',
    "subject String COMMENT 'tombstone hash of the person''s first customer id: lets a later request be matched, reveals nothing'",
    "actor String COMMENT 'users.user_id or cli:<os user>'",
    "at DateTime64(3, 'UTC')",
    "status LowCardinality(String) COMMENT 'completed | failed'",
    "rows_removed UInt64 COMMENT 'rows deleted over all tables'",
    "receipt String COMMENT 'JSON: counts per table and file, tombstones written, derived tables rebuilt (lib/privacy/erase.ts Receipt)'",
  ],
  engine: 'MergeTree',
  orderBy: 'at',
  shardingKey: 'cityHash64(erasure_id)',
  why: 'Append-only record of erasures, read newest first by the admin page; no column holds an identifier of the person.',
};

export const privacyTables: TableDef[] = [privacyTombstones, privacyErasures];

/** A kind of raw data with a maximum age: its table, the time its age counts from, and what is exempt. */
export interface RetentionRule {
  table: string;
  variable: keyof Config & `CRM_RETENTION_${string}`;
  /** Date or DateTime expression the age counts from (TTL needs one of those two types). */
  from: string;
  /** Rows the TTL never removes (open deals). */
  keepWhere?: string;
}

export const RETENTION_RULES: readonly RetentionRule[] = [
  { table: 'transactions', variable: 'CRM_RETENTION_TRANSACTIONS_DAYS', from: 'order_date' },
  { table: 'interactions', variable: 'CRM_RETENTION_INTERACTIONS_DAYS', from: 'occurred_at' },
  { table: 'opportunities', variable: 'CRM_RETENTION_OPPORTUNITIES_DAYS', from: 'ifNull(closed_at, created_at)', keepWhere: "status = 'open'" },
  { table: 'rejects', variable: 'CRM_RETENTION_REJECTS_DAYS', from: 'toDateTime(rejected_at)' },
  { table: 'ingest_requests', variable: 'CRM_RETENTION_INGEST_REQUESTS_DAYS', from: 'toDateTime(received_at)' },
  { table: 'audit_log', variable: 'CRM_RETENTION_AUDIT_DAYS', from: 'toDateTime(at)' },
];

/** The TTL clause for `days` (0: none). */
export function retentionTtl(rule: RetentionRule, days: number): string | undefined {
  if (days <= 0) return undefined;
  return `${rule.from} + INTERVAL ${days} DAY DELETE${rule.keepWhere ? ` WHERE NOT (${rule.keepWhere})` : ''}`;
}

/** The days a table's current TTL keeps (0: no TTL), read from its engine clause. */
export function currentTtlDays(engineFull: string): number {
  const m = /\bTTL\b.*?toIntervalDay\((\d+)\)/s.exec(engineFull);
  return m ? Number(m[1]) : 0;
}

/**
 * Gives each retention table the TTL its variable asks for. Only a change is applied: MODIFY TTL
 * rewrites the table's parts once (materialize_ttl_after_modify), which must not happen on every
 * start. On a cluster the TTL belongs on the shards' local tables.
 */
export async function reconcileRetention(
  client: ClickHouseClient,
  ctx: RenderContext,
  log: (line: string) => void = () => {},
  config: Config = loadConfig(),
): Promise<{ table: string; days: number; changed: boolean }[]> {
  const db = checkName(ctx.database);
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const out: { table: string; days: number; changed: boolean }[] = [];
  for (const rule of RETENTION_RULES) {
    const table = ctx.cluster ? `${rule.table}_local` : rule.table;
    const [found] = await rows<{ engine_full: string }>(client, {
      query: 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      query_params: { db, t: table },
    });
    if (!found) continue;
    const days = Number(config[rule.variable]);
    const now = currentTtlDays(found.engine_full);
    const changed = now !== days;
    if (changed) {
      const ttl = retentionTtl(rule, days);
      await client.command({
        query: ttl ? `ALTER TABLE ${db}.${checkName(table)}${on} MODIFY TTL ${ttl}` : `ALTER TABLE ${db}.${checkName(table)}${on} REMOVE TTL`,
      });
      log(`retention: ${rule.table} ${days > 0 ? `rows older than ${days} days are removed` : 'kept without limit'} (${rule.variable})`);
    }
    out.push({ table: rule.table, days, changed });
  }
  return out;
}
