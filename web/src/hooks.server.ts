import type { Handle, HandleServerError } from '@sveltejs/kit';
import { actionName, decide, startedByAnotherSite } from '$lib/auth/access.ts';
import { getWebContext } from '$lib/server/context.ts';
import { newRequestId, publicError, serverLog } from '$lib/server/errors.ts';
import { withSecurityHeaders } from '$lib/server/security-headers.ts';
import { checkLiveSession, type LiveSession } from '$lib/server/session-check.ts';
import { sessionCookieName, verifySession } from '$lib/server/session.ts';

/**
 * Every request: verify the session (signature, expiry, and that it is still live: account active
 * and unchanged, not signed out — answered from this process's accounts snapshot, session-check.ts); decide access on the route the router matched (event.route.id,
 * after it decoded the path) with the one table in access.ts — deny by default; add the security
 * headers to every answer, the hand-written ones included. Static assets under /_app are served by
 * adapter-node before this runs.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const requestId = newRequestId();
  event.locals.requestId = requestId;
  const ctx = getWebContext();
  // Over HTTPS only the __Host- cookie counts: a crm_session a sibling subdomain set is not ours (session.ts).
  const secure = ctx.secureCookies || event.url.protocol === 'https:';
  const cookieName = sessionCookieName(secure);
  const cookie = event.cookies.get(cookieName);
  const signed = verifySession(cookie, ctx.secrets.sessionSecret);
  let user: LiveSession | undefined;
  const t0 = performance.now();
  let checkMs: number | undefined;
  if (signed) {
    let checked;
    try {
      // From the process's accounts snapshot (session-check.ts): no warehouse read of its own on the
      // page's first byte (issue 17); sign-out and every write of a user's row in this process count at once.
      checked = await checkLiveSession(signed);
    } catch (err) {
      // Fail closed, but keep the cookie: the warehouse being down is not the user signing out.
      const message = publicError('Your session could not be checked; try again in a moment', err, requestId);
      return withSecurityHeaders(plain(503, message), requestId);
    }
    checkMs = performance.now() - t0;
    if (typeof checked === 'string') serverLog().warn({ requestId, user: signed.sub, reason: checked }, 'session refused');
    else user = checked;
  }
  if (cookie && !user) event.cookies.delete(cookieName, { path: '/', secure });
  event.locals.user = user;

  const method = event.request.method;
  const action = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? undefined : actionName(event.url);
  const routeId = event.route.id;
  if (routeId === null && user) return withSecurityHeaders(html(404, 'Page not found', '<p>There is no page at this address.</p>'), requestId);
  const verdict = decide(routeId, user?.role, action);

  if (verdict === 'sign-in') {
    const path = event.url.pathname;
    if (path.startsWith('/api/') || path.endsWith('.csv') || action !== undefined || event.request.headers.get('accept')?.includes('application/json')) {
      return withSecurityHeaders(new Response(JSON.stringify({ error: 'not signed in', requestId }), { status: 401, headers: { 'content-type': 'application/json' } }), requestId);
    }
    const next = path === '/' && !event.url.search ? '' : `?next=${encodeURIComponent(path + event.url.search)}`;
    // A client-side navigation asks for __data.json: answer in SvelteKit's data protocol so the
    // router goes to sign-in instead of failing on an HTML page.
    if (event.isDataRequest) {
      return withSecurityHeaders(new Response(JSON.stringify({ type: 'redirect', location: `/signin${next}` }), { headers: { 'content-type': 'application/json' } }), requestId);
    }
    return withSecurityHeaders(new Response(null, { status: 303, headers: { location: `/signin${next}` } }), requestId);
  }
  if (verdict === 'forbidden') {
    // Refused here, before any load, form action or endpoint of the route runs.
    return withSecurityHeaders(forbiddenPage(user!.role), requestId);
  }
  if (startedByAnotherSite(routeId, event.request.headers)) {
    // A download or token that another site's link asked for (access.ts, sameOriginGet): nothing runs, nothing is audited.
    return withSecurityHeaders(html(403, 'Start this from the dashboard', '<p>This download was started by a link on another site. Open it from the dashboard’s own page.</p>'), requestId);
  }

  const response = await resolve(event);
  // CRM_DASHBOARD_TRACE (web/server/web-trace.ts): the route only, never the path's values or the user.
  ctx.trace?.('request', { route: routeId, data: event.isDataRequest, status: response.status, checkMs: checkMs && Math.round(checkMs), firstByteMs: Math.round(performance.now() - t0) });
  if (user) response.headers.set('cache-control', 'private, no-store');
  return withSecurityHeaders(response, requestId);
};

/** Unexpected errors: the details in the log, a sentence and the request id on the page. */
export const handleError: HandleServerError = ({ error, event }) => {
  const requestId = event.locals.requestId ?? newRequestId();
  publicError('Something went wrong on the server', error, requestId);
  return { message: 'Something went wrong on the server.', requestId };
};

const plain = (status: number, body: string): Response => new Response(`${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

function html(status: number, title: string, body: string): Response {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;background:#f5f7fb;color:#1e293b;display:grid;place-items:center;min-height:100vh;margin:0}main{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:2rem;max-width:32rem}a{color:#2563eb}</style></head>
<body><main><h1>${title}</h1>${body}<p><a href="/">Back to the cockpit</a></p></main></body></html>`;
  return new Response(page, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

// The role is one of five fixed words (isRole), never user input.
const forbiddenPage = (role: string): Response => html(403, 'Not available for your role', `<p>This page is not part of the <strong>${role}</strong> role's dashboard.</p>`);
