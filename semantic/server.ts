import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../lib/config.ts';
import { loadConfig } from '../lib/config/schema.ts';
import { forwardLine, partLogger } from '../lib/log.ts';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseAsked, type AskedRequest, type WarmResult } from './warm-up.ts';

/**
 * Starts the Cube semantic layer (REST /cubejs-api/v1/{load,sql,meta}, GraphQL /cubejs-api/graphql)
 * against a ClickHouse HTTP endpoint — the embedded one or a real server, the same code either way.
 *
 *   const semantic = await startSemanticServer({
 *     warehouse: { url: wh.url, user: wh.user, password: wh.password, database: wh.database },
 *     apiSecret: process.env.CUBEJS_API_SECRET ?? localSecrets(config.dataDir).cubeApiSecret,
 *   });
 *   // semantic.url === 'http://127.0.0.1:4000/cubejs-api'
 *   await semantic.close();
 *
 * Cube runs in a child process (semantic/cube-process.ts): see the reasons there.
 */
export interface WarehouseConnection {
  /** ClickHouse HTTP(S) endpoint, e.g. http://127.0.0.1:8124 */
  url: string;
  user: string;
  password: string;
  database: string;
}

export interface SemanticServerOptions {
  warehouse: WarehouseConnection;
  /** Signs and verifies the JWTs (HS256). */
  apiSecret: string;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest `limit` a query may ask for (CUBEJS_DB_QUERY_LIMIT). Default 50,000. */
  maxRows?: number;
  /** Rows returned when a query gives no `limit` (CUBEJS_DB_QUERY_DEFAULT_LIMIT). Default 10,000. */
  defaultRows?: number;
  /** Seconds before a query is abandoned with a 504 (CUBEJS_DB_QUERY_TIMEOUT). Default 60. */
  queryTimeoutSeconds?: number;
  /**
   * Seconds /load and /graphql hold a request for its answer instead of Cube's "Continue wait",
   * then a 504 (semantic/wait-for-answer.ts). Default CRM_SEMANTIC_WAIT_SECONDS (60).
   */
  waitSeconds?: number;
  /** Seconds between background checks of the rollups (pre-aggregations) for a rebuild. Default 30. */
  preAggregationRefreshSeconds?: number;
  /** Cube model directory. Default semantic/model. */
  modelPath?: string;
  /** error | warn | info | trace (CUBEJS_LOG_LEVEL). Default warn. */
  logLevel?: string;
  /** Where Cube's log lines go, as the child wrote them (default: the structured log, lib/log.ts, part "semantic"). */
  log?: (line: string) => void;
  /** Ready within this many ms or fail. Default 60,000. */
  startTimeoutMs?: number;
  /**
   * Where the requests people sent are remembered (JSON, in the data directory) and replayed at the
   * next start before the server counts as started, so the first visitor finds the model compiled
   * and the answers cached (semantic/warm-up.ts). Without it only the model is compiled at start.
   */
  warmFile?: string;
  /** The warm-up's share of the start: after this many ms the server is handed over warm or not. Default 90,000. */
  warmTimeoutMs?: number;
  /** MiB for answers shared across users (semantic/answer-cache.ts); 0 turns it off. Default: CRM_SEMANTIC_ANSWER_CACHE_MB. */
  answerCacheMb?: number;
  /**
   * Warehouse queries Cube runs at once; rollup builds get half, at least 1. Default 2, right for the
   * embedded warehouse, whose 4 engine sessions the product's own statements share (bin/start.ts
   * gives a ClickHouse server 10, Cube's usual; CRM_SEMANTIC_QUERY_CONCURRENCY overrides both).
   */
  queryConcurrency?: number;
  /** Requests of one account (token subject) in Cube at once; the rest wait their turn (security/account-queues.ts). Default CRM_SEMANTIC_ACCOUNT_SLOTS. */
  accountSlots?: number;
  /** Requests of one account waiting for a turn; beyond, 429. Default CRM_SEMANTIC_ACCOUNT_QUEUE. */
  accountQueue?: number;
}

