import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withOwnConnections, type Warehouse } from '../../lib/warehouse/index.ts';
import { inliningClient } from '../../lib/warehouse/inline-params.ts';
import { partLogger, requestIdFrom } from '../../lib/log.ts';
import { digestToken, requireSourceInScope, requireTokenScope } from './auth.ts';
import { checkDeclaredLength, contentCoding, readBody, type ContentCoding } from './body.ts';
import { errorBody, HttpError } from './errors.ts';
import { AdmissionQueue, QueueRefusal, type QueueClock, type QueueStats, type Ticket } from './queue.ts';
import { loadVariables } from '../../lib/config/schema.ts';
import { KeyedLock, legacyReplay, parseIdempotencyKey, requestDigest, storedKey, warehouseIdempotencyStore, type IdempotencyStore } from './idempotency.ts';
import { batchFormat, parseBatch, refuseConsentAttribution, refuseOwnerAssignment, type BatchFormat } from './parse.ts';
import { HTTP_ENTITIES, type HttpEntity, type IngestBatchFn } from './batch.ts';
import { PhaseClock } from './phases.ts';
import { summaryBody, summaryStatus, type BatchSummary } from './summary.ts';

export interface IngestServerOptions {
  warehouse: Warehouse;
  /** Bearer token clients must send. Required: the endpoint never runs open. */
  token: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest body accepted, on the wire and after gunzip. */
  maxBodyBytes?: number;
  maxRecords?: number;
  /** Requests loading at once; more wait in a queue (bounds memory at about this × maxBodyBytes). Default INGEST_HTTP_MAX_CONCURRENT (8). */
  maxConcurrentRequests?: number;
  /** Requests that may wait for a slot, in arrival order; beyond that 503 + Retry-After. Default INGEST_HTTP_QUEUE_LENGTH (64). */
  maxQueuedRequests?: number;
  /** Bytes the waiting requests may buffer (each counted at its Content-Length, or maxBodyBytes when gzip or chunked). Default INGEST_HTTP_QUEUE_MIB (64) MiB. */
  maxQueuedBytes?: number;
  /** Longest a request waits for a slot before a 503. Default INGEST_HTTP_QUEUE_WAIT_SECONDS (30) s. */
  maxQueueWaitMs?: number;
  /** Seam for tests: the queue's clock (timeouts, service-time estimate). */
  queueClock?: QueueClock;
  /** One line per request, with `{ requestId, status, ms }`; never given tokens or bodies. Default: the structured log (lib/log.ts, part "ingest-api"). */
  log?: (line: string, fields?: Record<string, unknown>) => void;
  /** Where an operator finds the token; part of every 401. */
  tokenHint?: string;
  /** Seams for tests: how a batch is loaded and where idempotency keys live. */
  ingest?: IngestBatchFn;
  idempotencyStore?: IdempotencyStore;
}

export interface IngestServer {
  /** Base URL, e.g. http://127.0.0.1:4100 (POST {url}/v1/ingest/transactions). */
  url: string;
  /** Requests loading and waiting right now. */
  queue(): QueueStats;
  close(): Promise<void>;
}

export const DEFAULT_TOKEN_HINT =
  'The token is INGEST_TOKEN in the server\'s environment or, when that is unset, "ingestToken" in secrets.json in the data directory (CRM_DATA_DIR, default .data/).';

/** What ingestRoute learnt from a request's line and headers before admitting it. */
interface CheckedRequest {
  entity: HttpEntity;
  format: BatchFormat;
  coding: ContentCoding;
  key: string | undefined;
  querySource: string | undefined;
  /** The one source a source token may send; undefined for the ingest token (any). */
  scope: string | undefined;
  requestId: string;
}

interface Outcome {
  status: number;
  records?: number;
  note?: string;
  /** ms per step of an admitted request (phases.ts), for the log line. */
  phases?: Record<string, number>;
}

