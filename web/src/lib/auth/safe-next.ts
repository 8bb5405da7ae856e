/**
 * Where to go after sign-in: only a path on this site, else '/'. Browsers forgive a lot in a
 * Location header — they strip tabs and newlines, read "\" as "/", and take "//host" as another
 * origin — so "/\t/evil.example" or "/\\evil.example" leave the site although they start with
 * one "/". The raw value must start with exactly one "/" (not "//" nor "/\"), contain no control
 * characters or backslashes (nor their percent-encoded forms, which a later decode could revive),
 * and resolve to the same origin as a relative URL. What is returned is the resolved path, so it
 * is checked again: dot segments resolve "/.//evil.example" (also "/%2e%2e//…", "/a/..//…") to
 * "//evil.example", another host to a browser (seventh security review). Nor a download or a
 * token: after the sign-in post the browser would fetch it as a same-origin request, which the
 * guard against other sites' links lets through (tenth security review).
 */
import { isSameOriginGetPath } from './access.ts';

const BASE = 'http://x';

export function safeNext(next: string | null | undefined): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return '/';
  if (next[0] !== '/' || next[1] === '/' || next[1] === '\\') return '/';
  // Control characters (tab, CR, LF, …), DEL and backslashes: raw or percent-encoded.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next) || /%(?:[01][0-9a-f]|7f|5c)/i.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE) return '/';
  // A decoded "/" at the start ("/%2F/evil") is harmless for the router but not for every proxy.
  if (/^\/(?:%2f|%5c)/i.test(next)) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (path.startsWith('//')) return '/';
  // A download or token is started from the dashboard's own pages only (access.ts, sameOriginGet).
  return isSameOriginGetPath(url.pathname) ? '/' : path;
}
