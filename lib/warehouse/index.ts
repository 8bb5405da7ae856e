import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { credentialsFor, loadWarehouseConfig, WAREHOUSE_ROLES, type WarehouseConfig, type WarehouseRole } from '../config.ts';
import { findRunningEndpoint, startEmbeddedServer, type EmbeddedServer } from './embedded/server.ts';
import { quoteIdent } from './sql.ts';

/**
 * The one door to ClickHouse. Ingest, models, Cube and the web app all talk HTTP to a ClickHouse
 * endpoint through @clickhouse/client; in embedded mode that endpoint is our chdb-backed server on
 * 127.0.0.1, so the embedded default runs exactly the production code path.
 */
export interface Warehouse {
  client: ClickHouseClient;
  /** HTTP endpoint (what Cube's driver and other processes connect to). */
  url: string;
  /** The user `client` is connected as (see ConnectOptions.as). */
  user: string;
  password: string;
  role?: WarehouseRole | 'admin';
  database: string;
  cluster?: string;
  /** The embedded server this process owns, if it started one. */
  embedded?: EmbeddedServer;
  close(): Promise<void>;
}

export interface ConnectOptions {
  config?: WarehouseConfig;
  /**
   * Which ClickHouse user to connect as: the admin (default; migrations and CLIs that migrate) or
   * a least-privileged role. Give each component only the role it needs.
   */
  as?: WarehouseRole | 'admin';
  /** Use the database in the config (default) or none (for CREATE DATABASE). */
  withDatabase?: boolean;
  /** Per-client ClickHouse settings. */
  settings?: Record<string, string | number>;
  /** Create the configured database when missing (a request naming a missing database fails). */
  ensureDatabase?: boolean;
  /** Request timeout in ms (default 300 s: ingest and model jobs run long queries). */
  requestTimeout?: number;
}

export async function connectWarehouse(opts: ConnectOptions = {}): Promise<Warehouse> {
  const config = opts.config ?? loadWarehouseConfig();
  const role = opts.as ?? 'admin';
  const credentials = role === 'admin' ? { user: config.user, password: config.password } : credentialsFor(config, role);
  let url = config.url;
  let embedded: EmbeddedServer | undefined;
  if (!url) {
    // Another process of ours (npm start) may own the data directory: share its endpoint.
    url = await findRunningEndpoint(config.dataDir);
    if (!url) {
      embedded = await startEmbeddedServer({
        dataDir: config.dataDir,
        port: config.embeddedPort,
        user: config.user,
        password: config.password,
        users: WAREHOUSE_ROLES.flatMap((r) => {
          const c = config.users?.[r];
          return c ? [{ name: c.user, password: c.password, role: r }] : [];
        }),
        database: config.database,
        reservedSessions: config.embeddedReservedSessions,
        traceFile: config.embeddedTrace,
      });
      url = embedded.url;
    }
  }
  if (opts.ensureDatabase && opts.withDatabase !== false) {
    const admin = createClient({ url, username: config.user, password: config.password });
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(config.database)}${config.cluster ? ` ON CLUSTER ${quoteIdent(config.cluster)}` : ''}` });
    } finally {
      await admin.close();
    }
  }
  const client = newClient(url, credentials, opts.withDatabase === false ? undefined : config.database, opts);
  return {
    client,
    url,
    user: credentials.user,
    password: credentials.password,
    role,
    database: config.database,
    cluster: config.cluster,
    embedded,
    async close() {
      await client.close();
      await embedded?.close();
    },
  };
}

function newClient(url: string, credentials: { user: string; password: string }, database: string | undefined, opts: Pick<ConnectOptions, 'requestTimeout' | 'settings'> = {}): ClickHouseClient {
  return createClient({
    url,
    username: credentials.user,
    password: credentials.password,
    database,
    request_timeout: opts.requestTimeout ?? 300_000,
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      // Long jobs (ingest, scoring) run minutes-long queries; progress headers keep proxies and
      // load balancers from closing an idle-looking connection.
      send_progress_in_http_headers: 1,
      http_headers_progress_interval_ms: '110000',
      // The reporting time zone is UTC (README "Time zones"): days, months, cohorts and recency are
      // cut at UTC midnight, as Cube cuts its time dimensions. Without this the cuts followed the
      // server's zone (the embedded engine takes the machine's: a 23:30 UTC order on 31 January
      // counted in February on a laptop in Tokyo while Cube's revenue showed it in January), and
      // zone-less DateTime text was written and read in that zone.
      session_timezone: 'UTC',
      ...(opts.settings ?? {}),
    } as ClickHouseSettings,
  });
}

/**
 * `wh`'s endpoint, user and database with connections of its own (the default request timeout and
 * settings). A client opens at most 10 connections and queues further statements first-come, so a
 * part that sends many statements in a row (the HTTP ingest: ~28 per batch) behind a busy part's
 * one-off reads (the dashboard: a session check per page view) waited at the back of that queue
 * once per statement (issue 17: under 50 users a 1,000-row push answered after 116–190 s, 90–95%
 * of it between its statements, none of which waited over 0.74 s in the engine). close() closes
 * only this client.
 */
export function withOwnConnections(wh: Warehouse): Warehouse {
  const client = newClient(wh.url, { user: wh.user, password: wh.password }, wh.database || undefined);
  return { ...wh, client, embedded: undefined, close: () => client.close() };
}
