import { isIP } from 'node:net';

/**
 * Whether a Host header names this machine in a way nobody else can re-point: an IP literal, or
 * localhost (and its subdomains, which resolvers keep on loopback). Serving directly (no
 * CRM_WEB_ORIGIN, no proxy) the dashboard takes its origin from Host, so a page on
 * evil.example whose DNS name an attacker re-points at 127.0.0.1 (DNS rebinding) was its own
 * origin: the form check passed and the page signed in with the demo accounts' published password
 * (fifth security review). A host name of one's own is served by setting CRM_WEB_ORIGIN.
 */
export function unrebindableHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host
    .trim()
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost');
}
