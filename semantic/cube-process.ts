/**
 * The Cube process. startSemanticServer() (semantic/server.ts) forks this file with a complete
 * CUBEJS_* environment; it can also run on its own (`tsx semantic/cube-process.ts`) with the same
 * variables, e.g. in a container.
 *
 * Why a separate process: Cube reads much of its configuration (limits, NODE_ENV, dev mode) from
 * process.env and keeps global state; isolating it keeps `npm start`'s other servers free of
 * CUBEJS_* side effects and NODE_ENV=production, and a Cube crash from taking them down.
 *
 * Why not CubejsServer.listen(): it binds every interface (it takes a port only); this binds the
 * configured host (127.0.0.1 by default) with the same express app Cube builds.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AuthError, SQL_ROLES, secretKey, tokenFromHeader, verifyToken, type Role } from './security/auth.ts';
import { publicError, requestIdFor } from './security/errors.ts';
import { guardQuery, type CubeQuery } from './security/query-guard.ts';
import { timeMembers } from './security/time-members.ts';
import { queryFanoutGuard } from './security/query-fanout.ts';
import { accountQueues } from './security/account-queues.ts';
import { routePath } from './security/route-path.ts';
import { AccountSnapshots, REVOKED_SQL, USERS_SQL, checkSessionToken, sessionTokenGate, snapshotOf } from './security/account-check.ts';
import { CONTINUE_WAIT_HEADER, waitForAnswer } from './wait-for-answer.ts';
import { DATA_VERSION_RENEWAL_SECONDS, parseTableVersions, tableVersionsSql, withDataVersionKeys, type QueryClass } from './refresh-keys.ts';
import { ModelReads, ReadSets, TABLE_DEFINITIONS_SQL, type TableDefinition } from './tables-read.ts';
import { AnswerStore, KEY_QUERY_MARGIN_MS, answerCache, answerKeyOf, dataVersionReader, isComplete } from './answer-cache.ts';
import { writerBusySql } from './derived/auto-refresh.ts';
import { AskedRequests, WARM_HEADER, replayRequest, rewarmOnChange, warmUp, type AskedRequest } from './warm-up.ts';
import { createLogger } from '../lib/log.ts';
import { keyId, openTrace, traceFields } from './trace.ts';
import { loadConfig } from '../lib/config/schema.ts';

const require = createRequire(import.meta.url);
// Cube 0.33 is CommonJS without usable ESM types; the surface used here is small and typed below.
const { CubejsServerCore } = require('@cubejs-backend/server-core') as { CubejsServerCore: new (opts: object) => CubeCore };
const { ClickHouseDriver } = require('@cubejs-backend/clickhouse-driver') as { ClickHouseDriver: new (cfg: object) => DriverBase };
const { formatMySql } = require('@cubejs-backend/shared') as { formatMySql(sql: string, values: unknown[]): string };
const { CubejsHandlerError } = require('@cubejs-backend/api-gateway') as {
  CubejsHandlerError: new (status: number, type: string, message: string) => Error;
};
// Cube's ClickHouse dialect, from the schema compiler server-core itself loads.
const { ClickHouseQuery } = createRequire(require.resolve('@cubejs-backend/server-core'))('@cubejs-backend/schema-compiler/dist/src/adapter/ClickHouseQuery.js') as {
  ClickHouseQuery: QueryClass;
};
// The express and cors that @cubejs-backend/server itself uses.
const serverRequire = createRequire(require.resolve('@cubejs-backend/server'));
const express = serverRequire('express') as ExpressFactory;
const cors = serverRequire('cors') as (opts: object) => Middleware;

interface DriverBase {
  query(sql: string, values?: unknown[], options?: object): Promise<unknown[]>;
  command(sql: string, options?: object): Promise<void>;
}

/**
 * Cube 0.33's orchestrator builds pre-aggregations through driver.query() (CREATE TABLE … AS
 * SELECT, ALTER TABLE … ADD INDEX), which the 1.7 driver sends as a SELECT expecting JSON back; a
 * DDL statement answers with an empty body ("Unexpected end of JSON input"). Statements that return
 * no rows go through the driver's command() instead.
 */
