import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { dataDirFrom } from '../lib/config.ts';
import { lineLog, partLogger } from '../lib/log.ts';
import { formatContextOf } from '../lib/format/context.ts';
import { loadConfig, type Config } from '../lib/config/schema.ts';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { setWebContext, type IngestRecordsFn, type SourceRecordView, type WebContext } from './src/lib/server/context.ts';
import { forgettingRevocations } from './src/lib/server/session-check.ts';
import { ensureWebBuild } from './server/build.ts';
import { claimBuild, currentBuildDir } from './server/build-dirs.js';
import { previousAssets } from './server/previous-assets.ts';
import { cubeGate } from './server/cube-gate.ts';
import { openWebTrace } from './server/web-trace.ts';
import { cubeProxy } from './server/cube-proxy.ts';
import { staticGuard } from './server/static-guard.ts';
import { unrebindableHost } from './server/host-check.ts';
import { sessionRevocations } from './server/sessions.ts';
import { userStore } from './server/users.ts';
import { setBaselineHeaders } from './server/baseline-headers.ts';
import { demoAccountsGate } from './server/demo-guard.ts';

export { ensureDemoUsers, setUserPassword, DEMO_PASSWORD, type DemoUser } from './server/users.ts';
export { ensureWebBuild, buildIsStale } from './server/build.ts';

/**
 * The dashboard server: adapter-node's request handler plus a same-origin proxy to Cube.
 *
 *   const web = await startWebServer({
 *     cubeUrl: semantic.url,                       // http://127.0.0.1:4000/cubejs-api
 *     warehouse: wh,                               // connectWarehouse(): user accounts, source records
 *     secrets: localSecrets(config.dataDir),       // sessionSecret, cubeApiSecret
 *   });
 *   // web.url === 'http://127.0.0.1:3000'
 *   await web.close();
 *
 * Builds web/build first when it is missing or stale (with progress lines on `log`).
 */
