/**
 * Tables that are append-only for every warehouse user but the admin, and hidden from the
 * semantic (Cube) and reader users: the audit log (migration 011, issue 16). The writer may INSERT
 * and SELECT (the dashboard writes rows and shows them to administrators); it may not ALTER,
 * DELETE, TRUNCATE, OPTIMIZE, DROP or re-CREATE them. Enforced by GRANT/REVOKE on a real server
 * (access.ts) and by the embedded endpoint itself (embedded/privileges.ts). On a cluster the
 * shards' `<name>_local` tables are covered too.
 */
export const APPEND_ONLY_TABLES: readonly string[] = ['audit_log'];

/** The names a statement could reach them by: the table and, on a cluster, its shards' local table. */
export const appendOnlyNames = (): string[] => APPEND_ONLY_TABLES.flatMap((t) => [t, `${t}_local`]);

/**
 * Columns only the writer (the dashboard, which checks passwords) and the admin may read: the
 * dashboard accounts' password hashes. The semantic (Cube) and reader users read `users` for the
 * account owners' names and regions, never the hashes — with the reader's password an analyst could
 * otherwise copy every account's hash, the admin's included, and guess passwords offline at leisure.
 * A column-level REVOKE on a real server (access.ts); the embedded endpoint refuses a statement of
 * those users that reads the table and names the column or takes all columns (`*`, `t.*`,
 * `COLUMNS(…)`; `count(*)` counts rows and stays allowed).
 */
export const SECRET_COLUMNS: Readonly<Record<string, readonly string[]>> = { users: ['password_hash'] };