export interface SemanticServer {
  /** Base of the API, e.g. http://127.0.0.1:4000/cubejs-api */
  url: string;
  port: number;
  /** What the warm-up at start did (undefined: it did not finish within warmTimeoutMs). */
  warmed?: WarmResult;
  close(): Promise<void>;
}

export const DEFAULT_MODEL_PATH = join(PROJECT_ROOT, 'semantic', 'model');
const CUBE_PROCESS = fileURLToPath(new URL('./cube-process.ts', import.meta.url));

export function cubeEnvironment(opts: SemanticServerOptions): Record<string, string> {
  const wh = new URL(opts.warehouse.url);
  if (!/^https?:$/.test(wh.protocol)) throw new Error(`warehouse url must be http(s), got ${opts.warehouse.url}`);
  if (!opts.apiSecret || opts.apiSecret.length < 16) throw new Error('apiSecret must be at least 16 characters');
  const maxRows = opts.maxRows ?? 50_000;
  const defaultRows = Math.min(opts.defaultRows ?? 10_000, maxRows);
  return {
    NODE_ENV: 'production',
    CUBEJS_DEV_MODE: 'false',
    CUBEJS_TELEMETRY: 'false',
    CUBEJS_API_SECRET: opts.apiSecret,
    CUBEJS_DB_TYPE: 'clickhouse',
    CUBEJS_DB_HOST: wh.hostname,
    CUBEJS_DB_PORT: wh.port || (wh.protocol === 'https:' ? '443' : '80'),
    CUBEJS_DB_SSL: wh.protocol === 'https:' ? 'true' : 'false',
    CUBEJS_DB_USER: opts.warehouse.user,
    CUBEJS_DB_PASS: opts.warehouse.password,
    CUBEJS_DB_NAME: opts.warehouse.database,
    // CUBEJS_SCHEMA_PATH: another model for the whole product (a bench's same-run baseline of an older model).
    CUBEJS_SCHEMA_PATH: opts.modelPath ?? (loadConfig().CUBEJS_SCHEMA_PATH || DEFAULT_MODEL_PATH),
    CUBEJS_CACHE_AND_QUEUE_DRIVER: 'memory',
    CUBEJS_DB_QUERY_LIMIT: String(maxRows),
    CUBEJS_DB_QUERY_DEFAULT_LIMIT: String(defaultRows),
    CUBEJS_DB_QUERY_TIMEOUT: `${opts.queryTimeoutSeconds ?? 60}`,
    CUBEJS_LOG_LEVEL: opts.logLevel ?? 'warn',
    CRM_SEMANTIC_REFRESH_SECONDS: String(opts.preAggregationRefreshSeconds ?? 30),
    // The caller's setting, else this process's configuration (npm start does not pass one).
    CRM_SEMANTIC_WAIT_SECONDS: String(opts.waitSeconds ?? loadConfig().CRM_SEMANTIC_WAIT_SECONDS),
    CRM_SEMANTIC_ANSWER_CACHE_MB: String(opts.answerCacheMb ?? loadConfig().CRM_SEMANTIC_ANSWER_CACHE_MB),
    CRM_SEMANTIC_ANSWERS_KEYED_BY: loadConfig().CRM_SEMANTIC_ANSWERS_KEYED_BY,
    CRM_SEMANTIC_ACCOUNT_SLOTS: String(opts.accountSlots ?? loadConfig().CRM_SEMANTIC_ACCOUNT_SLOTS),
    CRM_SEMANTIC_ACCOUNT_QUEUE: String(opts.accountQueue ?? loadConfig().CRM_SEMANTIC_ACCOUNT_QUEUE),
    CRM_SEMANTIC_QUERY_CONCURRENCY: String(opts.queryConcurrency || loadConfig().CRM_SEMANTIC_QUERY_CONCURRENCY || 2),
    // Set only when asked for (semantic/trace.ts): the child's environment is built here, not inherited.
    ...(loadConfig().CRM_SEMANTIC_TRACE ? { CRM_SEMANTIC_TRACE: loadConfig().CRM_SEMANTIC_TRACE! } : {}),
    CRM_SEMANTIC_HOST: opts.host ?? '127.0.0.1',
    CRM_SEMANTIC_PORT: String(opts.port ?? 4000),
  };
}