class ClickHouseDriverFor033 extends ClickHouseDriver {
  /**
   * `maxExecutionSeconds`: the engine stops a statement after this long (max_execution_time), the
   * time Cube waits for it. Without it a statement Cube had given up on ran to its end: the embedded
   * engine cannot interrupt a grouped query when the client hangs up, and Cube meanwhile started the
   * next one of its queue, so abandoned heavy queries took every engine session and page views'
   * session checks waited minutes (fifth security review, test/security/abandoned-queries.test.ts).
   */
  constructor(config: { requestTimeout: number; maxExecutionSeconds?: number }) {
    super(config);
    const self = this as unknown as { readOnlyMode?: boolean; config: { clickhouseSettings: Record<string, unknown> } };
    // A readonly=1 server user may not send settings (the driver leaves its own out then too).
    if (config.maxExecutionSeconds && !self.readOnlyMode) self.config.clickhouseSettings.max_execution_time = config.maxExecutionSeconds;
    // The reporting time zone is UTC (README "Time zones"), like the product's own connections
    // (lib/warehouse/index.ts). Cube turns a Date column into a time with toDateTime() in the
    // session's zone: on a server (or an embedded engine on a machine) east of UTC every cohort
    // month read a month early (2024-01-01 00:00 in Tokyo is 2023-12-31 in UTC).
    if (!self.readOnlyMode) self.config.clickhouseSettings.session_timezone = 'UTC';
  }

  override async query(sql: string, values: unknown[] = [], options?: object): Promise<unknown[]> {
    if (/^\s*(CREATE|ALTER|DROP|INSERT|RENAME|TRUNCATE|OPTIMIZE)\b/i.test(sql)) {
      await this.command(formatMySql(sql, values), options);
      return [];
    }
    return super.query(sql, values, options);
  }
}

interface CubeCore {
  initApp(app: unknown): Promise<void>;
  shutdown(): Promise<unknown>;
}
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  use(...handlers: unknown[]): void;
  disable(name: string): void;
}
type ExpressFactory = (() => ExpressApp) & { json(opts: object): Middleware };
interface JsonResponse extends ServerResponse {
  json(body: unknown): unknown;
  status(code: number): JsonResponse;
}

// This process's entry: the environment semantic/server.ts built, parsed once (lib/config/schema.ts).
// Cube itself reads the CUBEJS_DB_* driver variables from the same environment.
const env = loadConfig();
const need = (name: 'CUBEJS_API_SECRET' | 'CUBEJS_SCHEMA_PATH' | 'CUBEJS_DB_NAME'): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const apiSecret = need('CUBEJS_API_SECRET');
/** The secret as a key object for every verification and replay token here (security/auth.ts: secretKey). */
const apiKey = secretKey(apiSecret);
const host = env.CRM_SEMANTIC_HOST;
const port = env.CRM_SEMANTIC_PORT;
const maxRows = env.CUBEJS_DB_QUERY_LIMIT;
const timeoutSeconds = env.CUBEJS_DB_QUERY_TIMEOUT;
const logLevel = env.CUBEJS_LOG_LEVEL;
/** How long /load and /graphql hold a request for its answer (wait-for-answer.ts). */
const waitSeconds = env.CRM_SEMANTIC_WAIT_SECONDS;
/**
 * How long Cube itself holds one request before "Continue wait" (its default is 5 s): the
 * granularity of that wait, and the polling interval of a client that polls itself.
 */
const pollSeconds = Math.max(1, Math.min(5, Math.ceil(waitSeconds)));
/**
 * Seconds between background checks of the rollups' refresh keys. Always on: without the refresh
 * scheduler Cube 0.33 treats the instance as a pure API node and refuses (instead of building) a
 * query whose rollup is not built yet.
 */
const refreshSeconds = Math.max(1, env.CRM_SEMANTIC_REFRESH_SECONDS);
/** Budget of the answers shared across users (semantic/answer-cache.ts); 0 turns the cache off. */
const answerCacheBytes = env.CRM_SEMANTIC_ANSWER_CACHE_MB * 1024 * 1024;
/**
 * How often the data version is read (answer-cache.ts): a metadata lookup of system.tables. Once a
 * second, so a publish is seen within a second (the re-warm starts from then) instead of within
 * Cube's key renewal of 5 s; requests in between share the last read.
 */
