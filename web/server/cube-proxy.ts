import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import { isRollupTableRace } from '../../lib/warehouse/sql.ts';

/**
 * Same-origin access to the semantic layer: the browser calls /cubejs-api/* on the dashboard's own
 * port and this forwards the request to Cube. In production only the web port is published; Cube
 * itself authenticates every request (the short-lived JWT from /api/cube-token).
 *
 * One repair on the way: Cube 0.33's query path and its background rollup refresh race on the
 * rollup tables in ClickHouse (one builds or drops a table version the other is about to read;
 * cube-js/cube#3832, #8546). The query then fails once with 400 "Table … doesn't exist" / "already
 * exists" and works when asked again, so those answers are retried here, a few times, before the
 * user sees anything. Cube's answer to it is 503 type RollupRebuilding (semantic/security/errors.ts).
 *
 * Error bodies pass through as Cube wrote them (a message and a request id, never internals); the
 * proxy's own errors say as little and carry a request id of their own, logged with the cause.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'cookie', 'content-length']);
const ALLOWED = /^\/cubejs-api\/(v1\/(load|meta|sql|dry-run)|graphql)(\?|\/|$)/;
/**
 * On every answer of the proxy, Cube's or its own. Cube sets none of them: its answers are the
 * customers' data (names, e-mails, values) under the dashboard's origin, so a browser must not keep
 * them on disk after sign-out (a shared computer's cache), sniff them into something executable, or
 * show them in a frame. Cube cannot override them.
 */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'private, no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};
/** Says which server software answers; of no use to the browser. */
const DROPPED = new Set(['x-powered-by']);
const MAX_REQUEST_BYTES = 1 << 20;

export interface CubeProxyOptions {
  /** Attempts for a transient rollup error (default 4). */
  attempts?: number;
  /** Pause before the next attempt, doubled each time (default 150 ms). */
  backoffMs?: number;
  /** One line per failure; `fields` carries the request id (lib/log's lineLog makes them structured). */
  log?: (line: string, fields?: { requestId: string; status?: number }) => void;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  /** The body, read whole, when the status says it is an error; otherwise the stream to pipe. */
  errorBody?: Buffer;
  stream?: IncomingMessage;
}

function readAll(stream: IncomingMessage, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        stream.destroy();
        reject(new RangeError(`request body above ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export function cubeProxy(cubeUrl: string, opts: CubeProxyOptions = {}) {
  const target = new URL(cubeUrl.replace(/\/cubejs-api\/?$/, '/'));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const attempts = Math.max(1, opts.attempts ?? 4);
  const backoffMs = opts.backoffMs ?? 150;
  const log = opts.log ?? (() => {});

  const forward = (method: string, path: string, headers: Record<string, string | string[]>, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const upstream = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, method, path, headers: { ...headers, 'content-length': String(body.length) } }, (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !DROPPED.has(k) && !Object.hasOwn(ANSWER_HEADERS, k)) out[k] = v;
        const status = up.statusCode ?? 502;
        if (status < 400) resolve({ status, headers: out, stream: up });
        else readAll(up).then((errorBody) => resolve({ status, headers: out, errorBody }), reject);
      });
      upstream.setTimeout(120_000, () => upstream.destroy(new Error('semantic layer timed out')));
      upstream.on('error', reject);
      upstream.end(body);
    });

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(ANSWER_HEADERS)) res.setHeader(k, v);
    const path = req.url ?? '/';
    if (!ALLOWED.test(path)) {
      const requestId = randomUUID();
      res.writeHead(404, { 'content-type': 'application/json', 'x-request-id': requestId }).end(JSON.stringify({ error: 'Not found: the semantic layer answers v1/load, v1/meta, v1/sql, v1/dry-run and graphql.', requestId }));
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    // One id for the proxy's log and Cube's (Cube keeps a sane x-request-id and answers with it).
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(incoming) ? incoming : randomUUID();
    headers['x-request-id'] = requestId;
    try {
      const body = await readAll(req, MAX_REQUEST_BYTES);
      for (let attempt = 1; ; attempt++) {
        const up = await forward(req.method ?? 'GET', path, headers, body);
        if (up.stream) {
          res.writeHead(up.status, up.headers);
          up.stream.pipe(res);
          return;
        }
        const text = up.errorBody!.toString('utf8');
        const transient = (up.status === 503 && /"type"\s*:\s*"RollupRebuilding"/.test(text)) || (up.status === 400 && isRollupTableRace(text));
        if (transient && attempt < attempts) {
          log(`semantic layer: rollup table race (attempt ${attempt} of ${attempts}), asking again: ${text.slice(0, 300)}`, { requestId, status: up.status });
          await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
          continue;
        }
        // Errors are logged without the query string: it can carry filter values about customers.
        log(`semantic layer answered ${up.status} for ${path.split('?')[0]}: ${text.slice(0, 300)}`, { requestId, status: up.status });
        res.writeHead(up.status, up.headers).end(up.errorBody);
        return;
      }
    } catch (err) {
      const tooLarge = err instanceof RangeError;
      log(`semantic layer request ${requestId} failed in the proxy: ${(err as Error).message}`, { requestId });
      if (!res.headersSent) res.writeHead(tooLarge ? 413 : 502, { 'content-type': 'application/json', 'x-request-id': requestId });
      res.end(JSON.stringify({ error: tooLarge ? 'The request body is larger than 1 MB.' : 'The semantic layer is not reachable. Try again in a moment.', requestId }));
    }
  };
}
