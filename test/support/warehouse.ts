import type { ClickHouseClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRoleUser, WAREHOUSE_ROLES, type WarehouseConfig, type WarehouseCredentials, type WarehouseRole } from '../../lib/config.ts';
import type { SessionClock } from '../../lib/warehouse/embedded/http-sessions.ts';
import { startEmbeddedServer, type EmbeddedServer } from '../../lib/warehouse/embedded/server.ts';
import { connectWarehouse, type Warehouse } from '../../lib/warehouse/index.ts';

export interface TestWarehouse {
  /** Embedded-mode config (no url) pointing at the temp directory; connectWarehouse({ config }) finds the running endpoint. */
  config: WarehouseConfig;
  /** Connected the way production code connects, to `config.database` (already created), as the admin. */
  warehouse: Warehouse;
  /** The least-privileged users the endpoint knows (writer, semantic, reader). */
  users: Record<WarehouseRole, WarehouseCredentials>;
  /** A Warehouse connected as one of those users (closed by close()). */
  connectAs(role: WarehouseRole): Promise<Warehouse>;
  /** The embedded endpoint (url, port), e.g. for Cube's driver or raw fetch. */
  server: EmbeddedServer;
  /** The temp data directory, removed by close(). */
  dir: string;
  close(): Promise<void>;
}

export interface TestWarehouseOptions {
  /** Database to create and connect to (default `crm`). */
  database?: string;
  /** chdb sessions, i.e. concurrent queries (default 2). */
  poolSize?: number;
  /** Sessions Cube's and background queries never hold (default: the endpoint's, 1). */
  reservedSessions?: number;
  /** Write the endpoint's per-request trace to `<dir>/trace.ndjson`. */
  trace?: boolean;
  /** Longest a reader or semantic statement runs (default: the endpoint's, MAX_EXECUTION_SECONDS). */
  maxExecutionSeconds?: number;
  /** The timers HTTP sessions expire by (default real ones; e.g. test/alerts/manual-clock.ts's ManualClock). */
  sessionClock?: SessionClock;
}

/**
 * A throwaway warehouse for tests: a temp data directory, the embedded ClickHouse-HTTP endpoint on
 * a free loopback port with a random password, the database created, and a Warehouse connected
 * through connectWarehouse. Schema is left to the test (e.g. applyMigrations).
 *
 *   let tw: TestWarehouse;
 *   before(async () => { tw = await startTestWarehouse(); });
 *   after(() => tw.close());
 *
 * One at a time per process: chdb opens a single data directory per process (node --test runs
 * each test file in its own process, so one per file is the natural shape).
 */
export async function startTestWarehouse(options: TestWarehouseOptions = {}): Promise<TestWarehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-warehouse-'));
  const users = Object.fromEntries(
    WAREHOUSE_ROLES.map((role) => [role, { user: defaultRoleUser(role), password: randomBytes(18).toString('base64url') }]),
  ) as Record<WarehouseRole, WarehouseCredentials>;
  const config: WarehouseConfig = {
    user: 'crm',
    password: randomBytes(18).toString('base64url'),
    users,
    database: options.database ?? 'crm',
    dataDir: dir,
    embeddedPort: 0,
  };
  let server: EmbeddedServer | undefined;
  try {
    server = await startEmbeddedServer({
      dataDir: dir,
      port: 0,
      user: config.user,
      password: config.password,
      users: WAREHOUSE_ROLES.map((role) => ({ name: users[role].user, password: users[role].password, role })),
      database: config.database,
      poolSize: options.poolSize ?? 2,
      reservedSessions: options.reservedSessions,
      traceFile: options.trace ? join(dir, 'trace.ndjson') : undefined,
      maxExecutionSeconds: options.maxExecutionSeconds,
      sessionClock: options.sessionClock,
    });
    config.embeddedPort = server.port;
    // A request naming a missing database fails (as on a real server), so create it first.
    const admin = await connectWarehouse({ config, withDatabase: false });
    try {
      await admin.client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${config.database}\`` });
    } finally {
      await admin.close();
    }
    const warehouse = await connectWarehouse({ config });
    const started = server;
    const others: Warehouse[] = [];
    return {
      config,
      warehouse,
      users,
      async connectAs(role) {
        const connected = await connectWarehouse({ config, as: role });
        others.push(connected);
        return connected;
      },
      server: started,
      dir,
      async close() {
        for (const other of others) await other.close();
        await warehouse.close();
        await started.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts `query` (a long one, e.g. `sleepEachRow`) so it holds an engine session; `stop()` cancels it
 * before or after its first rows (the client's abort covers the wait for the answer's head; after
 * that, closing the result hangs up) and resolves once the client let go.
 */
export function holdSession(c: ClickHouseClient, query: string, headers?: Record<string, string>): { stop(): Promise<void> } {
  const abort = new AbortController();
  let result: { close(): void } | undefined;
  const done = c
    .query({ query, format: 'JSONEachRow', abort_signal: abort.signal, http_headers: headers })
    .then((rs) => {
      result = rs;
      return rs.text();
    })
    .catch(() => undefined);
  return {
    async stop() {
      abort.abort();
      result?.close();
      await done;
    },
  };
}
