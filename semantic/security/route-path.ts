/**
 * The path of a request as express's router may match it, erring towards a match: the request
 * target in absolute form (`GET http://host/cubejs-api/v1/load HTTP/1.1`, which Node hands over
 * whole as req.url) reduced to its path, percent-decoded, runs of slashes as one, lower case
 * (express matches routes case-insensitively). A guard that reads req.url as it comes is one a
 * caller walks around by spelling the same route differently (fifth security review).
 */
export function routePath(url: string | undefined): string {
  const raw = url ?? '/';
  let pathname = raw.split(/[?#]/)[0];
  if (!raw.startsWith('/')) {
    try {
      pathname = new URL(raw).pathname;
    } catch {
      // Not absolute-form either: checked as it is.
    }
  }
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // An undecodable path matches no route of Cube's; the raw one is checked.
  }
  return decoded.replace(/\/+/g, '/').toLowerCase();
}