const VERSION_READ_MS = 1000;
/**
 * Queries Cube sends the warehouse at once (its orchestrator queue), and rollup builds at once (the
 * pre-aggregation queue); semantic/server.ts passes the number (CRM_SEMANTIC_QUERY_CONCURRENCY).
 * The ClickHouse driver's default is 10 each. Against the embedded warehouse — a pool of 4 engine
 * sessions with one FIFO queue, on 2 cores — that let Cube hold every session and queue ~16 more
 * analytical queries (seconds each) in front of every statement of the product itself: each page
 * view's session check waited up to 16 s and a 1,000-row HTTP load, ~20 statements in a row each
 * queued at the back, 20–29 s (bench:load --load-every 15 at 10M, issue 17; the endpoint's
 * per-request timings). There two at a time already keep both cores busy (each query uses every
 * core), a third adds nothing but queueing; one rollup build at a time. Cube then holds at most 3
 * of the 4 sessions and queues the rest in its own queue, by priority, where they wait anyway. A
 * ClickHouse server has its own cores and sessions: bin/start.ts gives it Cube's usual 10.
 */
const QUERY_CONCURRENCY = env.CRM_SEMANTIC_QUERY_CONCURRENCY || 2;
const ROLLUP_BUILD_CONCURRENCY = Math.max(1, Math.floor(QUERY_CONCURRENCY / 2));
/** Re-warm replays in flight at once after a data change (warm-up.ts, rewarmOnChange): the users' own misses share the engine's two cores with them. */
const REWARM_CONCURRENCY = 2;
/**
 * The staleness bound (answer-cache.ts): after the data changes, a key's earlier answer is served
 * until its new one is kept by the re-warm, and never later than this after the change was first
 * seen. Chosen so a load is in every cockpit answer within ~30 s of its derived refresh committing,
 * while the re-warm at 10M transactions (~300 answers per change for 20 owners and the executives)
 * finishes inside it (bench:load --load-every 15).
 */
const MAX_STALE_MS = 30_000;
/**
 * The longest a change waits for its writer before it is published (dataVersionReader's hold): a
 * load and the derived refresh it triggers normally publish as one version; a refresh that takes
 * longer publishes the load first. Half the staleness bound, so the re-warm has the other half.
 */
const MAX_HOLD_MS = MAX_STALE_MS / 2;
/** How long a request that found only a stale answer waits for Cube's new one before the stale one is served. */
const STALE_WAIT_MS = 1000;
/** Those waits' Cube requests at once (beyond: the stale answer at once; the re-warm renews the key). */
const MAX_REVALIDATIONS = 4;
/**
 * After a failed read of the table definitions (tables-read.ts) the next try waits this long, doubled
 * after each failure up to DEFINITIONS_RETRY_MAX_MS (a server that hides the definitions from this
 * user is not asked every second); meanwhile every answer reads everything. A read that failed once
 * on a busy engine is retried within seconds: until it works, every change makes every answer due.
 */
const DEFINITIONS_RETRY_MS = 2_000;
const DEFINITIONS_RETRY_MAX_MS = 60_000;
/** How long a request waits for a due data-version read before the last version read answers it. */
const VERSION_WAIT_MS = 250;
/** Requests asked within this window are re-warmed: what people look at now (a browser's token lives 15 minutes). */
const REWARM_RECENT_MS = 15 * 60_000;

/**
 * One JSON line per event on stderr, with lib/log.ts's fields (level, time, pid, part, msg,
 * requestId — Cube's own name for it) and its redaction; the parent (semantic/server.ts) passes
 * them on. CUBEJS_LOG_LEVEL chooses what Cube reports; tokens never, SQL only at trace level.
 */
const cubeLog = createLogger({ format: 'json', level: 'trace' }).child({ part: 'semantic' });
/** CRM_SEMANTIC_TRACE: every event of Cube's orchestrator and of our layers, timed (semantic/trace.ts). */
const trace = openTrace(env.CRM_SEMANTIC_TRACE);
function logger(msg: string, params: Record<string, unknown> = {}): void {
  trace?.(msg, traceFields(params));
  const { error, warning, token: _token, query, values: _values, ...rest } = params;
  const important = Boolean(error || warning);
  if (!important && logLevel !== 'info' && logLevel !== 'trace') return;
  if (!important && logLevel === 'info' && !['Load Request Success', 'Query Rewrite completed'].includes(msg)) return;
  const line: Record<string, unknown> = { ...rest };
  if (error) line.error = String(error).split('\n').slice(0, 3).join(' | ');
  if (warning) line.warning = warning;
  if (logLevel === 'trace' && query) line.query = query;
  if (error) cubeLog.error(line, msg);
  else if (warning) cubeLog.warn(line, msg);
  else cubeLog.info(line, msg);
}