export async function startIngestServer(opts: IngestServerOptions): Promise<IngestServer> {
  if (!opts.token) throw new Error('startIngestServer: a token is required (INGEST_TOKEN or localSecrets().ingestToken)');
  const host = opts.host ?? '127.0.0.1';
  const maxBodyBytes = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxRecords = opts.maxRecords ?? 10_000;
  const settings = loadVariables(['INGEST_HTTP_MAX_CONCURRENT', 'INGEST_HTTP_QUEUE_LENGTH', 'INGEST_HTTP_QUEUE_MIB', 'INGEST_HTTP_QUEUE_WAIT_SECONDS']);
  const queue = new AdmissionQueue(
    {
      maxConcurrent: opts.maxConcurrentRequests ?? settings.INGEST_HTTP_MAX_CONCURRENT,
      maxWaiting: opts.maxQueuedRequests ?? settings.INGEST_HTTP_QUEUE_LENGTH,
      maxWaitingBytes: opts.maxQueuedBytes ?? settings.INGEST_HTTP_QUEUE_MIB * 1024 * 1024,
      maxWaitMs: opts.maxQueueWaitMs ?? settings.INGEST_HTTP_QUEUE_WAIT_SECONDS * 1000,
    },
    opts.queueClock,
  );
  const apiLog = partLogger('ingest-api');
  const log =
    opts.log ??
    ((line: string, fields: Record<string, unknown> = {}) =>
      /^ingest-http error/.test(line) ? apiLog.error(fields, line) : /^ingest-http warning/.test(line) ? apiLog.warn(fields, line) : apiLog.info(fields, line));
  const tokenHint = opts.tokenHint ?? DEFAULT_TOKEN_HINT;
  const expected = digestToken(opts.token);
  // A batch is ~28 statements in a row; under many dashboard users each of them waited its turn
  // twice (issue 17, README "Time under load"): for one of the 10 connections of the client the
  // dashboard's session checks kept busy, so the endpoint talks over connections of its own; and
  // for the embedded engine's process-wide parameter lock, which every statement with query
  // parameters takes one after the other, so its values go as typed literals (inline-params.ts).
  const own = opts.ingest && opts.idempotencyStore ? undefined : ownWarehouse(opts.warehouse);
  const ingest = opts.ingest ?? (await defaultIngest(own!));
  const store = opts.idempotencyStore ?? warehouseIdempotencyStore(own!.client, own!.database);
  const locks = new KeyedLock();

  async function ingestRoute(req: IncomingMessage, res: ServerResponse, entityName: string, query: URLSearchParams, requestId: string): Promise<Outcome> {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST to send a batch.', { Allow: 'POST' });
    const scope = requireTokenScope(req.headers.authorization, opts.token, expected, tokenHint);
    if (!(HTTP_ENTITIES as readonly string[]).includes(entityName)) {
      throw new HttpError(404, 'unknown_entity', `Unknown entity "${entityName.slice(0, 40)}"; POST to /v1/ingest/{${HTTP_ENTITIES.join('|')}}.`);
    }
    const entity = entityName as HttpEntity;
    const format = batchFormat(req.headers['content-type']);
    const coding = contentCoding(req.headers['content-encoding']);
    checkDeclaredLength(req.headers['content-length'], maxBodyBytes);
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    const querySource = query.get('source') ?? undefined;
    requireSourceInScope(scope, querySource);

    // A plain body is counted at its declared length; a gzip or chunked one can grow to the limit.
    const declared = req.headers['content-length'];
    const reserve = coding === 'identity' && declared !== undefined ? Number(declared) : maxBodyBytes;
    const ticket = admit(reserve);
    // A client that hangs up while waiting gives its place back at once, not when its turn comes.
    const onGone = (): void => {
      if (!res.writableFinished) ticket.abandon();
    };
    res.once('close', onGone);
    try {
      return await admitted(req, res, { entity, format, coding, key, querySource, scope, requestId }, ticket);
    } finally {
      res.off('close', onGone);
      ticket.release();
    }
  }

  function admit(reserve: number): Ticket {
    try {
      return queue.enter(reserve);
    } catch (err) {
      if (err instanceof QueueRefusal) throw busy(err);
      throw err;
    }
  }

  async function admitted(
    req: IncomingMessage,
    res: ServerResponse,
    { entity, format, coding, key, querySource, scope, requestId }: CheckedRequest,
    ticket: Ticket,
  ): Promise<Outcome> {
    // Everything that can refuse the request without its body has run: only now ask for it
    // (`Expect: 100-continue`, sent by curl for large bodies), so a refused upload never happens.
    if (/\b100-continue\b/i.test(req.headers.expect ?? '')) res.writeContinue();
    // The body is read while the request waits for its turn (it counts against the queue's bytes),
    // so the sender is done uploading when the slot comes and no request timeout runs out.
    const phases = new PhaseClock();
    let body: Buffer;
    try {
      [body] = await Promise.all([readBody(req, coding, maxBodyBytes).finally(() => phases.mark('body')), ticket.granted]);
    } catch (err) {
      if (err instanceof QueueRefusal) throw busy(err);
      throw err;
    }
    phases.set('queue', ticket.waitedMs());
    phases.lap('admitted');
    const waited = ticket.waitedMs() > 0 ? ` waited=${Math.round(ticket.waitedMs())}ms` : '';
    const { source, records } = parseBatch(body, { format, querySource, maxRecords });
    requireSourceInScope(scope, source);
    if (scope !== undefined && entity === 'customers') refuseOwnerAssignment(records, format, scope);
    if (scope !== undefined && entity === 'consents') refuseConsentAttribution(records, format, scope);
    const requestSha256 = requestDigest(entity, querySource, body);
    phases.lap('parse');
    const label = key ? `http:${key}` : `http:sha256:${requestSha256.slice(0, 16)}`;
    const load = async () => {
      const summary = await ingest({ entity, source, records, label, requestSha256, viaSourceToken: scope !== undefined });
      phases.lap('load');
      return summary;
    };

    if (!key) {
      const summary = await load();
      return send(res, summaryStatus(summary), summaryBody(summary), {}, { records: records.length, note: `batch=${summary.batch_id}${waited}`, phases: phases.done() });
    }
    const stored = storedKey(key, scope);
    return locks.run(stored, async () => {
      phases.lap('keyLock');
      const prior = (await store.find(stored)) ?? (scope === undefined ? undefined : legacyReplay(await store.find(key), requestSha256));
      phases.lap('keyLookup');
      if (prior) {
        if (prior.requestSha256 !== requestSha256) {
          throw new HttpError(422, 'idempotency_conflict', 'This Idempotency-Key was already used for a different request; use a new key for a new batch.');
        }
        const summary = JSON.parse(prior.response) as BatchSummary;
        return send(res, summaryStatus(summary), summaryBody(summary), { 'Idempotent-Replayed': 'true' }, {
          records: records.length,
          note: `batch=${summary.batch_id} replayed${waited}`,
          phases: phases.done(),
        });
      }
      const summary = await load();
      try {
        await store.save(stored, { entity, batchId: summary.batch_id, requestSha256, response: JSON.stringify(summary) });
      } catch (err) {
        // The batch is loaded; answering 500 would only make the client resend it. A resend is
        // harmless (upserts by id) but would not be a replay: say so in the log.
        log(`ingest-http warning: batch ${summary.batch_id} loaded but its idempotency key was not stored: ${(err as Error).message}`, { requestId, batchId: summary.batch_id });
      }
      phases.lap('keySave');
      return send(res, summaryStatus(summary), summaryBody(summary), {}, { records: records.length, note: `batch=${summary.batch_id}${waited}`, phases: phases.done() });
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<Outcome> {
    const url = new URL(req.url ?? '/', 'http://ingest.invalid');
    if (url.pathname === '/v1/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method_not_allowed', 'Use GET.', { Allow: 'GET, HEAD' });
      return send(res, 200, { status: 'ok' });
    }
    const m = /^\/v1\/ingest\/([^/]+)\/?$/.exec(url.pathname);
    if (!m) throw new HttpError(404, 'not_found', `No route ${url.pathname.slice(0, 100)}; POST batches to /v1/ingest/{${HTTP_ENTITIES.join('|')}}.`);
    return ingestRoute(req, res, decodeSegment(m[1]!), url.searchParams, requestId);
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const path = safePath(req.url);
    // One id per request: in the answer's x-request-id, in every error body and on the log lines.
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    route(req, res, requestId)
      .catch((err: unknown) => {
        if (err instanceof HttpError) return send(res, err.status, errorBody(err, requestId), err.headers);
        log(`ingest-http error ${req.method} ${path} request=${requestId}: ${err instanceof Error ? err.message : String(err)}`, { requestId, err });
        const internal = new HttpError(500, 'internal', 'The batch could not be processed; nothing is lost by retrying it. See the server log under this request id.');
        return send(res, 500, errorBody(internal, requestId));
      })
      .then((outcome) => {
        const ms = Math.round(performance.now() - started);
        const parts = [`ingest-http ${req.method} ${path} ${outcome.status}`];
        if (outcome.records !== undefined) parts.push(`records=${outcome.records}`);
        parts.push(`${ms}ms`);
        if (outcome.note) parts.push(outcome.note);
        log(parts.join(' '), {
          requestId,
          method: req.method,
          path,
          status: outcome.status,
          ms,
          ...(outcome.records !== undefined ? { records: outcome.records } : {}),
          ...(outcome.phases ? { phases: outcome.phases } : {}),
        });
      })
      .catch(() => {
        /* the socket is gone; nothing left to answer */
      });
  };
  const server = createServer(handle);
  // With a listener Node no longer answers `100 Continue` by itself; ingestRoute does, when ready.
  server.on('checkContinue', handle);
  // Malformed HTTP never reaches a handler: answer it in JSON too (Node's default is a bare 400).
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const [status, code, text] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'bad_request', 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'bad_request', 'Request Timeout']
      : [400, 'bad_request', 'Bad Request'];
    const requestId = requestIdFrom(undefined);
    const payload = JSON.stringify({ error: { code, message: `${text}: the request is not valid HTTP/1.1 or took too long.`, requestId } });
    log(`ingest-http ${status} ${text} (${err.code ?? err.message})`, { requestId, status });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nX-Request-Id: ${requestId}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
  });
  // Slow-loris guard: a whole request (headers and body) must arrive within this time.
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4100, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await own?.close();
    throw err;
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostForUrl}:${address.port}`,
    queue: () => queue.stats(),
    close: () =>
      new Promise<void>((resolve) => {
        // Finishes in-flight requests, drops idle keep-alive sockets; a stuck client gets 10 s.
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          void (own?.close() ?? Promise.resolve()).finally(resolve);
        });
        server.closeIdleConnections();
      }),
  };
}

/** Writes a JSON answer. After an early refusal the rest of the body is not read: close instead. */
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, extra: Omit<Outcome, 'status'> = {}): Outcome {
  if (res.headersSent) {
    res.destroy();
    return { status, ...extra };
  }
  const payload = JSON.stringify(body);
  const req = res.req;
  const unread = req && !req.complete;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(unread ? { Connection: 'close' } : {}),
    ...headers,
  });
  res.end(req?.method === 'HEAD' ? undefined : payload);
  if (unread) {
    // Stop reading what the client still sends (no draining of an oversize body): once the answer
    // is flushed, close the connection.
    req.pause();
    res.once('finish', () => setTimeout(() => req.socket.destroy(), 200).unref());
  }
  return { status, ...extra };
}

/** 503 busy, with the queue's estimate of when a retry gets in. */
function busy(refusal: QueueRefusal): HttpError {
  return new HttpError(503, 'busy', `${refusal.message} Retry after ${refusal.retryAfterSeconds} s.`, { 'Retry-After': String(refusal.retryAfterSeconds) });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function safePath(url: string | undefined): string {
  // Only the path goes to the log: query strings are the client's business.
  const path = (url ?? '/').split('?')[0]!;
  return path.length > 100 ? `${path.slice(0, 100)}…` : path;
}

/** The warehouse the endpoint loads through: `warehouse`'s endpoint and user, its own connections, values as literals. */
function ownWarehouse(warehouse: Warehouse): Warehouse {
  const own = withOwnConnections(warehouse);
  return { ...own, client: inliningClient(own.client) };
}

async function defaultIngest(warehouse: Warehouse): Promise<IngestBatchFn> {
  const { pipelineIngest } = await import('./pipeline.ts');
  return pipelineIngest(warehouse);
}