export async function startSemanticServer(opts: SemanticServerOptions): Promise<SemanticServer> {
  const cubeEnv = cubeEnvironment(opts);
  const semanticLog = partLogger('semantic');
  const log = opts.log ?? ((line: string) => forwardLine(semanticLog, line));
  // Only what Node needs from the parent's environment, so no unrelated CUBEJS_* or secrets leak in.
  const base: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG']) if (process.env[key]) base[key] = process.env[key]!;
  const child: ChildProcess = fork(CUBE_PROCESS, [], {
    cwd: PROJECT_ROOT,
    env: { ...base, ...cubeEnv },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Whole lines only: a JSON event the pipe split in two is joined before it is passed on.
  const forwarder = (stream: NodeJS.ReadableStream | null): void => {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log(line);
    });
    stream?.on('end', () => {
      if (partial.trim()) log(partial);
      partial = '';
    });
  };
  forwarder(child.stdout);
  forwarder(child.stderr);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Cube did not start within ${opts.startTimeoutMs ?? 60_000} ms`));
    }, opts.startTimeoutMs ?? 60_000);
    child.on('message', (m: { type?: string; port?: number; message?: string }) => {
      if (m?.type === 'ready' && typeof m.port === 'number') {
        clearTimeout(timer);
        resolve(m.port);
      } else if (m?.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`Cube failed to start: ${m.message}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Cube exited during start (code ${code})`));
    });
  });

  // The remembered requests, written whenever the Cube process reports a change (atomically: a
  // crash mid-write leaves the previous list).
  const warmFile = opts.warmFile;
  child.on('message', (m: { type?: string; entries?: AskedRequest[] }) => {
    if (m?.type !== 'asked' || !warmFile || !Array.isArray(m.entries)) return;
    try {
      writeFileSync(`${warmFile}.tmp`, JSON.stringify(m.entries), { mode: 0o600 });
      renameSync(`${warmFile}.tmp`, warmFile);
    } catch (err) {
      semanticLog.warn({ err }, `could not keep the asked queries in ${warmFile}: ${(err as Error).message}`);
    }
  });
  const asked = warmFile && existsSync(warmFile) ? parseAsked(readFileSync(warmFile, 'utf8')) : [];
  const warmed = await new Promise<WarmResult | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), opts.warmTimeoutMs ?? 90_000);
    const onMessage = (m: WarmResult & { type?: string }): void => {
      if (m?.type !== 'warmed') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ queries: m.queries, failed: m.failed, ms: m.ms });
    };
    child.on('message', onMessage);
    void exited.then(() => resolve(undefined));
    child.send({ type: 'warm', entries: asked });
  });
  semanticLog.info(
    warmed
      ? `warmed up in ${(warmed.ms / 1000).toFixed(1)} s: model compiled, ${warmed.queries} remembered queries answered${warmed.failed ? ` (${warmed.failed} failed)` : ''}`
      : `warm-up not finished within ${Math.round((opts.warmTimeoutMs ?? 90_000) / 1000)} s: serving anyway, it goes on in the background`,
  );

  const host = cubeEnv.CRM_SEMANTIC_HOST;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/cubejs-api`,
    port,
    warmed,
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const kill = setTimeout(() => child.kill('SIGKILL'), 8_000);
        if (child.connected) child.send({ type: 'shutdown' });
        else child.kill('SIGTERM');
        await exited;
        clearTimeout(kill);
      })();
      return closing;
    },
  };
}
