import type { CubeQuery, QueryResult, Row } from '../cube/types.ts';
import { getWebContext } from '../server/context.ts';
import { issueCubeToken, type CubeToken } from '../server/cube-token.ts';
import type { LiveSession } from '../server/session-check.ts';
import { queryKey } from './plan.ts';

/**
 * The cockpit's server load asks its queries here: like server/cube.ts's cubeLoad (Cube's
 * "Continue wait" polled here, the signed-in user's token), but with ONE token for the whole view.
 * bench:load's CPU profile (b6b687a) found 3.6 s of jsonwebtoken key handling per 36 s in this
 * prefetch when every query signed its own (15 per view). Each answer settles on its own; a failed
 * one is null and the browser asks that query itself.
 *
 * The token is returned too: the page hands it to the browser (cube/client.ts primeToken), which
 * then needs no /api/cube-token round trip before its first own request. It is the user's own
 * token, in a page only they get (private, no-store).
 */
export function prefetchQueries(queries: readonly CubeQuery[], user: LiveSession, timeoutMs = 60_000): { token: CubeToken; answers: Record<string, Promise<QueryResult | null>> } {
  const ctx = getWebContext();
  const token = issueCubeToken(user, ctx.secrets.cubeApiSecret);
  const deadline = Date.now() + timeoutMs;
  const ask = async (query: CubeQuery): Promise<QueryResult | null> => {
    for (;;) {
      const res = await fetch(`${ctx.cubeUrl}/v1/load`, {
        method: 'POST',
        headers: { authorization: token.token, 'content-type': 'application/json', 'x-cube-continue-wait': 'allow' },
        body: JSON.stringify({ query }),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      const body = (await res.json().catch(() => ({}))) as { data?: Row[]; total?: number; error?: string };
      if (res.ok && body.error === 'Continue wait' && Date.now() < deadline) continue;
      if (!res.ok || body.error) return null;
      return { rows: body.data ?? [], total: body.total };
    }
  };
  const answers: Record<string, Promise<QueryResult | null>> = {};
  for (const q of queries) answers[queryKey(q)] ??= ask(q).catch(() => null);
  return { token, answers };
}
