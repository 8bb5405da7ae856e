import type { ClickHouseClient } from '@clickhouse/client';
import type { SessionRevocations } from '../src/lib/server/context.ts';

/**
 * Revoked session ids in the warehouse (`revoked_sessions`, lib/warehouse/migrations/005-sessions.ts),
 * so sign-out holds across restarts and across every dashboard process on one warehouse. A revoked
 * id is also remembered in this process: the cookie is refused at once even if the insert is slow
 * to become visible.
 */
export function sessionRevocations(client: ClickHouseClient): SessionRevocations {
  const local = new Map<string, number>();
  const nowSeconds = (): number => Math.floor(Date.now() / 1000);
  return {
    async isRevoked(sessionId: string): Promise<boolean> {
      const until = local.get(sessionId);
      if (until !== undefined && until > nowSeconds()) return true;
      const rs = await client.query({
        query: 'SELECT count() AS n FROM revoked_sessions WHERE session_id = {id:String}',
        query_params: { id: sessionId },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ n: string | number }>();
      return Number(row?.n ?? 0) > 0;
    },
    async revoke({ sessionId, userId, expiresAt }): Promise<void> {
      local.set(sessionId, expiresAt);
      if (local.size > 10_000) for (const [id, until] of local) if (until <= nowSeconds()) local.delete(id);
      await client.insert({
        table: 'revoked_sessions',
        values: [{ session_id: sessionId, user_id: userId, reason: 'signout', expires_at: expiresAt }],
        format: 'JSONEachRow',
      });
    },
  };
}
