import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { audit } from '$lib/server/audit.ts';
import { getWebContext } from '$lib/server/context.ts';
import { publicError } from '$lib/server/errors.ts';
import { sessionCookieName } from '$lib/server/session.ts';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
  // Deleting the cookie is not enough (a copy of it would stay valid until it expires): the
  // session id is revoked server-side, and hooks.server.ts refuses it from now on.
  default: async ({ cookies, locals, url }) => {
    const user = locals.user;
    const secure = getWebContext().secureCookies || url.protocol === 'https:';
    cookies.delete(sessionCookieName(secure), { path: '/', secure });
    if (user) {
      try {
        await getWebContext().sessions.revoke({ sessionId: user.sid, userId: user.sub, expiresAt: user.exp });
      } catch (err) {
        // The process still refuses the id (sessions.ts remembers it); other processes would not.
        publicError('Signing out could not be recorded in the warehouse', err, locals.requestId);
      }
      // Only a live session's sign-out is an action; a stale tab's post changes nothing.
      await audit(user, locals.requestId, { action: 'auth.sign_out', targetKind: 'user', targetIds: [user.sub], outcome: 'ok' });
    }
    redirect(303, '/signin');
  },
};
