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
import { relative } from 'node:path';
import { AuthError, verifyToken } from './security/auth.ts';
import { guardQuery, type CubeQuery } from './security/query-guard.ts';

const require = createRequire(import.meta.url);
// Cube 0.33 is CommonJS without usable ESM types; the surface used here is small and typed below.
const { CubejsServerCore } = require('@cubejs-backend/server-core') as { CubejsServerCore: new (opts: object) => CubeCore };
const { ClickHouseDriver } = require('@cubejs-backend/clickhouse-driver') as { ClickHouseDriver: new (cfg: object) => DriverBase };
const { formatMySql } = require('@cubejs-backend/shared') as { formatMySql(sql: string, values: unknown[]): string };
const { CubejsHandlerError } = require('@cubejs-backend/api-gateway') as {
  CubejsHandlerError: new (status: number, type: string, message: string) => Error;
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

const env = process.env;
const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const num = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const apiSecret = need('CUBEJS_API_SECRET');
const host = env.CRM_SEMANTIC_HOST || '127.0.0.1';
const port = Number(env.CRM_SEMANTIC_PORT ?? 4000);
const maxRows = num('CUBEJS_DB_QUERY_LIMIT', 50_000);
const timeoutSeconds = num('CUBEJS_DB_QUERY_TIMEOUT', 60);
const logLevel = (env.CUBEJS_LOG_LEVEL ?? 'warn').toLowerCase();
/**
 * Seconds between background checks of the rollups' refresh keys. Always on: without the refresh
 * scheduler Cube 0.33 treats the instance as a pure API node and refuses (instead of building) a
 * query whose rollup is not built yet.
 */
const refreshSeconds = Math.max(1, num('CRM_SEMANTIC_REFRESH_SECONDS', 30));

/** One JSON line per event on stderr; tokens never, SQL only at trace level. */
function logger(msg: string, params: Record<string, unknown> = {}): void {
  const { error, warning, token: _token, query, values: _values, ...rest } = params;
  const important = Boolean(error || warning);
  if (!important && logLevel !== 'info' && logLevel !== 'trace') return;
  if (!important && logLevel === 'info' && !['Load Request Success', 'Query Rewrite completed'].includes(msg)) return;
  const line: Record<string, unknown> = { t: new Date().toISOString(), msg, ...rest };
  if (error) line.error = String(error).split('\n').slice(0, 3).join(' | ');
  if (warning) line.warning = warning;
  if (logLevel === 'trace' && query) line.query = query;
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

/**
 * Turns two of Cube's terse answers into errors a person can act on: the query timeout (Cube answers
 * 500 "Query execution timeout after 0.5 min of waiting", the driver "Timeout error") and a limit
 * above CUBEJS_DB_QUERY_LIMIT (500 "The query limit has been exceeded.").
 */
const clearErrors: Middleware = (_req, res, next) => {
  const r = res as JsonResponse;
  const json = r.json.bind(r);
  r.json = (body: unknown) => {
    const error = (body as { error?: unknown } | null)?.error;
    if (typeof error === 'string') {
      if (/Query execution timeout|Timeout error|timed out/i.test(error)) {
        r.status(504);
        return json({
          error: `Query timed out after ${timeoutSeconds} s (CUBEJS_DB_QUERY_TIMEOUT). Narrow the date range, add filters or group by fewer dimensions.`,
          type: 'QueryTimeout',
        });
      }
      if (/query limit has been exceeded/i.test(error)) {
        r.status(400);
        return json({
          error: `Row limit exceeded: a query may return at most ${maxRows} rows (CUBEJS_DB_QUERY_LIMIT). Ask for a smaller "limit" and page with "offset", or aggregate more.`,
          type: 'RowLimitExceeded',
        });
      }
    }
    return json(body);
  };
  next();
};

async function main(): Promise<void> {
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
    // Connection settings come from CUBEJS_DB_* (host, port, user, pass, name, ssl); the request
    // timeout sits a little above the queue's so the clearer queue timeout answers first.
    driverFactory: () => new ClickHouseDriverFor033({ requestTimeout: (timeoutSeconds + 5) * 1000 }),
    orchestratorOptions: {
      queryCacheOptions: {
        // continueWaitTimeout above the execution timeout: a slow query answers with the timeout
        // error instead of a 200 "Continue wait" that only Cube's client library knows to retry.
        queueOptions: { executionTimeout: timeoutSeconds, continueWaitTimeout: timeoutSeconds + 5 },
      },
    },
    checkAuth: async (req: { securityContext?: unknown }, auth?: string) => {
      try {
        req.securityContext = verifyToken(auth, apiSecret);
      } catch (err) {
        const message = err instanceof AuthError ? err.message : 'Invalid token';
        throw new CubejsHandlerError(403, 'Forbidden', message);
      }
    },
    queryRewrite: async (query: CubeQuery, context: { securityContext?: unknown }) => guardQuery(query, context.securityContext),
    // Every role gets the same API surface; what it sees is decided by the security context in SQL.
    contextToApiScopes: async () => ['graphql', 'meta', 'data'],
  });

  const app = express();
  app.disable('x-powered-by');
  // Bearer tokens, no cookies: any origin may call (the browser app reads Cube directly).
  app.use(cors({ allowedHeaders: 'authorization,content-type,x-request-id' }));
  app.use(clearErrors);
  app.use(express.json({ limit: '1mb' }));
  await core.initApp(app);

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 5_000);
    force.unref();
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await core.shutdown().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('message', (m) => {
    if ((m as { type?: string })?.type === 'shutdown') void stop(0);
  });
  // Forked by startSemanticServer: leave when the parent goes away.
  process.on('disconnect', () => void stop(0));
  process.send?.({ type: 'ready', port: boundPort });
  if (!process.send) console.error(`Cube semantic layer on http://${host}:${boundPort}/cubejs-api`);
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message });
  console.error(err.stack ?? err.message);
  process.exit(1);
});
