import type { RenderContext, TableDef } from './ddl.ts';

/**
 * Revoked dashboard sessions (web/server/sessions.ts). A session cookie is signed and carries its
 * own expiry, so without a server-side record a signed-out or stolen cookie would work until it
 * expires; the dashboard checks this table on every request and sign-out writes to it.
 */
export const revokedSessions: TableDef = {
  name: 'revoked_sessions',
  columns: [
    "session_id String COMMENT 'the random id inside the session cookie'",
    "user_id String COMMENT 'users.user_id of the session (audit, and revoking all of a user''s sessions later)'",
    "reason LowCardinality(String) COMMENT 'signout'",
    "revoked_at DateTime64(3, 'UTC') DEFAULT now64(3)",
    "expires_at DateTime('UTC') COMMENT 'when the cookie would have expired anyway: the row is useless after it'",
  ],
  engine: 'ReplacingMergeTree(revoked_at)',
  orderBy: 'session_id',
  shardingKey: 'cityHash64(session_id)',
  why: 'Looked up by session id on every dashboard request, so keyed by it; revoking twice is harmless (ReplacingMergeTree). Rows expire with the cookie (TTL), so the table stays as small as the sessions signed out in the last hours.',
};

export const sessionTables: TableDef[] = [revokedSessions];

/** TableDef has no TTL clause; MODIFY TTL is idempotent. On a cluster the TTL belongs on the shards' local tables. */
export function sessionStatements(ctx: RenderContext): string[] {
  const table = ctx.cluster ? `${revokedSessions.name}_local` : revokedSessions.name;
  const onCluster = ctx.cluster ? ` ON CLUSTER ${ctx.cluster}` : '';
  return [`ALTER TABLE ${ctx.database}.${table}${onCluster} MODIFY TTL expires_at + INTERVAL 1 HOUR`];
}
