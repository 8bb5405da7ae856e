/**
 * Headers every dashboard answer carries. Pages rendered by SvelteKit get their
 * Content-Security-Policy from kit.csp in svelte.config.js (with per-response nonces); answers that
 * SvelteKit did not render — the hooks' own 403/404/401/503, CSV exports, JSON — get FALLBACK_CSP:
 * nothing may run or load from them except their own inline style.
 */
export const FALLBACK_CSP = "default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The headers every answer carries whoever makes it (also web/server/baseline-headers.ts, for what SvelteKit does not answer). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

export function withSecurityHeaders(response: Response, requestId?: string): Response {
  const h = response.headers;
  if (!h.has('content-security-policy')) h.set('content-security-policy', FALLBACK_CSP);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) h.set(name, value);
  if (!h.has('cache-control')) h.set('cache-control', 'no-store');
  if (requestId) h.set('x-request-id', requestId);
  return response;
}
