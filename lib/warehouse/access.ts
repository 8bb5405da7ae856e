import type { ClickHouseClient } from '@clickhouse/client';
import { defaultRoleUser, roleVariables, WAREHOUSE_ROLES, type WarehouseCredentials, type WarehouseRole } from '../config.ts';
import { appendOnlyNames, SECRET_COLUMNS } from './append-only.ts';
import type { RenderContext } from './migrations/ddl.ts';
import { checkName, isClickHouseError, quoteIdent } from './sql.ts';

/**
 * The least-privileged users on a real ClickHouse server, created by the admin at migrate time.
 * Not a numbered migration: the users' passwords come from the environment and may be rotated
 * (a migration's text is checksummed and runs once), and the embedded engine has no access
 * control to apply it to (its endpoint enforces the same rights itself: embedded/privileges.ts).
 * Every statement is idempotent and runs on each migrate, so a changed password or a new grant
 * takes effect on the next deploy.
 *
 * Rights, per product database `db` (roles named `<db>_<role>`, so two products can share a server):
 * - writer: SELECT, INSERT, ALTER DELETE (also what DELETE FROM and DROP PARTITION need), ALTER
 *   UPDATE, CREATE TABLE, DROP TABLE, TRUNCATE, OPTIMIZE on db.* (ingest's scratch tables, the
 *   derived snapshots, scores, users);
 *   CLUSTER on a cluster, for the derived tables' ALTER … ON CLUSTER.
 * - semantic (Cube): SELECT on db.*; CREATE DATABASE, CREATE TABLE, DROP TABLE, INSERT, SELECT,
 *   TRUNCATE, ALTER INDEX on `<db>_pre_aggregations`.* (Cube's rollups and their indexes).
 * - reader: SELECT on db.*, readonly = 2 (query-level SETTINGS, such as Cube's join_use_nulls, still work).
 * None gets FILE, URL, S3, REMOTE or any other source grant, nor access to other databases.
 * The append-only tables (append-only.ts: the audit log) are carved out by partial revokes: the
 * writer keeps only SELECT and INSERT on them, semantic and reader lose SELECT. The revokes run
 * right after the database-wide grants on every migrate, so a re-run grant never re-opens them.
 */

const ident = (name: string): string => quoteIdent(checkName(name));

const sqlString = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export function roleName(database: string, role: WarehouseRole): string {
  return `${database}_${role}`;
}

/** Roles and their grants (no secrets: safe to print). */
export function renderRoles(ctx: RenderContext): string[] {
  const db = ctx.database;
  const on = ctx.cluster ? ` ON CLUSTER ${ident(ctx.cluster)}` : '';
  const pre = `${db}_pre_aggregations`;
  const role = (r: WarehouseRole): string => ident(roleName(db, r));
  return [
    ...WAREHOUSE_ROLES.map((r) => `CREATE ROLE IF NOT EXISTS ${role(r)}${on}`),
    `GRANT${on} SELECT, INSERT, ALTER DELETE, ALTER UPDATE, CREATE TABLE, DROP TABLE, TRUNCATE, OPTIMIZE ON ${ident(db)}.* TO ${role('writer')}`,
    ...(ctx.cluster ? [`GRANT${on} CLUSTER ON *.* TO ${role('writer')}`] : []),
    `GRANT${on} SELECT ON ${ident(db)}.* TO ${role('semantic')}`,
    `GRANT${on} CREATE DATABASE, CREATE TABLE, DROP TABLE, INSERT, SELECT, TRUNCATE, ALTER INDEX ON ${ident(pre)}.* TO ${role('semantic')}`,
    `GRANT${on} SELECT ON ${ident(db)}.* TO ${role('reader')}`,
    ...Object.entries(SECRET_COLUMNS).flatMap(([t, columns]) =>
      [t, `${t}_local`].map((name) => `REVOKE${on} SELECT(${columns.map(ident).join(', ')}) ON ${ident(db)}.${ident(name)} FROM ${role('semantic')}, ${role('reader')}`),
    ),
    ...appendOnlyNames().flatMap((t) => [
      `REVOKE${on} ALTER DELETE, ALTER UPDATE, CREATE TABLE, DROP TABLE, TRUNCATE, OPTIMIZE ON ${ident(db)}.${ident(t)} FROM ${role('writer')}`,
      `REVOKE${on} SELECT ON ${ident(db)}.${ident(t)} FROM ${role('semantic')}, ${role('reader')}`,
    ]),
  ];
}

/** The users, with their passwords: never log these statements. */
export function renderUsers(ctx: RenderContext, users: Partial<Record<WarehouseRole, WarehouseCredentials>>): string[] {
  const on = ctx.cluster ? ` ON CLUSTER ${ident(ctx.cluster)}` : '';
  return WAREHOUSE_ROLES.flatMap((r) => {
    const u = users[r];
    if (!u) return [];
    const name = ident(u.user);
    const role = ident(roleName(ctx.database, r));
    const auth = `IDENTIFIED WITH sha256_password BY ${sqlString(u.password)}`;
    return [
      `CREATE USER IF NOT EXISTS ${name}${on} ${auth}`,
      // An existing user gets the password configured now (rotation).
      `ALTER USER ${name}${on} ${auth}`,
      `GRANT${on} ${role} TO ${name}`,
      `ALTER USER ${name}${on} DEFAULT ROLE ${role}${r === 'reader' ? ' SETTINGS readonly = 2' : ''}`,
    ];
  });
}

/**
 * Creates (or updates) the roles and the configured users. Run with the admin's client; the
 * admin needs access management (`CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1` in the official image,
 * or `<access_management>1</access_management>`), else the error says so.
 */
export async function ensureAccess(
  client: ClickHouseClient,
  ctx: RenderContext,
  users: Partial<Record<WarehouseRole, WarehouseCredentials>>,
  log: (line: string) => void = () => {},
): Promise<void> {
  try {
    for (const statement of renderRoles(ctx)) await client.command({ query: statement });
    for (const statement of renderUsers(ctx, users)) await client.command({ query: statement });
  } catch (error) {
    // ACCESS_DENIED ("Not enough privileges"): what a server answers an admin without access management.
    if (isClickHouseError(error, 'ACCESS_DENIED')) {
      const message = (error as Error).message;
      throw new Error(
        `the ClickHouse admin user cannot create roles and users (${message.split('\n')[0]}). ` +
          'Give it access management: CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1 for the official image, or <access_management>1</access_management> in its users.xml entry',
        { cause: error },
      );
    }
    throw error;
  }
  const missing = WAREHOUSE_ROLES.filter((r) => !users[r]);
  for (const r of WAREHOUSE_ROLES.filter((role) => users[role])) log(`ClickHouse user ${users[r]!.user} has role ${roleName(ctx.database, r)}`);
  for (const r of missing) {
    log(`no ${roleVariables(r).password}: user ${defaultRoleUser(r)} not created or updated (the components that need the ${r} user will refuse to start)`);
  }
}