/**
 * Every answer of the API passes here. Cube 0.33 puts stack traces, server paths, generated SQL and
 * ClickHouse's exception text (with that SQL) into error bodies, on REST and GraphQL alike; the
 * client gets a message it can act on and a request id instead (security/errors.ts), the original
 * goes to the log under that id. The id is also the one Cube logs (it reads x-request-id).
 *
 * Also the gate of /v1/sql: Cube 0.33 has no API scope of its own for it (it is under `data`, with
 * /v1/load), so the role check sits here, on a token verified exactly as checkAuth does.
 */
const SQL_PATH = /\/v1\/sql\/?$/;
const HEALTH_PATH = /^\/(readyz|livez)\/?$/;
const apiBoundary: Middleware = (req, res, next) => {
  const requestId = requestIdFor(req.headers['x-request-id']);
  req.headers['x-request-id'] = requestId;
  res.setHeader('x-request-id', requestId);
  const path = routePath(req.url);
  const r = res as JsonResponse;
  const json = r.json.bind(r);
  r.json = (body: unknown) => {
    const b = body as { error?: unknown; errors?: unknown; type?: unknown; stack?: unknown } | null;
    if (b && typeof b === 'object' && Array.isArray(b.errors)) {
      // GraphQL (express-graphql): one message per error; the status is graphql's unless ours is clearer.
      const pubs = (b.errors as { message?: unknown }[]).map((e) => {
        const raw = String(e?.message ?? '');
        logError(requestId, r.statusCode, path, raw, undefined);
        return { e, pub: publicError(raw, 400, undefined, limits) };
      });
      if (pubs.length === 0) return json(body);
      if (r.statusCode >= 500) r.status(pubs[0].pub.status);
      const errors = pubs.map(({ e, pub }) => ({ ...e, message: pub.error, extensions: { requestId, type: pub.type } }));
      return json({ ...b, errors, error: errors[0].message, requestId });
    }
    // Health probes answer {"health":"DOWN"} with 500 for orchestrators to read as it is.
    if (r.statusCode < 400 || !b || typeof b !== 'object' || HEALTH_PATH.test(path)) return json(body);
    const raw = typeof b.error === 'string' ? b.error : JSON.stringify(b.error ?? b);
    const pub = publicError(raw, r.statusCode, typeof b.type === 'string' ? b.type : undefined, limits);
    logError(requestId, r.statusCode, path, raw, typeof b.stack === 'string' ? b.stack : undefined);
    r.status(pub.status);
    return json({ error: pub.error, type: pub.type, requestId });
  };
  if (SQL_PATH.test(path)) {
    let role: string | undefined;
    try {
      role = verifyToken(tokenFromHeader(req.headers.authorization), apiKey).role;
    } catch {
      // A bad token gets Cube's own 403 from checkAuth, with its reason.
    }
    if (role && !SQL_ROLES.includes(role as Role)) {
      logError(requestId, 403, path, `role ${role} asked for generated SQL`, undefined);
      r.status(403);
      json({
        error: `Generated SQL is only shown to the roles ${SQL_ROLES.join(' and ')}: a token with role ${role} can query /v1/load and /graphql.`,
        type: 'Forbidden',
        requestId,
      });
      return;
    }
  }
  next();
};

const limits = { timeoutSeconds, maxRows, waitSeconds };

/** The full story of a refused request, for whoever is asked about its request id. */
function logError(requestId: string, status: number, path: string, error: string, stack: string | undefined): void {
  const line: Record<string, unknown> = { requestId, status, path, error: error.slice(0, 8000) };
  if (stack) line.stack = stack.split('\n').slice(0, 12).join(' | ');
  cubeLog.error(line, 'API error');
}

/** The model's files parsed (the js-yaml Cube itself parses the model with), and whether every model file was YAML. */
function modelDocs(modelPath: string): { docs: unknown[]; allYaml: boolean } {
  const yaml = createRequire(require.resolve('@cubejs-backend/schema-compiler'))('js-yaml') as { load(text: string): unknown };
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
  const all = files(modelPath);
  const yamlFiles = all.filter((f) => /\.ya?ml$/.test(f));
  // Cube also compiles .js and .yml.jinja models: the read sets (tables-read.ts) would not see them.
  const allYaml = all.every((f) => /\.ya?ml$/.test(f) || !/\.(js|jinja|py)$/.test(f));
  return { docs: yamlFiles.map((f) => yaml.load(readFileSync(f, 'utf8'))), allYaml };
}

