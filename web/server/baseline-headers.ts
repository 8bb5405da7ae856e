import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { FALLBACK_CSP, SECURITY_HEADERS } from '../src/lib/server/security-headers.ts';

const DEFAULT_TYPE = 'text/plain; charset=utf-8';

/** Whether writeHead's headers argument (an object, or a flat or paired array) names a content type. */
function namesType(headers: OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined): boolean {
  if (!headers) return false;
  if (Array.isArray(headers)) {
    const flat = headers.flat() as unknown[];
    return flat.some((v, i) => i % 2 === 0 && typeof v === 'string' && v.toLowerCase() === 'content-type');
  }
  return Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
}

/**
 * The security headers on every answer of the web server, set before anyone writes one: the
 * build's static files and their 404s (sirv, SvelteKit's answer for a missing `/_app/…` file), the
 * favicon redirect, the host refusal, the semantic API's proxy. Until the ninth review's follow-up
 * only what SvelteKit answered through the hooks carried them, so `/_app/…` and `/favicon.svg` went
 * without `nosniff` and a CSP, and a static 404 without a content type: a browser may sniff such an
 * answer, and one without frame-ancestors may be framed.
 *
 * Set with setHeader, so whoever answers later wins for the same name: SvelteKit's page CSP with its
 * nonces (setResponse sets each header) and sirv's (writeHead's take precedence). The fallback CSP
 * runs nothing, which is right for a script or style file too: a CSP applies to a document, and the
 * page that loads the file is governed by its own. The content type cannot be set ahead (sirv keeps
 * one already set, and served scripts as text/plain), so an answer that names none gets one as its
 * head is written.
 */
export function setBaselineHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', FALLBACK_CSP);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]): ServerResponse {
    const headers = rest.find((a) => typeof a === 'object') as OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined;
    if (statusCode !== 204 && statusCode !== 304 && !this.hasHeader('content-type') && !namesType(headers)) this.setHeader('content-type', DEFAULT_TYPE);
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as ServerResponse['writeHead'];
}
