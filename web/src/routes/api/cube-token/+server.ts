import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { auditRepeatable } from '$lib/server/audit.ts';
import { getWebContext } from '$lib/server/context.ts';
import { issueCubeToken } from '$lib/server/cube-token.ts';

/**
 * A 15-minute Cube token for the signed-in user (role, owner_id). hooks.server.ts has verified on
 * this request that the session is live (account active and unchanged, not signed out), so a
 * deactivated user or a changed role stops getting data within one token lifetime.
 */
export const GET: RequestHandler = async ({ locals }) => {
  const user = locals.user;
  if (!user) return json({ error: 'not signed in', requestId: locals.requestId }, { status: 401 });
  const token = issueCubeToken(user, getWebContext().secrets.cubeApiSecret);
  // The token's subject is the user id; the token itself is never logged. Repeats within a window
  // are counted into one row (audit-repeats.ts): a script could otherwise write rows at will.
  await auditRepeatable(user, locals.requestId, { action: 'token.issue', targetKind: 'token', targetIds: [user.sub], outcome: 'ok', detail: 'dashboard, 15 minutes' });
  return json(token, { headers: { 'cache-control': 'no-store' } });
};
