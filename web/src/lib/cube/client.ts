import cube, { type CubeApi, type Query } from '@cubejs-client/core';
import type { CubeQuery, QueryResult, Row } from './types.ts';

/**
 * The browser's door to the semantic layer. Requests go to /cubejs-api on the dashboard's own
 * origin (web/server/cube-proxy.ts forwards them to Cube) with a short-lived token from
 * /api/cube-token, fetched when needed and renewed a minute before it expires.
 *
 * Identical queries issued within CACHE_MS share one request and one answer: several charts and
 * a back-navigation ask the same thing and the numbers only change when the warehouse is rebuilt.
 */
export const API_URL = '/cubejs-api/v1';
const CACHE_MS = 60_000;
const RENEW_BEFORE_S = 60;

interface Token {
  token: string;
  expiresAt: number;
}

let token: Token | undefined;
let tokenRequest: Promise<Token> | undefined;
let api: CubeApi | undefined;
const cache = new Map<string, { at: number; result: Promise<QueryResult> }>();

/** Thrown when the session is gone: the page sends the user to sign in. */
export class SignedOutError extends Error {
  constructor() {
    super('Your session has ended. Please sign in again.');
    this.name = 'SignedOutError';
  }
}

async function fetchToken(): Promise<Token> {
  const res = await fetch('/api/cube-token', { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' });
  if (res.status === 401) {
    const next = `${location.pathname}${location.search}`;
    location.assign(`/signin?next=${encodeURIComponent(next)}`);
    throw new SignedOutError();
  }
  if (!res.ok) throw new Error(`Could not get a data token (HTTP ${res.status})`);
  return (await res.json()) as Token;
}

/** A valid Cube token for the signed-in user. */
export async function cubeToken(): Promise<string> {
  if (token && token.expiresAt - RENEW_BEFORE_S > Date.now() / 1000) return token.token;
  tokenRequest ??= fetchToken().finally(() => {
    tokenRequest = undefined;
  });
  token = await tokenRequest;
  return token.token;
}

/**
 * A token the page brought with it (the cockpit's server load issued it for its own queries):
 * the browser's first request then needs no /api/cube-token round trip. Browser only.
 */
export function primeToken(t: Token | undefined): void {
  if (t && (!token || t.expiresAt > token.expiresAt)) token = t;
}

export function cubeApi(): CubeApi {
  api ??= cube(cubeToken, { apiUrl: API_URL });
  return api;
}

/** Turns Cube client errors into one readable line. */
export function errorMessage(err: unknown): string {
  if (err instanceof SignedOutError) return err.message;
  const e = err as { response?: { error?: string; message?: string }; message?: string };
  const text = e?.response?.error ?? e?.response?.message ?? e?.message ?? String(err);
  if (/network|failed to fetch/i.test(text)) return 'The data service cannot be reached. Check that the product is running and try again.';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Runs one query (cached for a minute) and returns plain rows keyed by member name. */
export function loadQuery(query: CubeQuery): Promise<QueryResult> {
  const key = JSON.stringify(query);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.result;
  const result = cubeApi()
    .load(query as Query)
    .then((rs) => {
      const total = rs.totalRows();
      return { rows: rs.rawData() as Row[], total: typeof total === 'number' ? total : undefined };
    });
  cache.set(key, { at: Date.now(), result });
  result.catch(() => cache.delete(key));
  if (cache.size > 300) cache.delete(cache.keys().next().value as string);
  return result;
}

/**
 * An answer the page's server load asked for `query` (null: it failed there): loadQuery() then
 * uses it instead of asking again, and asks Cube itself only when that answer failed. Browser only
 * (on the server this cache would be shared by every user).
 */
export function primeQuery(query: CubeQuery, answer: Promise<QueryResult | null>): void {
  const key = JSON.stringify(query);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return;
  const fallback = () => {
    cache.delete(key);
    return loadQuery(query);
  };
  cache.set(key, { at: Date.now(), result: answer.then((r) => r ?? fallback(), fallback) });
}

/** Forget cached answers (after a change the user made, e.g. a saved segment). */
export function clearQueryCache(): void {
  cache.clear();
}
