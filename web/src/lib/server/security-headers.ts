/**
 * Headers every dashboard answer carries. Pages rendered by SvelteKit get their
 * Content-Security-Policy from kit.csp in svelte.config.js (with per-response nonces); answers that
 * SvelteKit did not render — the hooks' own 403/404/401/503, CSV exports, JSON — get FALLBACK_CSP:
 * nothing may run or load from them except their own inline style.
 */
export const FALLBACK_CSP = "default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function withSecurityHeaders(response: Response, requestId?: string): Response {
  const h = response.headers;
  if (!h.has('content-security-policy')) h.set('content-security-policy', FALLBACK_CSP);
  h.set('x-content-type-options', 'nosniff');
  h.set('x-frame-options', 'DENY');
  h.set('referrer-policy', 'same-origin');
  h.set('cross-origin-opener-policy', 'same-origin');
  if (!h.has('cache-control')) h.set('cache-control', 'no-store');
  if (requestId) h.set('x-request-id', requestId);
  return response;
}
