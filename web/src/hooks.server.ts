import type { Handle } from '@sveltejs/kit';
import { canAccess } from '$lib/auth/access.ts';
import { getWebContext } from '$lib/server/context.ts';
import { SESSION_COOKIE, verifySession } from '$lib/server/session.ts';

/**
 * Every request: read the signed session cookie; send signed-out users to sign-in (APIs and
 * exports answer 401 instead); refuse pages the role may not open (403); add security headers.
 * Static assets under /_app are served by adapter-node before this runs.
 */
const PUBLIC = new Set(['/signin', '/favicon.svg', '/health']);

export const handle: Handle = async ({ event, resolve }) => {
  const ctx = getWebContext();
  const session = verifySession(event.cookies.get(SESSION_COOKIE), ctx.secrets.sessionSecret);
  event.locals.user = session;
  const path = event.url.pathname;

  if (!session && !PUBLIC.has(path)) {
    if (session === undefined && event.cookies.get(SESSION_COOKIE)) event.cookies.delete(SESSION_COOKIE, { path: '/' });
    if (path.startsWith('/api/') || path.endsWith('.csv') || event.request.headers.get('accept')?.includes('application/json')) {
      return new Response(JSON.stringify({ error: 'not signed in' }), { status: 401, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
    }
    const next = path === '/' && !event.url.search ? '' : `?next=${encodeURIComponent(path + event.url.search)}`;
    return new Response(null, { status: 303, headers: { location: `/signin${next}` } });
  }
  if (session && !canAccess(path, session.role)) {
    // Refused here, before any load or form action of the page runs.
    return new Response(forbiddenPage(session.role), { status: 403, headers: { 'content-type': 'text/html; charset=utf-8' } });
  }

  const response = await resolve(event);
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('x-frame-options', 'DENY');
  response.headers.set('referrer-policy', 'same-origin');
  if (session) response.headers.set('cache-control', 'private, no-store');
  return response;
};

function forbiddenPage(role: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not available</title>
<style>body{font-family:system-ui,sans-serif;background:#f5f7fb;color:#1e293b;display:grid;place-items:center;min-height:100vh;margin:0}main{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:2rem;max-width:32rem}a{color:#2563eb}</style></head>
<body><main><h1>Not available for your role</h1><p>This page is not part of the <strong>${role}</strong> role's dashboard.</p><p><a href="/">Back to the cockpit</a></p></main></body></html>`;
}
