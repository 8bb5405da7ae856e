import { expect, test } from 'vitest';
import { FALLBACK_CSP, withSecurityHeaders } from './security-headers.ts';

test('a hand-written answer gets a CSP that runs nothing, and the other headers', () => {
  const r = withSecurityHeaders(new Response('<p>403</p>', { status: 403, headers: { 'content-type': 'text/html' } }), 'abc');
  const csp = r.headers.get('content-security-policy')!;
  for (const d of ["default-src 'none'", "script-src 'none'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(d);
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(r.headers.get('referrer-policy')).toBe('same-origin');
  expect(r.headers.get('x-frame-options')).toBe('DENY');
  expect(r.headers.get('x-request-id')).toBe('abc');
});

test("SvelteKit's own CSP (with its nonces) is kept", () => {
  const r = withSecurityHeaders(new Response('', { headers: { 'content-security-policy': "script-src 'self' 'nonce-x'" } }));
  expect(r.headers.get('content-security-policy')).toBe("script-src 'self' 'nonce-x'");
  expect(FALLBACK_CSP).not.toContain('unsafe-eval');
});
