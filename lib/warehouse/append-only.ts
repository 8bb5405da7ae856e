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
