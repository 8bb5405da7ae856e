import type { IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId } from '../src/lib/server/errors.ts';
import { checkLiveSession, type LiveSessions } from '../src/lib/server/session-check.ts';
import { sessionCookieName, verifySession } from '../src/lib/server/session.ts';
import { cubeTokenOf, tokenMismatch } from '../src/lib/server/token-scope.ts';
import type { WebContext } from '../src/lib/server/context.ts';
import { ANSWER_HEADERS } from './cube-proxy.ts';

/** Part of the semantic API's contract (semantic/README.md, "One answer"); web reaches semantic/ only over HTTP. */
const CONTINUE_WAIT_HEADER = 'x-cube-continue-wait';

/**
 * The dashboard's door to the semantic layer (/cubejs-api on the web origin) opens only for a live
 * dashboard session whose user the Cube token belongs to. A browser's Cube token lives 15 minutes;
 * without this, a deactivated or signed-out user's open tab — or a token an injected script took —
 * kept reading through the dashboard until it expired. Cube still verifies the token itself.
 * Analysts' own tokens (npm run token) go to the semantic API's port, which production does not
 * publish on the web origin.
 *
 * The dashboard speaks Cube's protocol (@cubejs-client/core polls on "Continue wait" and shows
 * the chart loading meanwhile), so its requests ask for it: the semantic API's server-side wait
 * for plain HTTP clients (semantic/wait-for-answer.ts) would end a slow first query with a 504
 * after CRM_SEMANTIC_WAIT_SECONDS, where the dashboard can simply keep waiting.
 */
export function cubeGate(ctx: Pick<WebContext, 'secrets'> & { secureCookies?: boolean; liveSessions?: LiveSessions }, forward: (req: IncomingMessage, res: ServerResponse) => void) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Its refusals too: no-store, nosniff, no framing (the proxy sets the same on what it forwards).
    for (const [k, v] of Object.entries(ANSWER_HEADERS)) res.setHeader(k, v);
    const refuse = (message: string): void => {
      const requestId = newRequestId();
      res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId }).end(JSON.stringify({ error: message, requestId }));
    };
    const session = verifySession(sessionCookieOf(req.headers.cookie, ctx.secureCookies === true), ctx.secrets.sessionSecret);
    if (!session) return refuse('Sign in to the dashboard: its semantic API needs a dashboard session.');
    let live;
    try {
      // The process's accounts snapshot; sign-out and any change of the account in this process count at once (session-check.ts).
      live = await checkLiveSession(session, ctx.liveSessions);
    } catch {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' }).end(JSON.stringify({ error: 'The session could not be checked; try again in a moment.' }));
      return;
    }
    if (typeof live === 'string') return refuse('Your session has ended: sign in again.');
    // The token as Cube will read it must be this user's, with the role and owner id the session has now (token-scope.ts).
    const token = cubeTokenOf(req.headers.authorization);
    const mismatch = tokenMismatch(token, live);
    if (mismatch) return refuse(mismatch);
    // Cube gets exactly the token checked here, whatever else the header held.
    req.headers.authorization = `Bearer ${token}`;
    req.headers[CONTINUE_WAIT_HEADER] = 'allow';
    forward(req, res);
  };
}

/**
 * The session cookie as the pages read it (hooks.server.ts, session.ts): with an https origin only
 * the __Host- one, which a sibling subdomain cannot set. Behind a proxy that says https only in its
 * protocol header the gate does not see the scheme: the __Host- cookie first, then the plain one. A
 * plain one planted there reads nothing anyway: the tokens this gate wants come from
 * /api/cube-token, which takes only the __Host- cookie over https.
 */
function sessionCookieOf(header: string | undefined, secure: boolean): string | undefined {
  return cookieValue(header, sessionCookieName(true)) ?? (secure ? undefined : cookieValue(header, sessionCookieName(false)));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
