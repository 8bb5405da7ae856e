import type { AccountSnapshot, AccountSnapshots } from '../../lib/accounts/account-snapshots.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import jwt from 'jsonwebtoken';
import { secretKey, tokenFromHeader, type Secret } from './auth.ts';

/**
 * A dashboard token on the semantic port ends with the session that minted it, within seconds
 * (the eighth security review left it valid for its 15 minutes after a deactivation or a role
 * change: the dashboard's gate refused it at once, a direct call to this port did not).
 *
 * The dashboard (web/src/lib/server/cube-token.ts) signs two claims beside sub, role and owner_id:
 * `sid`, a digest of the session id (the id itself stays in the HttpOnly cookie), and `siat`, the
 * session's issue time in ms. A token with `sid` is a dashboard token: it is answered only while
 * the account `sub` exists, is active, has the token's role and owner id, has not changed since
 * the session began (a password, role or activation change ends sessions in the dashboard too),
 * and the session was not signed out — web/src/lib/server/session-check.ts's rule, read here.
 * Tokens without `sid` (npm run token, the re-warm's) belong to no session and keep their
 * documented life: they read until they expire; the API secret's rotation revokes them.
 *
 * The accounts and the signed-out sessions come from lib/accounts/account-snapshots.ts (the
 * dashboard's own session check reads the same snapshot): at most one read every FRESH_MS and only
 * while dashboard tokens arrive; a request waits for a read only when the snapshot is older than
 * MAX_AGE_MS, so a change is seen within MAX_AGE_MS plus one read. A refusal by a snapshot read
 * before the token's session began (a new account signing in within the 2 s) is checked again on a
 * new read.
 */
export { AccountSnapshots, FRESH_MS, MAX_AGE_MS, REVOKED_SQL, USERS_SQL, sessionTag, snapshotOf, type AccountRow, type AccountSnapshot } from '../../lib/accounts/account-snapshots.ts';
/** How far the dashboard's clock (the session's issue time) may run ahead of this process's. */
const CLOCK_MARGIN_MS = 2_000;

/** Why a dashboard token's session is over, or undefined while it is live. */
export function sessionTokenRefusal(claims: jwt.JwtPayload, snapshot: AccountSnapshot): string | undefined {
  const account = typeof claims.sub === 'string' ? snapshot.users.get(claims.sub) : undefined;
  const again = 'sign in to the dashboard again for a new token';
  if (!account) return `Token refused: the dashboard account ${String(claims.sub)} it was issued to does not exist`;
  if (!account.active) return `Token refused: the dashboard account ${String(claims.sub)} it was issued to is deactivated`;
  if (account.role !== claims.role) return `Token refused: the account's role is no longer ${String(claims.role)}; ${again}`;
  const ownerNow = account.role === 'owner' ? account.ownerId : undefined;
  const ownerToken = claims.role === 'owner' ? claims.owner_id : undefined;
  if (ownerNow !== ownerToken) return `Token refused: the account's owner id changed since it was issued; ${again}`;
  if (typeof claims.siat !== 'number' || account.updatedMs > claims.siat) return `Token refused: the account changed (role, password or activation) after its session began; ${again}`;
  if (snapshot.revoked.has(String(claims.sid))) return `Token refused: its dashboard session was signed out; ${again}`;
  return undefined;
}

export type SessionTokenCheck = { ok: true } | { ok: false; status: 403 | 503; message: string };

/**
 * The check for one Authorization header: a token that does not verify, or carries no `sid`, is
 * left to checkAuth (which refuses the former with its reason). A snapshot that cannot be read
 * refuses dashboard tokens (fails closed) with 503.
 */
export async function checkSessionToken(header: string | undefined, secret: Secret, snapshots: AccountSnapshots): Promise<SessionTokenCheck> {
  const token = tokenFromHeader(header);
  if (!token) return { ok: true };
  let claims: string | jwt.JwtPayload;
  try {
    claims = jwt.verify(token.replace(/^Bearer\s+/i, ''), secretKey(secret), { algorithms: ['HS256'] });
  } catch {
    return { ok: true };
  }
  if (typeof claims !== 'object' || claims === null || claims.sid === undefined) return { ok: true };
  let refusal: string | undefined;
  try {
    const { snapshot, readAt } = await snapshots.get();
    refusal = sessionTokenRefusal(claims, snapshot);
    // A snapshot read before the session began may not know the account yet (new, re-activated,
    // re-roled just before signing in): such a refusal is checked once more against a new read.
    if (refusal && typeof claims.siat === 'number' && readAt < claims.siat + CLOCK_MARGIN_MS) {
      refusal = sessionTokenRefusal(claims, (await snapshots.readSince(claims.siat + CLOCK_MARGIN_MS)).snapshot);
    }
  } catch {
    return { ok: false, status: 503, message: 'The semantic layer could not check the dashboard account behind this token: ask again in a moment.' };
  }
  return refusal ? { ok: false, status: 403, message: refusal } : { ok: true };
}

type JsonResponse = ServerResponse & { json(body: unknown): unknown; status(code: number): JsonResponse };

/** Express middleware: refuses a dashboard token whose session is over, before the answer cache and Cube. */
export function sessionTokenGate(secret: Secret, snapshots: AccountSnapshots, onError: (err: Error) => void = () => {}) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    checkSessionToken(req.headers.authorization, secret, snapshots).then(
      (r) => {
        if (r.ok) return next();
        if (r.status === 503) {
          // Not through the boundary's json (a 5xx there becomes its generic sentence): this one is actionable.
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' }).end(JSON.stringify({ error: r.message, type: 'AccountCheckUnavailable', requestId: req.headers['x-request-id'] }));
          onError(new Error('the accounts snapshot could not be read'));
          return;
        }
        (res as JsonResponse).status(403).json({ error: r.message, type: 'Forbidden' });
      },
      (err: Error) => next(err),
    );
  };
}
