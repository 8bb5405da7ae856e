import { rmSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { privateDir, tightenDataDir } from '../../config.ts';
import { runQuery } from './chdb-native.ts';
import { dataDirInUse, isAlive, lockHolder, readEndpoint, removeEndpoint, writeEndpoint } from './data-dir.ts';
import { EngineError, toEngineError } from './errors.ts';
import { authenticationFailed, credentialsMatch, parseRequestOptions, readCredentials, type RequestOptions } from './http-request.ts';
import { sendError, sendText } from './http-response.ts';
import { HttpSessions, type HttpSessionStats, type SessionClock } from './http-sessions.ts';
import { boundedSettings, type Access, type EndpointUser } from './privileges.ts';
import { openTrace } from './request-trace.ts';
import { runRequest, type EngineInfo } from './run-request.ts';
import { SessionPool, type Lane, type PoolStats } from './session-pool.ts';

/**
 * The embedded default of the warehouse: a ClickHouse-HTTP endpoint on loopback, backed by chdb
 * (ClickHouse in-process) with its data in one directory. Ingest, models, Cube and the web app
 * reach it exactly as they would reach a real server.
 */

export interface EmbeddedServerOptions {
  dataDir: string;
  /** Loopback only unless allowRemote (default 127.0.0.1). */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The admin: may do anything (migrations, CREATE DATABASE). */
  user: string;
  password: string;
  /**
   * Least-privileged users (writer, semantic, reader), held to their role's rights on `database`
   * by the endpoint itself (see privileges.ts): chdb has no access control of its own.
   */
  users?: EndpointUser[];
  /** The product database the users' rights refer to; required with `users`. */
  database?: string;
  /** chdb Sessions, i.e. queries that run at once (default 4). */
  poolSize?: number;
  /**
   * Sessions of the pool that Cube's queries (the semantic user) and background work never hold, so
   * the product's own short statements find one free (default 1; 0: one first-come queue for all).
   */
  reservedSessions?: number;
  /** Append one line of timings per request to this file (request-trace.ts). */
  traceFile?: string;
  /** Longest a statement of the reader or the semantic user runs, seconds (default MAX_EXECUTION_SECONDS, privileges.ts). */
  maxExecutionSeconds?: number;
  /** Requests that may wait for a Session before new ones are refused (default 256). */
  maxQueued?: number;
  /** Listen on a non-loopback address and accept non-loopback clients. Off by default: think twice. */
  allowRemote?: boolean;
  /** The timers HTTP sessions expire by (default: real ones; tests pass a manual clock). */
  sessionClock?: SessionClock;
}

/** What the endpoint is doing right now: for diagnostics, and for tests to wait on states rather than time. */
export interface EmbeddedStats {
  pool: PoolStats;
  httpSessions: HttpSessionStats;
  /** INSERT statements the engine has written since the start (their rows are visible). */
  inserts: number;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  dataDir: string;
  stats(): EmbeddedStats;
  /** Starts counting stats().pool.peakBusy afresh. */
  resetPeak(): void;
  /**
   * Resolves with the stats once `ready(stats)` holds, checked now and after every change of the
   * pool or the HTTP sessions; `signal` gives up (rejects with its reason).
   */
  whenStats(ready: (stats: EmbeddedStats) => boolean, signal?: AbortSignal): Promise<EmbeddedStats>;
  /** Stops accepting, lets running queries finish (briefly), releases the engine and the directory. */
  close(): Promise<void>;
}

/**
 * Settings whose chdb value differs from clickhouse-server's default (the engine's own `default`
 * column in system.settings: `SELECT name, value, default FROM system.settings WHERE value != default`
 * on a bare chdb session), set back so that code developed on the embedded warehouse behaves the
 * same against a real server. See the README's table. The engine is 26.7, whose server defaults
 * already are output_format_json_quote_64bit_integers=0 (since 25.8) and
 * date_time_input_format=best_effort (since 26.5), the same as chdb's: nothing to override there.
 */
const SERVER_DEFAULTS = [
  // chdb runs a bare expression as a SELECT (`invalid` → unknown identifier); a server answers a syntax error.
  '--implicit_select=0',
  // chdb allows addressToLine/demangle & co; a server refuses them (ACCESS_DENIED) unless enabled.
  '--allow_introspection_functions=0',
  // chdb reads files with mmap; a server with pread (only file()/File tables, admin-only here).
  '--storage_file_read_method=pread',
  // chdb keeps the Apache Arrow library writer; a 26.7 server writes Arrow/ArrowStream natively.
  '--output_format_arrow_use_native_writer=1',
];

/** How long close() lets running requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;

/** chdb binds one data directory per process; this is the one this process serves, if any. */
let serving: { dataDir: string; url: string } | undefined;

/**
 * Whether `url` is the endpoint this process serves, i.e. its engine runs in this process (a
 * statement then ends with the process; one sent to another process's engine runs on after a kill).
 */
export function servedByThisProcess(url: string): boolean {
  if (!serving) return false;
  try {
    return new URL(serving.url).host === new URL(url).host;
  } catch {
    return false;
  }
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || (isIP(host) !== 0 && isLoopbackAddress(host));
}

/** GET <url>/ping answered `Ok.` within the timeout. */
function pings(url: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const req = get(new URL('/ping', url), { agent: false, timeout: timeoutMs, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(res.statusCode === 200 && body.startsWith('Ok.')));
      res.on('error', () => done(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
  });
}

/**
 * The URL of the endpoint another process (or this one) serves for `dataDir`, if it is alive and
 * answering; a stale endpoint.json (dead pid, no answer) is ignored.
 */
export async function findRunningEndpoint(dataDir: string): Promise<string | undefined> {
  const record = readEndpoint(resolve(dataDir));
  if (!record || !isAlive(record.pid)) return undefined;
  return (await pings(record.url)) ? record.url : undefined;
}

async function openPool(dataDir: string, size: number, reserved: number, maxQueued: number, onChange: () => void): Promise<SessionPool> {
  try {
    return await SessionPool.open({ dataDir, size, reserved, maxQueued, connectionArgs: SERVER_DEFAULTS, onChange });
  } catch (error) {
    // chdb's ChdbConnectionError (not exported): the directory lock is held, or another one is open here.
    if ((error as { code?: unknown }).code !== 'CHDB_CONNECTION') throw error;
    const holder = lockHolder(dataDir);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      const record = readEndpoint(dataDir);
      throw dataDirInUse(dataDir, holder, record?.pid === holder ? record.url : undefined);
    }
    throw new Error(`cannot open the embedded warehouse in ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
}

async function engineInfo(pool: SessionPool): Promise<EngineInfo> {
  const pooled = await pool.acquire();
  try {
    const text = async (sql: string): Promise<string> => Buffer.from((await runQuery(pooled.session, sql, 'TabSeparated')).bytes).toString('utf8').trim();
    const [version, timezone] = (await text('SELECT version(), timezone()')).split('\t');
    const formats = (await text('SELECT lower(name), is_input, is_output FROM system.formats')).split('\n').map((line) => line.split('\t'));
    return {
      version,
      timezone,
      displayName: hostname(),
      inputFormats: new Set(formats.filter(([, input]) => input === '1').map(([name]) => name)),
      outputFormats: new Set(formats.filter(([, , output]) => output === '1').map(([name]) => name)),
    };
  } finally {
    pool.release(pooled);
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is already in use: stop what listens there, or set CRM_EMBEDDED_PORT to another port (0 picks a free one)`)
          : error,
      );
    });
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      done(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** The header a client sends to run its statements in the background lane (the derived refresher does). */
export const LANE_HEADER = 'x-crm-lane';

/**
 * The queue a request waits in. Cube connects as the semantic user, analysts' notebooks and BI tools
 * as the reader: analytic. The product lane is the writer's and the admin's, held by the product's
 * own processes only; a reader there took the session kept for page views' session checks (fifth
 * security review). A client may ask for the background lane by header, never for a better one
 * than its user's.
 */
function laneOf(access: Access | undefined, header: string | string[] | undefined): Lane {
  if (header === 'background') return 'background';
  return access?.role === 'semantic' || access?.role === 'reader' ? 'analytic' : 'product';
}

const NO_HANDLER =
  'There is no handle {path}\n\nUse / or /ping for health checks.\n\nSend queries with POST method or GET /?query=...\n';

interface KnownUser {
  credentials: { user: string; password: string };
  /** Absent for the admin. */
  access?: Access;
}

function usersOf(options: EmbeddedServerOptions): KnownUser[] {
  const all: KnownUser[] = [{ credentials: { user: options.user, password: options.password } }];
  const names = new Set([options.user]);
  for (const u of options.users ?? []) {
    if (u.role === 'admin') throw new Error(`embedded warehouse user ${u.name}: the admin is the one in user/password; other users get the role writer, semantic or reader`);
    if (!options.database) throw new Error('the embedded warehouse needs the product database (option database) to know what its users may touch');
    if (names.has(u.name)) throw new Error(`embedded warehouse user ${u.name} is configured twice: give every role its own user name`);
    if (!u.password) throw new Error(`embedded warehouse user ${u.name} has no password`);
    names.add(u.name);
    all.push({ credentials: { user: u.name, password: u.password }, access: { user: u.name, role: u.role, database: options.database } });
  }
  return all;
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  if (!options.allowRemote && !isLoopbackHost(host)) {
    throw new Error(`refusing to serve the embedded warehouse on ${host}: it listens on loopback only unless allowRemote is set`);
  }
  if (serving) {
    if (serving.dataDir === dataDir) throw dataDirInUse(dataDir, process.pid, serving.url);
    throw new Error(`this process already serves the embedded warehouse from ${serving.dataDir}; chdb opens one data directory per process`);
  }
  privateDir(dataDir);
  tightenDataDir(dataDir);
  // Ask the advertised owner first: it answers faster and more clearly than chdb's lock failure.
  const advertised = readEndpoint(dataDir);
  if (advertised && advertised.pid !== process.pid && isAlive(advertised.pid) && (await pings(advertised.url))) {
    throw dataDirInUse(dataDir, advertised.pid, advertised.url);
  }

  // The engine creates these lazily (at the first table) with its own modes; made first, they stay
  // private: store/ holds every table's data, the users' password hashes among them.
  for (const engineDir of ['store', 'metadata', 'data']) privateDir(join(dataDir, engineDir));
  // Waiters of whenStats(), told after every change of the pool or the HTTP sessions.
  const watchers = new Set<() => void>();
  const changed = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  const pool = await openPool(dataDir, Math.max(1, options.poolSize ?? 4), options.reservedSessions ?? 1, options.maxQueued ?? 256, changed);
  let engine: EngineInfo;
  try {
    engine = await engineInfo(pool);
  } catch (error) {
    await pool.close();
    throw error;
  }
  // Pieces of large INSERTs pass through here (run-request.ts); a killed process may leave some.
  const spoolDir = join(dataDir, 'insert-spool');
  rmSync(spoolDir, { recursive: true, force: true });
  privateDir(spoolDir);

  const users = usersOf(options);
  const sessions = new HttpSessions(pool, { clock: options.sessionClock, onChange: changed });
  let inserts = 0;
  const inserted = (): void => {
    inserts++;
    changed();
  };
  const stats = (): EmbeddedStats => ({ pool: pool.stats(), httpSessions: sessions.stats(), inserts });
  const whenStats = (ready: (s: EmbeddedStats) => boolean, signal?: AbortSignal): Promise<EmbeddedStats> =>
    new Promise((resolve, reject) => {
      const stop = (): void => {
        watchers.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        stop();
        reject(signal?.reason);
      };
      // Runs inside the pool's and the sessions' bookkeeping: it must not throw into them.
      const check = (): void => {
        try {
          const now = stats();
          if (!ready(now)) return;
          stop();
          resolve(now);
        } catch (error) {
          stop();
          reject(error);
        }
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      watchers.add(check);
      check();
    });
  const inFlight = new Set<Promise<void>>();
  const tracing = openTrace(options.traceFile);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/ping' || url.pathname === '/replicas_status') return sendText(res, 200, 'Ok.\n', engine);
    if (url.pathname !== '/') return sendText(res, 404, NO_HANDLER.replace('{path}', url.pathname), engine);
    if (method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if ((method === 'GET' || method === 'HEAD') && !url.searchParams.has('query')) return sendText(res, 200, 'Ok.\n', engine);
    let request: RequestOptions | undefined;
    try {
      if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
        throw EngineError.of('BAD_ARGUMENTS', `HTTP method ${method} is not supported; use GET or POST`);
      }
      const given = readCredentials(req.headers, url.searchParams);
      // Compared with every user, so timing does not tell which names exist.
      const matches = users.filter((u) => credentialsMatch(given, u.credentials));
      if (matches.length !== 1) throw authenticationFailed(given.user);
      request = parseRequestOptions(url, method, req.headers);
      // The reader's and the semantic user's statements end in the engine within the bound, whatever the request asks.
      request.settings = boundedSettings(matches[0].access, request.settings, options.maxExecutionSeconds);
      const lane = laneOf(matches[0].access, req.headers[LANE_HEADER]);
      await runRequest(req, res, request, { pool, engine, spoolDir, access: matches[0].access, user: matches[0].credentials.user, sessions, inserted, lane, trace: tracing?.trace });
    } catch (error) {
      sendError(res, toEngineError(error), engine, request?.queryId, request?.responseEncoding);
    }
  };

  // Long query_params travel in the URL: allow what ClickHouse does (http_max_uri_size, 1 MiB)
  // rather than Node's 16 KiB. No request timeout: inserts of hundreds of MB take a while.
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 10_000, maxHeaderSize: 1 << 20 }, (req, res) => {
    if (!options.allowRemote && !isLoopbackAddress(req.socket.remoteAddress)) {
      req.socket.destroy();
      return;
    }
    const done = handle(req, res).catch(() => {
      res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  server.on('connection', (socket) => {
    // Refuse before reading a byte: the endpoint is for this machine only.
    if (!options.allowRemote && !isLoopbackAddress(socket.remoteAddress)) socket.destroy();
  });

  let port: number;
  try {
    port = await listen(server, host, options.port);
  } catch (error) {
    await pool.close();
    throw error;
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  serving = { dataDir, url };
  writeEndpoint(dataDir, { pid: process.pid, url, startedAt: new Date().toISOString() });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      removeEndpoint(dataDir, process.pid);
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      const grace = new Promise<void>((done) => setTimeout(done, CLOSE_GRACE_MS).unref());
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      server.closeAllConnections();
      await Promise.allSettled([...inFlight]);
      await stopped;
      sessions.close();
      await pool.close();
      await tracing?.close();
      serving = undefined;
    })());

  return { url, port, dataDir, stats, resetPeak: () => pool.resetPeak(), whenStats, close };
}