/** Names of the model's cubes that are not public (all of them: the views are the surface). */
function hiddenCubes(docs: unknown[]): Set<string> {
  const names = new Set<string>();
  for (const doc of docs as ({ cubes?: { name?: unknown; public?: unknown; shown?: unknown }[] } | null)[]) {
    for (const cube of doc?.cubes ?? []) if (typeof cube.name === 'string' && (cube.public === false || cube.shown === false)) names.add(cube.name);
  }
  return names;
}

const DataVersionQuery = withDataVersionKeys(ClickHouseQuery);

/** The tables whose hash differs between two table versions (added or dropped ones too), and `day` when the day turned. */
function changedTables(before: string, after: string): string[] {
  const a = parseTableVersions(before);
  const b = parseTableVersions(after);
  const names = new Set([...a.tables.keys(), ...b.tables.keys()]);
  return [...(a.day !== b.day ? ['day'] : []), ...[...names].filter((n) => a.tables.get(n) !== b.tables.get(n)).sort()];
}

/**
 * With CRM_SEMANTIC_TRACE: one line per API request when it is answered: how long it took, what the
 * answer cache did with it (x-crm-answer-cache), whether it was a "Continue wait", and whether it
 * was a loopback poll (wait-for-answer.ts) or a re-warm replay.
 */
const traceRequests: Middleware = (req, res, next) => {
  const t0 = Date.now();
  const path = routePath(req.url);
  let continueWait = false;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { end: unknown }).end = (...args: unknown[]): ServerResponse => {
    const chunk = args[0];
    if (chunk && typeof chunk !== 'function' && String(chunk).length < 4096) continueWait = String(chunk).includes('"Continue wait"');
    return end(...args);
  };
  res.on('close', () =>
    trace?.('request', {
      requestId: req.headers['x-request-id'],
      path,
      ms: Date.now() - t0,
      status: res.statusCode,
      cache: res.getHeader('x-crm-answer-cache'),
      continueWait,
      poll: req.headers[CONTINUE_WAIT_HEADER] === 'allow',
      replay: Boolean(req.headers[WARM_HEADER]),
      finished: res.writableEnded,
    }),
  );
  next();
};

