import type { ClickHouseClient } from '@clickhouse/client';
import { createHmac, randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { insertRows, qualified, rows } from '../warehouse/sql.ts';
import {
  AUDIT_OUTCOMES,
  isAuditAction,
  TARGET_KINDS,
  type AuditAction,
  type AuditOutcome,
  type TargetKind,
} from './actions.ts';

/**
 * The one owner of the `audit_log` table (migration 011): appends rows, and reads them for the
 * admin's Audit page. It only ever INSERTs: the table is append-only for every user but the
 * admin (lib/warehouse/access.ts, embedded/privileges.ts).
 */
export const AUDIT_TABLE = 'audit_log';

export interface AuditDb {
  client: ClickHouseClient;
  /** Qualifies the table name when set (the dashboard's client may have another default). */
  database?: string;
}

export interface AuditEntry {
  action: AuditAction;
  /** users.user_id, `cli:<os user>` (cliActor()), or unknownAccount() for a failed sign-in of no account. */
  actor: string;
  actorRole: string;
  targetKind: TargetKind;
  targetIds?: readonly string[];
  rowCount?: number;
  /** describeFilters() of the filter: never raw filter values. */
  filter?: string;
  requestId?: string;
  outcome: AuditOutcome;
  /** A fixed phrase from the code (why it was denied or failed); never user input. */
  detail?: string;
  /** Defaults to now. */
  at?: Date;
}

export interface AuditRow {
  event_id: string;
  at: string;
  actor: string;
  actor_role: string;
  action: string;
  target_kind: string;
  target_ids: string[];
  row_count: string | number | null;
  filter: string;
  request_id: string;
  outcome: string;
  detail: string;
}

/** An e-mail address or text with spaces is personal, not an id: the log holds ids only. */
const PERSONAL = /@|\s/;

/** Checks an entry; the error names the action and the field. */
export function auditRow(e: AuditEntry): AuditRow {
  const bad = (field: string, why: string): never => {
    throw new Error(`audit row for ${String(e.action)}: ${field} ${why}`);
  };
  if (!isAuditAction(e.action))
    bad('action', `must be one of lib/audit/actions.ts AUDIT_ACTIONS (got ${JSON.stringify(e.action)})`);
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(e.outcome))
    bad('outcome', `must be one of ${AUDIT_OUTCOMES.join(', ')} (got ${JSON.stringify(e.outcome)})`);
  if (!(TARGET_KINDS as readonly string[]).includes(e.targetKind))
    bad('targetKind', `must be one of ${TARGET_KINDS.join(', ')} (got ${JSON.stringify(e.targetKind)})`);
  if (!e.actor) bad('actor', 'is empty');
  if (PERSONAL.test(e.actor)) bad('actor', 'looks like an e-mail or a name: record the user id');
  (e.targetIds ?? []).forEach((id, i) => {
    if (typeof id !== 'string' || !id) bad(`targetIds[${i}]`, 'is empty');
    if (PERSONAL.test(id)) bad(`targetIds[${i}]`, 'looks like an e-mail or a name: record ids only');
  });
  if (e.rowCount !== undefined && !(Number.isInteger(e.rowCount) && e.rowCount >= 0))
    bad('rowCount', `must be a whole number ≥ 0 (got ${e.rowCount})`);
  const at = e.at ?? new Date();
  return {
    event_id: randomUUID(),
    at: at.toISOString().replace('T', ' ').replace('Z', ''),
    actor: e.actor,
    actor_role: e.actorRole,
    action: e.action,
    target_kind: e.targetKind,
    target_ids: [...(e.targetIds ?? [])],
    row_count: e.rowCount ?? null,
    filter: e.filter ?? '',
    request_id: e.requestId ?? '',
    outcome: e.outcome,
    detail: e.detail ?? '',
  };
}

const table = (db: AuditDb): string => (db.database ? qualified(db.database, AUDIT_TABLE) : AUDIT_TABLE);

/** Appends one row. Throws on bad input (before writing) and when the warehouse refuses the row. */
export async function writeAudit(db: AuditDb, entry: AuditEntry): Promise<void> {
  await insertRows(db.client, table(db), [auditRow(entry)]);
}

/**
 * Whether the warehouse has the audit log yet (migration 011). A command-line tool may run against
 * a data directory nobody migrated; it asks first instead of failing an insert. `client` may be
 * connected without a database.
 */
export async function auditTableExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const [r] = await rows<{ n: string }>(client, {
    query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    query_params: { db: database, table: AUDIT_TABLE },
  });
  return Number(r?.n ?? 0) > 0;
}

/** The actor of a command-line tool: the operating-system user who ran it. */
export function cliActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry (some containers): the uid still tells who.
    name = `uid${process.getuid?.() ?? ''}`;
  }
  return `cli:${name.replace(/[@\s]/g, '_')}`;
}

/**
 * A failed sign-in for an e-mail that has no account: the typed address is not recorded, only a
 * keyed hash of it (HMAC with a server secret, so it cannot be reversed by hashing guessed
 * addresses), which still shows repeated attempts against one address.
 */
export function unknownAccount(email: string, key: string): string {
  return `unknown-account:${createHmac('sha256', key).update(email.trim().toLowerCase()).digest('hex').slice(0, 16)}`;
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  /** Inclusive days, YYYY-MM-DD (UTC). */
  from?: string;
  to?: string;
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

export interface AuditPage {
  rows: AuditRow[];
  total: number;
  page: number;
  pageSize: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Rows newest first, filtered by action, actor and day range, one page at a time. */
export async function readAudit(db: AuditDb, q: AuditQuery = {}): Promise<AuditPage> {
  const pageSize = Math.min(Math.max(Math.floor(q.pageSize ?? 50), 1), 500);
  const page = Math.max(Math.floor(q.page ?? 1), 1);
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: pageSize, offset: (page - 1) * pageSize };
  if (q.action) {
    if (!isAuditAction(q.action))
      throw new Error(
        `audit query: action must be one of lib/audit/actions.ts AUDIT_ACTIONS (got ${JSON.stringify(q.action)})`,
      );
    where.push('action = {action:String}');
    params.action = q.action;
  }
  if (q.actor) {
    where.push('actor = {actor:String}');
    params.actor = q.actor;
  }
  for (const [key, op] of [
    ['from', '>='],
    ['to', '<='],
  ] as const) {
    const day = q[key];
    if (!day) continue;
    if (!DAY.test(day)) throw new Error(`audit query: ${key} must be a day YYYY-MM-DD (got ${JSON.stringify(day)})`);
    where.push(`toDate(at) ${op} {${key}:Date}`);
    params[key] = day;
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const t = table(db);
  const [list, [count]] = await Promise.all([
    rows<AuditRow>(db.client, {
      query: `SELECT event_id, toString(at) AS at, actor, actor_role, action, target_kind, target_ids, row_count, filter, request_id, outcome, detail
        FROM ${t} ${clause} ORDER BY at DESC, event_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      query_params: params,
    }),
    rows<{ n: string }>(db.client, { query: `SELECT count() AS n FROM ${t} ${clause}`, query_params: params }),
  ]);
  return { rows: list, total: Number(count?.n ?? 0), page, pageSize };
}
