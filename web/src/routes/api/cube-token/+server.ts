import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { getWebContext } from '$lib/server/context.ts';
import { issueCubeToken } from '$lib/server/cube-token.ts';
import { SESSION_COOKIE } from '$lib/server/session.ts';

/**
 * A 15-minute Cube token for the signed-in user (role, owner_id). The account is re-read so a
 * deactivated user or a changed role stops getting data within one token lifetime.
 */
export const GET: RequestHandler = async ({ locals, cookies }) => {
  const user = locals.user;
  if (!user) return json({ error: 'not signed in' }, { status: 401 });
  const ctx = getWebContext();
  const account = await ctx.users.byId(user.sub);
  if (!account || !account.active || account.role !== user.role || (account.ownerId || undefined) !== user.ownerId) {
    cookies.delete(SESSION_COOKIE, { path: '/' });
    return json({ error: 'account changed: sign in again' }, { status: 401 });
  }
  return json(issueCubeToken(user, ctx.secrets.cubeApiSecret), { headers: { 'cache-control': 'no-store' } });
};