async function main(): Promise<void> {
  const model = modelDocs(need('CUBEJS_SCHEMA_PATH'));
  const hidden = hiddenCubes(model.docs);
  const times = timeMembers(model.docs);
  // Dashboard tokens end with their session (security/account-check.ts): the accounts and signed-out
  // sessions, read through a driver of its own at most every 2 s while such tokens arrive. It also
  // reads the warehouse's time zones; like every statement this process sends, its reads carry the
  // engine-side bound (a stuck read must not hold a session past the query timeout).
  const accountDriver = new ClickHouseDriverFor033({ requestTimeout: (timeoutSeconds + 5) * 1000, maxExecutionSeconds: timeoutSeconds });
  const accounts = new AccountSnapshots(async () => {
    try {
      const [users, revoked] = await Promise.all([accountDriver.query(USERS_SQL), accountDriver.query(REVOKED_SQL)]);
      return snapshotOf(users as Record<string, unknown>[], revoked as Record<string, unknown>[]);
    } catch (err) {
      cubeLog.warn({ error: (err as Error).message }, 'dashboard accounts could not be read: dashboard tokens are refused until a read works');
      throw err;
    }
  });
  // The zones the warehouse knows, read once when a query first names one. A failed read (a server
  // that does not let the semantic user read system.time_zones) leaves Node's list alone to decide
  // and is tried again a minute later, not at every query.
  let zonesRead: Promise<ReadonlySet<string>> | undefined;
  const warehouseZones = (): Promise<ReadonlySet<string>> =>
    (zonesRead ??= accountDriver.query('SELECT time_zone FROM system.time_zones').then(
      (rows) => new Set((rows as { time_zone?: unknown }[]).map((r) => String(r.time_zone))),
      (err: Error) => {
        setTimeout(() => (zonesRead = undefined), 60_000).unref();
        cubeLog.warn({ error: err.message }, 'the warehouse time zones could not be read: zones are checked against Node only');
        return new Set<string>();
      },
    ));
  const core = new CubejsServerCore({
    dbType: 'clickhouse',
    // Cube joins the schema path onto the working directory, so an absolute one must be made relative.
    schemaPath: relative(process.cwd(), need('CUBEJS_SCHEMA_PATH')) || '.',
    apiSecret,
    devServer: false,
    telemetry: false,
    cacheAndQueueDriver: 'memory',
    // Rollups (pre_aggregations, stored in ClickHouse) are rebuilt in the background for the
    // unrestricted context; an owner's own rollups are built on that owner's first query.
    scheduledRefreshTimer: refreshSeconds,
    scheduledRefreshContexts: async () => [{ securityContext: { sub: 'pre-aggregation-refresh', role: 'admin' } }],
    preAggregationsSchema: `${need('CUBEJS_DB_NAME')}_pre_aggregations`,
    // Row-level (ungrouped) queries for drill-down lists without listing every primary key: views
    // in 0.33 do not recognise their own primary keys for that check.
    allowUngroupedWithoutPrimaryKey: true,
    logger,
    // Cubes without a refresh_key of their own expire their cached answers when the data changes,
    // not every 10 s (Cube's default; the stalls of issue 17): semantic/refresh-keys.ts.
    dialectFactory: () => DataVersionQuery,
    // Connection settings come from CUBEJS_DB_* (host, port, user, pass, name, ssl); the request
    // timeout sits a little above the queue's so the clearer queue timeout answers first.
    driverFactory: () => new ClickHouseDriverFor033({ requestTimeout: (timeoutSeconds + 5) * 1000, maxExecutionSeconds: timeoutSeconds }),
    orchestratorOptions: {
      continueWaitTimeout: pollSeconds,
      queryCacheOptions: {
        // The queue's continueWaitTimeout above the execution timeout: a query over the timeout
        // ends in the timeout error, not in endless "Continue wait". The request-level
        // continueWaitTimeout above applies first; wait-for-answer.ts turns its "Continue wait"
        // into one answer for plain HTTP clients.
        queueOptions: { executionTimeout: timeoutSeconds, continueWaitTimeout: timeoutSeconds + 5, concurrency: QUERY_CONCURRENCY },
      },
      preAggregationsOptions: { queueOptions: { concurrency: ROLLUP_BUILD_CONCURRENCY } },
    },
    checkAuth: async (req: { securityContext?: unknown }, auth?: string) => {
      try {
        req.securityContext = verifyToken(auth, apiKey);
      } catch (err) {
        const message = err instanceof AuthError ? err.message : 'Invalid token';
        throw new CubejsHandlerError(403, 'Forbidden', message);
      }
      // Also here, not only in the gate below: every path into Cube (GraphQL included) passes checkAuth.
      const live = await checkSessionToken(auth, apiKey, accounts);
      if (!live.ok) throw new CubejsHandlerError(live.status, live.status === 403 ? 'Forbidden' : 'AccountCheckUnavailable', live.message);
    },
    queryRewrite: async (query: CubeQuery, context: { securityContext?: unknown }) =>
      guardQuery(query, context.securityContext, { hiddenCubes: hidden, timeMembers: times, zones: query.timezone === undefined ? undefined : await warehouseZones() }),
    // Every role gets the same API surface; what it sees is decided by the security context in SQL.
    contextToApiScopes: async () => ['graphql', 'meta', 'data'],
  });

  const app = express();
  app.disable('x-powered-by');
  // Bearer tokens, no cookies: any origin may call (the browser app reads Cube directly).
  app.use(cors({ allowedHeaders: `authorization,content-type,x-request-id,${CONTINUE_WAIT_HEADER}` }));
  app.use(apiBoundary);
  // Before the answer cache, which serves kept answers without Cube's checkAuth.
  app.use(sessionTokenGate(apiKey, accounts) as Middleware);
  app.use(express.json({ limit: '1mb' }));
  // One request, a bounded number of warehouse queries (query arrays, compareDateRange, GraphQL aliases).
  app.use(queryFanoutGuard() as Middleware);
  // Known once the server listens (below).
  const listening: { at?: { host: string; port: number } } = {};
  // What people ask is remembered for the next start's warm-up (semantic/warm-up.ts).
  const asked = new AskedRequests();
  app.use(asked.recorder(apiKey));
  if (trace) app.use(traceRequests);
  let startRewarm: (() => { stop(): void }) | undefined;
  if (answerCacheBytes > 0) {
    // The data version as Cube's refresh keys read it (refresh-keys.ts), table by table, through a driver of its own.
    const versionDriver = new ClickHouseDriverFor033({ requestTimeout: (timeoutSeconds + 5) * 1000 });
    // Answers keyed by the tables they read (tables-read.ts): a load of transactions leaves answers over deals current.
    const byTables = env.CRM_SEMANTIC_ANSWERS_KEYED_BY === 'tables';
    const readSets = new ReadSets(new ModelReads(model.docs, model.allYaml));
    let lastRead: string | undefined;
    let definitionsFailedAt = -Infinity;
    let definitionsRetryMs = DEFINITIONS_RETRY_MS;
    const readVersion = async (): Promise<string> => {
      const t0 = Date.now();
      const [row] = (await versionDriver.query(tableVersionsSql())) as Record<string, unknown>[];
      const value = row && Object.values(row)[0];
      if (typeof value !== 'string') throw new Error(`the data-version query answered ${JSON.stringify(row)}`);
      // Before the version is used: a table added, dropped or re-created may read other tables now.
      if (byTables && readSets.needsDefinitions(value) && Date.now() - definitionsFailedAt > definitionsRetryMs) {
        try {
          readSets.update((await versionDriver.query(TABLE_DEFINITIONS_SQL)) as TableDefinition[], value);
          definitionsFailedAt = -Infinity;
          definitionsRetryMs = DEFINITIONS_RETRY_MS;
        } catch (err) {
          // A server that hides definitions from this user: every answer reads everything (one version for all) until a read works.
          readSets.forget();
          if (definitionsFailedAt !== -Infinity) definitionsRetryMs = Math.min(definitionsRetryMs * 2, DEFINITIONS_RETRY_MAX_MS);
          definitionsFailedAt = Date.now();
          cubeLog.warn({ error: (err as Error).message }, 'table definitions could not be read: answers are keyed by the whole data version');
        }
      }
      // Which tables moved since the last read (names only): what a change made stale.
      const changed = trace && lastRead !== undefined && lastRead !== value ? changedTables(lastRead, value) : undefined;
      lastRead = value;
      trace?.('data version read', { ms: Date.now() - t0, version: keyId(value), ...(changed ? { changed } : {}) });
      return value;
    };
    const store = new AnswerStore(answerCacheBytes, MAX_STALE_MS, byTables ? (key, value) => readSets.project(key, value) : undefined);
    const writerBusy = async (): Promise<boolean> => {
      const [row] = (await versionDriver.query(writerBusySql())) as { busy?: unknown }[];
      return Number(row?.busy) === 1;
    };
    const dataVersion = dataVersionReader(readVersion, VERSION_READ_MS, Date.now, {
      hold: { busy: writerBusy, maxHoldMs: MAX_HOLD_MS, onHeld: () => store.stats.held++ },
      maxWaitMs: VERSION_WAIT_MS,
    });
    /** The re-warm's order: answers not current, the ones stale longest first; none for a current one (its tables did not change). */
    const replayOrder = (e: AskedRequest, version: string): number | undefined => {
      let key: string | undefined;
      try {
        const req = { method: e.method, url: e.path, headers: {}, body: e.body === undefined ? undefined : (JSON.parse(e.body) as unknown) } as unknown as IncomingMessage & { body?: unknown };
        key = answerKeyOf(req, { sub: 'warm-up', role: e.role, ...(e.role === 'owner' && e.owner_id ? { owner_id: e.owner_id } : {}) });
      } catch {
        key = undefined;
      }
      // Never kept (or not cacheable): after every stale one, which users are being served meanwhile.
      return key === undefined ? Number.MAX_SAFE_INTEGER : store.replayRank(key, version);
    };
    const renewalMs = DATA_VERSION_RENEWAL_SECONDS * 1000;
    app.use(
      answerCache({
        apiSecret: apiKey,
        store,
        dataVersion,
        renewalMs,
        isReplay: (req) => Boolean(req.headers[WARM_HEADER]),
        // A request that found only a stale answer asks Cube again (its own request, token and scope)
        // and waits for it up to STALE_WAIT_MS: on a quiet server it gets the new data as before;
        // on a backed-up one the stale answer, and at most MAX_REVALIDATIONS such asks run at once.
        revalidate: async (req) => {
          const target = listening.at;
          const token = req.headers.authorization;
          if (!target || !token) return undefined;
          const post = req.method === 'POST';
          const r = await replayRequest(target, post ? 'POST' : 'GET', req.url ?? '/', token, post ? JSON.stringify(req.body ?? {}) : undefined);
          return r.status === 200 && isComplete(r.body) ? { body: r.body, contentType: r.contentType } : undefined;
        },
        staleWaitMs: STALE_WAIT_MS,
        maxRevalidations: MAX_REVALIDATIONS,
        onError: (err) => cubeLog.warn({ error: err.message }, 'answer cache bypassed: the data version could not be read'),
      }),
    );
    // After every data change the recently asked requests are asked again here, per scope, as soon
    // as their answers can be kept (warm-up.ts): users find them instead of a cold Cube.
    startRewarm = () =>
      rewarmOnChange({
        target: () => listening.at,
        apiSecret: apiKey,
        asked,
        dataVersion,
        settleMs: renewalMs + KEY_QUERY_MARGIN_MS,
        pollMs: VERSION_READ_MS,
        concurrency: REWARM_CONCURRENCY,
        recentMs: REWARM_RECENT_MS,
        order: replayOrder,
        onRun: (r) => {
          store.stats.rewarms++;
          cubeLog.info({ ...r, version: undefined }, `re-warmed ${r.sent} of ${r.queries} recent queries after a data change in ${r.ms} ms (${r.sinceSeenMs} ms after it was seen)${r.cut ? '; cut short by a newer change' : ''}`);
        },
      });
  }
  app.use(waitForAnswer({ waitSeconds, self: () => listening.at }));
  // Turns at Cube's queue per account (security/account-queues.ts): after the cache and the wait, so
  // only what reaches Cube takes one. All accounts together: four rounds of Cube's concurrency.
  app.use(
    accountQueues({
      slots: env.CRM_SEMANTIC_ACCOUNT_SLOTS,
      queueBound: env.CRM_SEMANTIC_ACCOUNT_QUEUE,
      total: Math.max(env.CRM_SEMANTIC_ACCOUNT_SLOTS * 2, QUERY_CONCURRENCY * 4),
      waitMs: timeoutSeconds * 1000,
      account: (req) => {
        try {
          return verifyToken(tokenFromHeader(req.headers.authorization), apiKey).sub;
        } catch {
          return undefined;
        }
      },
    }) as Middleware,
  );
  await core.initApp(app);
  // Unknown routes answer JSON with a request id like every other error, not express's HTML page.
  app.use(((_req, res) => {
    (res as JsonResponse).status(404).json({ error: 'Not found. Under /cubejs-api the API serves v1/load, v1/sql, v1/dry-run, v1/meta and graphql.' });
  }) as Middleware);
  // Cube's error handler has answered by now and passes the error on; express's own would then
  // cut the connection (headers sent) or write an HTML page.
  app.use((err: unknown, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    if (!res.headersSent) (res as JsonResponse).status(500).json({ error: String(err) });
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  // The loopback requests of wait-for-answer.ts: an unspecified bind address is reached on loopback.
  const boundHost = typeof address === 'object' && address ? address.address : host;
  listening.at = { host: boundHost === '0.0.0.0' ? '127.0.0.1' : boundHost === '::' ? '::1' : boundHost, port: boundPort };
  const rewarm = startRewarm?.();

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    rewarm?.stop();
    const force = setTimeout(() => process.exit(code), 5_000);
    force.unref();
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await core.shutdown().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  // The parent keeps the list (semantic/server.ts); sent when it changed, and once more on shutdown.
  const report = (): void => {
    const entries = asked.takeChanged();
    if (entries && process.connected) process.send?.({ type: 'asked', entries });
  };
  setInterval(report, 15_000).unref();
  process.on('message', (m) => {
    const msg = m as { type?: string; entries?: AskedRequest[] };
    if (msg?.type === 'shutdown') {
      report();
      void stop(0);
    } else if (msg?.type === 'warm') {
      // The earlier list stays remembered (with its counts) alongside what is asked from now on.
      for (const e of msg.entries ?? []) asked.add(e);
      void warmUp(listening.at!, apiKey, msg.entries ?? []).then(
        (result) => process.send?.({ type: 'warmed', ...result }),
        (err: Error) => process.send?.({ type: 'warmed', queries: 0, failed: 1, ms: 0, error: err.message }),
      );
    }
  });
  // Forked by startSemanticServer: leave when the parent goes away.
  process.on('disconnect', () => void stop(0));
  process.send?.({ type: 'ready', port: boundPort });
  if (!process.send) cubeLog.info(`Cube semantic layer on http://${host}:${boundPort}/cubejs-api`);
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message });
  cubeLog.fatal({ err }, `the semantic layer did not start: ${err.message}`);
  process.exit(1);
});
