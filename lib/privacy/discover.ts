import type { ClickHouseClient } from '@clickhouse/client';
import { rows } from '../warehouse/sql.ts';

/**
 * Where a person can be: every table of the product database (and of Cube's pre-aggregation
 * database), found in system.columns at the time of the erasure, so a table added tomorrow is
 * covered without a list to update. A column's name and type say what it holds:
 *
 * - customer_id: `customer_id`, `*_customer_id`, the alias pair `from_id`/`to_id` — a resolved id;
 * - source_ref: `customer_ref`, `source_id` — the id a source system used (with the table's
 *   `source` column when it has one, so id 1001 of the shop is not id 1001 of the CRM);
 * - email / phone: any text column whose name says so;
 * - id_array: `Array(String)` columns named `…ids` (the audit log's target_ids): rewritten, the
 *   person's ids replaced by their tombstone, because the rows themselves must stay;
 * - text: every other text column.
 *
 * A table with a key column (the first four) loses the person's rows; a table without one is
 * searched in its text columns for the person's identifiers (rejects' raw lines, HTTP summaries,
 * segment definitions); a table with an id array is rewritten. Only the tables in EXCLUDED are left
 * out, each with its reason; any table of an engine a mutation cannot change fails the erasure,
 * naming it.
 */
export type ColumnRole = 'customer_id' | 'source_ref' | 'email' | 'phone' | 'id_array' | 'text' | 'other';
export type TableMode = 'keyed' | 'text' | 'rewrite' | 'none' | 'excluded' | 'unsupported';

export interface ColumnInfo {
  name: string;
  type: string;
  role: ColumnRole;
}

export interface TablePlan {
  database: string;
  table: string;
  engine: string;
  columns: ColumnInfo[];
  mode: TableMode;
  /** The table has a `source` column: source_ref columns are matched with it. */
  hasSource: boolean;
  /** Why a table is excluded or unsupported. */
  reason?: string;
}

/** Tables that hold no customer's personal data by design, with the reason (docs/privacy.md). */
export const EXCLUDED: Readonly<Record<string, string>> = {
  users: 'dashboard accounts of staff, not customers (npm run users manages them)',
  schema_migrations: 'the list of applied migrations',
  privacy_tombstones: 'keyed hashes only: what keeps an erased person from coming back',
  privacy_erasures: 'erasure receipts: counts and a tombstone hash, no identifier',
};

/** Working tables of a running erasure or load: never part of a plan. */
const SCRATCH = /^privacy_scratch_|^ingest_keys_/; // ingest/load/scratch-keys.ts: a running load's key list (Memory), dropped after it

const base = (type: string): string => {
  let t = type;
  for (;;) {
    const m = /^(?:LowCardinality|Nullable)\((.*)\)$/.exec(t);
    if (!m) return t;
    t = m[1];
  }
};

export function columnRole(name: string, type: string): ColumnRole {
  const b = base(type);
  const text = b === 'String' || b.startsWith('FixedString');
  if (/^Array\((LowCardinality\()?String\)?\)$/.test(b) && /ids$/.test(name)) return 'id_array';
  if (!text) return 'other';
  if (name === 'customer_id' || name.endsWith('_customer_id') || name === 'from_id' || name === 'to_id') return 'customer_id';
  if (name === 'customer_ref' || name === 'source_id') return 'source_ref';
  if (/email/.test(name)) return 'email';
  if (/phone/.test(name)) return 'phone';
  return 'text';
}

const MUTABLE = /MergeTree$/;
const NOT_DATA = new Set(['View', 'MaterializedView', 'Distributed', 'LiveView', 'WindowView', 'Dictionary']);

export function planTable(database: string, table: string, engine: string, columns: { name: string; type: string }[]): TablePlan {
  const cols = columns.map((c) => ({ ...c, role: columnRole(c.name, c.type) }));
  const hasSource = cols.some((c) => c.name === 'source');
  const plan = (mode: TableMode, reason?: string): TablePlan => ({ database, table, engine, columns: cols, mode, hasSource, reason });
  if (Object.hasOwn(EXCLUDED, table)) return plan('excluded', EXCLUDED[table]);
  const has = (...roles: ColumnRole[]): boolean => cols.some((c) => roles.includes(c.role));
  const personal = has('customer_id', 'source_ref', 'email', 'phone', 'id_array', 'text');
  if (!MUTABLE.test(engine)) {
    return personal ? plan('unsupported', `engine ${engine} cannot be changed by a mutation: give it a MergeTree engine or add it to EXCLUDED with a reason`) : plan('none');
  }
  if (has('customer_id', 'source_ref', 'email', 'phone')) return plan('keyed');
  if (has('id_array')) return plan('rewrite');
  if (has('text')) return plan('text');
  return plan('none');
}

/**
 * The plan for every data table of `database` and `<database>_pre_aggregations`. On a cluster the
 * shards' `<name>_local` tables are the ones with data (the Distributed ones are skipped as not
 * data); the plan names them.
 */
export async function discoverTables(client: ClickHouseClient, database: string): Promise<TablePlan[]> {
  const found = await rows<{ database: string; table: string; engine: string; name: string; type: string }>(client, {
    query: `SELECT c.database AS database, c.table AS table, t.engine AS engine, c.name AS name, c.type AS type
      FROM system.columns AS c
      INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
      WHERE c.database IN ({db:String}, {pre:String}) AND NOT t.is_temporary
      ORDER BY c.database, c.table, c.position`,
    query_params: { db: database, pre: `${database}_pre_aggregations` },
  });
  const byTable = new Map<string, { database: string; table: string; engine: string; columns: { name: string; type: string }[] }>();
  for (const r of found) {
    if (SCRATCH.test(r.table) || NOT_DATA.has(r.engine)) continue;
    const key = `${r.database}.${r.table}`;
    if (!byTable.has(key)) byTable.set(key, { database: r.database, table: r.table, engine: r.engine, columns: [] });
    byTable.get(key)!.columns.push({ name: r.name, type: r.type });
  }
  return [...byTable.values()].map((t) => planTable(t.database, t.table, t.engine, t.columns));
}
