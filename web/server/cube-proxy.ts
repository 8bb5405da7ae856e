import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Same-origin access to the semantic layer: the browser calls /cubejs-api/* on the dashboard's own
 * port and this forwards the request to Cube. In production only the web port is published; Cube
 * itself authenticates every request (the short-lived JWT from /api/cube-token).
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'cookie']);
const ALLOWED = /^\/cubejs-api\/(v1\/(load|meta|sql|dry-run)|graphql)(\?|\/|$)/;

export function cubeProxy(cubeUrl: string) {
  const target = new URL(cubeUrl.replace(/\/cubejs-api\/?$/, '/'));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    if (!ALLOWED.test(path)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const upstream = send(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path, headers },
      (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      },
    );
    upstream.setTimeout(120_000, () => upstream.destroy(new Error('semantic layer timed out')));
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `semantic layer unavailable: ${err.message}` }));
    });
    req.pipe(upstream);
  };
}