export interface WebServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Cube REST base as startSemanticServer() returns it, e.g. http://127.0.0.1:4000/cubejs-api (the origin alone works too) */
  cubeUrl: string;
  /** The process's connection (connectWarehouse()); `cluster` matters to ingest's loads of campaign pushes. */
  warehouse: { client: ClickHouseClient; database?: string; cluster?: string };
  secrets: { sessionSecret: string; cubeApiSecret: string };
  /** Mark cookies Secure (serve behind HTTPS). Default: true when CRM_WEB_ORIGIN is https. */
  secureCookies?: boolean;
  /** Data directory of the alerts worker and CLI (alert rules, outbox). Default: CRM_DATA_DIR, else ./.data. */
  dataDir?: string;
  /** The parsed environment (CRM_WEB_ORIGIN, CRM_WEB_PROTOCOL_HEADER, CRM_DATA_DIR). Default: loadConfig(). */
  config?: Config;
  /** Progress and errors (default: the structured log, lib/log.ts, part "web"). */
  log?: (line: string) => void;
  /**
   * Where `npm start` generated the demo data (`<CRM_DATA_DIR>/demo`): set only where demo accounts
   * with the published password are handed out. The demo accounts are then turned off once the
   * warehouse holds a load from anywhere else (web/server/demo-guard.ts).
   */
  demoDir?: string;
  /** How often the demo accounts are checked while they may be used (default 30 s; tests shorten it). */
  demoCheckMs?: number;
  /** Skip the staleness check (tests that built once). Default true. */
  build?: boolean;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const PROTOCOL_HEADER = 'x-crm-web-protocol';

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const log = opts.log ?? lineLog(partLogger('web'));
  if (!opts.secrets?.sessionSecret || opts.secrets.sessionSecret.length < 16) throw new Error('secrets.sessionSecret must be at least 16 characters');
  if (!opts.secrets.cubeApiSecret) throw new Error('secrets.cubeApiSecret is required');
  if (!/^https?:\/\//.test(opts.cubeUrl)) throw new Error(`cubeUrl must be an http(s) URL, got "${opts.cubeUrl}"`);
  if (opts.build !== false) await ensureWebBuild({ log });

  const context = await createWebContext(opts, log);
  const webTrace = openWebTrace((opts.config ?? loadConfig()).CRM_DASHBOARD_TRACE);
  if (webTrace) context.trace = webTrace.trace;
  let demoGate: ReturnType<typeof demoAccountsGate> | undefined;
  if (opts.demoDir) {
    if (!opts.warehouse.database) throw new Error('demoDir needs warehouse.database (the demo accounts are checked against its load log)');
    demoGate = demoAccountsGate(opts.warehouse.client, opts.warehouse.database, opts.demoDir, log, opts.demoCheckMs);
    context.demoAccounts = demoGate;
  }
  setWebContext(context);

  // adapter-node assumes https unless told the scheme (or given CRM_WEB_ORIGIN): without this,
  // SvelteKit's CSRF check would refuse every form posted to plain http://127.0.0.1:3000. The
  // header is set by this server on every request (a client cannot supply its own). Behind a TLS
  // proxy, set CRM_WEB_ORIGIN=https://crm.example.com (or CRM_WEB_PROTOCOL_HEADER) instead.
  const config = opts.config ?? loadConfig();
  const ownProtocolHeader = !config.CRM_WEB_ORIGIN && !config.CRM_WEB_PROTOCOL_HEADER;
  // adapter-node reads its settings from the environment itself: this is the one value we hand it.
  if (ownProtocolHeader) process.env.CRM_WEB_PROTOCOL_HEADER = PROTOCOL_HEADER;
  // adapter-node refuses to load when a variable with its prefix is not one of its own settings:
  // CRM_WEB_DEV_PORT (the port of npm run dev:web, in the configuration table) is ours, and a .env
  // holding it stopped npm start ("You should change envPrefix"). It is never read in this process.
  delete process.env.CRM_WEB_DEV_PORT;
  const markHttp = ownProtocolHeader || config.CRM_WEB_PROTOCOL_HEADER === PROTOCOL_HEADER;
  // The build's own directory, not the web/build symlink: a rebuild switches the link to a new
  // directory, and this server goes on serving the build it started with, all of it (pages and the
  // chunks its tabs load), until it restarts. Marked as in use so that pruning leaves it alone.
  const buildDir = currentBuildDir();
  if (!buildDir) throw new Error('web/build is missing: start with build enabled, or run npm run build:web');
  const releaseBuild = claimBuild(buildDir);
  const { handler } = (await import(pathToFileURL(join(buildDir, 'handler.js')).href)) as { handler: Handler };
  const proxy = cubeGate(context, cubeProxy(context.cubeUrl, { log }));
  // A built file gone or unreadable since the handler listed it answers 404/500, never ends the process.
  const guardStatic = staticGuard(join(buildDir, 'client'), log);
  // Chunks of earlier builds for tabs opened before this server's build (previous-assets.ts).
  const servePrevious = previousAssets(buildDir, log);
  const server = createServer((req, res) => {
    setBaselineHeaders(res);
    // Served directly, the origin is the Host header's: only names nobody else can re-point (host-check.ts).
    if (ownProtocolHeader && !unrebindableHost(req.headers.host)) {
      res
        .writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
        .end('This dashboard answers at 127.0.0.1 or localhost. To open it under a host name, set CRM_WEB_ORIGIN to the address people use (e.g. https://crm.example.com).\n');
      return;
    }
    if (req.url?.startsWith('/cubejs-api/')) return void proxy(req, res);
    // Browsers ask for /favicon.ico on their own (e.g. on a 403 page); the icon is an SVG.
    if (req.url === '/favicon.ico') return void res.writeHead(301, { location: '/favicon.svg' }).end();
    if (guardStatic(req, res)) return;
    if (servePrevious(req, res)) return;
    if (markHttp) req.headers[PROTOCOL_HEADER] = 'http';
    handler(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found');
    });
  });
  // Cube's first query compiles the model (a second or more); keep slow requests alive.
  server.requestTimeout = 300_000;

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      releaseBuild();
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port ?? 3000} on ${host} is in use: choose another (WEB_PORT)`) : err);
    });
    server.listen(opts.port ?? 3000, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        demoGate?.close();
        server.close(() => {
          releaseBuild();
          void webTrace?.close().then(resolve, resolve);
          if (!webTrace) resolve();
        });
        server.closeAllConnections();
        setWebContext(undefined);
      });
      return closing;
    },
  };
}

/** http://h:4000, http://h:4000/ and http://h:4000/cubejs-api all mean the API at …/cubejs-api. */
export function cubeApiBase(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/cubejs-api') ? trimmed : `${trimmed}/cubejs-api`;
}

/** What the SvelteKit server code reads through getWebContext() (also used by web/dev.ts). */
export async function createWebContext(
  opts: Pick<WebServerOptions, 'cubeUrl' | 'warehouse' | 'secrets' | 'secureCookies' | 'dataDir' | 'config'>,
  log: (line: string) => void,
): Promise<WebContext> {
  const config = opts.config ?? loadConfig();
  return {
    secrets: { sessionSecret: opts.secrets.sessionSecret, cubeApiSecret: opts.secrets.cubeApiSecret },
    cubeUrl: cubeApiBase(opts.cubeUrl),
    users: userStore(opts.warehouse.client),
    // A sign-out also ends the session in this process's session checks at once (session-check.ts).
    sessions: forgettingRevocations(sessionRevocations(opts.warehouse.client)),
    sourceRecordsOf: await sourceRecordsReader(opts.warehouse, log),
    ingestRecords: await ingestWriter(opts.warehouse, log),
    secureCookies: opts.secureCookies ?? /^https:/i.test(config.CRM_WEB_ORIGIN ?? ''),
    dataDir: opts.dataDir ?? dataDirFrom(config),
    // Amounts in the warehouse's base currency (CRM_BASE_CURRENCY), like the digests and exports.
    format: formatContextOf(config),
    warehouse: opts.warehouse,
    // SvelteKit's server code (errors.ts, hooks) logs here, with the request id of each request.
    log: partLogger('web'),
  };
}

/** Customer 360's source records through ingest's public API, when that module loads. */
async function sourceRecordsReader(
  warehouse: WebServerOptions['warehouse'],
  log: (line: string) => void,
): Promise<WebContext['sourceRecordsOf']> {
  try {
    const ingest = (await import('../ingest/index.ts')) as typeof import('../ingest/index.ts');
    return async (customerId: string): Promise<SourceRecordView[]> => {
      const records = await ingest.sourceRecordsOf(warehouse.client, customerId, { database: warehouse.database });
      return records.map((r) => ({
        source: r.source,
        sourceId: r.sourceId,
        rule: r.rule,
        matchedOn: r.matchedOn,
        matchedRecord: r.matchedRecord,
        fields: flatten(r.record ?? {}),
      }));
    };
  } catch (err) {
    log(`source records unavailable on the customer page (${(err as Error).message})`);
    return undefined;
  }
}

/** Campaign pushes' rows in ingest's tables, through ingest's public API, when that module loads. */
async function ingestWriter(warehouse: WebServerOptions['warehouse'], log: (line: string) => void): Promise<IngestRecordsFn | undefined> {
  try {
    const ingest = (await import('../ingest/index.ts')) as typeof import('../ingest/index.ts');
    // ingestRecords reads only the client, database and cluster of its Warehouse.
    const wh = warehouse as Warehouse;
    return (entity, records, opts) => ingest.ingestRecords(wh, entity, records, opts);
  } catch (err) {
    log(`campaign pushes will not be recorded: ingest unavailable (${(err as Error).message})`);
    return undefined;
  }
}

const HIDDEN_FIELDS = new Set(['source', 'source_id', 'customer_id', 'email_norm', 'phone_norm']);

function flatten(record: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) {
    if (HIDDEN_FIELDS.has(k) || v === null || v === undefined || v === '') continue;
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[k] = entries.map(([ek, ev]) => `${ek}=${String(ev)}`).join(', ');
    } else out[k] = String(v);
  }
  return out;
}
