import type { Session } from 'chdb';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The few chdb addon entry points the endpoint needs that chdb's public Session API cannot give
 * faithfully:
 * - `param_*` values must reach the engine exactly as the HTTP client sent them. Session
 *   .queryBindAsync re-escapes strings, which double-escapes what @clickhouse/client already
 *   escaped (`O\'Brien` in an Array(String) fails to parse).
 * - INSERT data must follow the client's own `INSERT INTO ... FORMAT X` text, which may quote
 *   names or carry SETTINGS; Session.insert only accepts whitelisted identifiers.
 * chdb is pinned to an exact version in package.json because these are not its public surface;
 * `loadNative` fails loudly if they ever move.
 */

export interface NativeQueryResult {
  bytes: Uint8Array;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}

export interface NativeInsertResult {
  elapsed: number;
  rowsWritten: number;
  bytesWritten: number;
  /** Non-empty payload lines; only counted when asked for (line-delimited formats). */
  rowsSent?: number;
}

interface StreamFetchResult {
  bytes: Uint8Array;
  numRows: number;
  done: boolean;
}

type Handle = unknown;
type Params = Record<string, string>;

interface Addon {
  QueryAsyncConnection(conn: unknown, sql: string, format: string, params?: Params): Promise<NativeQueryResult>;
  InsertRawAsyncConnection(conn: unknown, prefix: string, data: Buffer, countLines: boolean): Promise<NativeInsertResult>;
  StreamQuery(conn: unknown, sql: string, format: string, params?: Params): Handle;
  StreamFetch(handle: Handle): Promise<StreamFetchResult>;
  StreamCancel(handle: Handle): void;
}

const REQUIRED: (keyof Addon)[] = ['QueryAsyncConnection', 'InsertRawAsyncConnection', 'StreamQuery', 'StreamFetch', 'StreamCancel'];

let addon: Addon | undefined;

function loadNative(): Addon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const loader = require(join(dirname(require.resolve('chdb')), 'dist', 'loader.js')) as { loadNative(): Partial<Addon> };
  const candidate = loader.loadNative();
  const missing = REQUIRED.filter((name) => typeof candidate[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(`the installed chdb lacks ${missing.join(', ')}; the embedded warehouse needs the chdb version pinned in package.json`);
  }
  addon = candidate as Addon;
  return addon;
}

function connectionOf(session: Session): unknown {
  if (!session.connection) throw new Error('chdb session is closed');
  return session.connection;
}

/**
 * chdb's parameter binding is not isolated between connections: two bound queries running at once
 * on different sessions can swap values or abort the engine (chdb serializes its own bind calls for
 * the same reason). Every bound call in this process goes through this one chain; unbound queries
 * never wait on it.
 */
let bindTail: Promise<unknown> = Promise.resolve();

/** ms each Session's bound calls waited for the chain, until takeBindWait (the endpoint's request trace). */
const bindWaits = new WeakMap<Session, number>();

/** How long `session`'s bound calls waited for the process-wide chain since the last call; resets it. */
export function takeBindWait(session: Session): number {
  const ms = bindWaits.get(session) ?? 0;
  bindWaits.delete(session);
  return ms;
}

function serializedBind<T>(session: Session, start: () => Promise<T> | T, held?: BindLock, keep = false): Promise<T> {
  // The caller took the lock before its engine Session (holdBindLock): it runs now, and lets go
  // after unless a later bound call of the same request follows (keep: the privilege check).
  if (held && !held.released) return keep ? Promise.resolve().then(start) : Promise.resolve().then(start).finally(() => held.release());
  const queued = performance.now();
  const run = bindTail.then(() => {
    bindWaits.set(session, (bindWaits.get(session) ?? 0) + performance.now() - queued);
    return start();
  });
  bindTail = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/** The process-wide parameter lock, held by one request; release() is idempotent. */
export interface BindLock {
  release(): void;
  /** Let go already: a later bound call takes the lock in turn again. */
  readonly released: boolean;
  /** ms the request waited for it. */
  waitedMs: number;
}

/**
 * Takes the parameter lock for a request before it asks for an engine Session (run-request.ts):
 * a bound statement that held a Session while it waited for the lock kept that Session from
 * every other statement (issue 17: under 50 users the session checks, all bound, filled every
 * Session waiting on each other while Cube's queries waited 55 s). Pass it to runQuery or
 * ResultStream.open, which release it when the bound call is done; release() on any other way out.
 */
export async function holdBindLock(): Promise<BindLock> {
  const queued = performance.now();
  let free!: () => void;
  const held = new Promise<void>((resolve) => (free = resolve));
  const before = bindTail;
  bindTail = before.then(() => held);
  await before;
  let released = false;
  return {
    waitedMs: performance.now() - queued,
    get released() {
      return released;
    },
    release() {
      if (released) return;
      released = true;
      free();
    },
  };
}

function hasParams(params: Params | undefined): params is Params {
  return params !== undefined && Object.keys(params).length > 0;
}

/**
 * `held`: the request's parameter lock (holdBindLock), let go once this call is done unless `keep`
 * (a later bound call of the same request follows).
 */
export function runQuery(session: Session, sql: string, format: string, params?: Params, held?: BindLock, keep = false): Promise<NativeQueryResult> {
  const native = loadNative();
  const conn = connectionOf(session);
  if (!hasParams(params)) {
    if (!keep) held?.release();
    return native.QueryAsyncConnection(conn, sql, format);
  }
  return serializedBind(session, () => native.QueryAsyncConnection(conn, sql, format, params), held, keep);
}

/** Runs `prefix` (an INSERT ending where its data begins) with `data` as the inline payload. */
export function insertRaw(session: Session, prefix: string, data: Buffer, countLines: boolean): Promise<NativeInsertResult> {
  return loadNative().InsertRawAsyncConnection(connectionOf(session), prefix, data, countLines);
}

export interface StreamChunk {
  bytes: Uint8Array;
  rows: number;
}

/**
 * A running SELECT whose result is fetched block by block, so a large result never sits in memory
 * whole. Only one stream may be open per session, and nothing else may run on that session until
 * it is closed.
 */
export class ResultStream {
  #handle: Handle;
  #inflight: Promise<StreamFetchResult> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(handle: Handle) {
    this.#handle = handle;
  }

  /** Starts the query; syntax and analysis errors are thrown here, before any row. */
  static async open(session: Session, sql: string, format: string, params?: Params, held?: BindLock): Promise<ResultStream> {
    const native = loadNative();
    const conn = connectionOf(session);
    if (!hasParams(params)) held?.release();
    // The bind happens inside StreamQuery (synchronous), so holding the chain for that call is enough.
    const handle = hasParams(params)
      ? await serializedBind(session, () => native.StreamQuery(conn, sql, format, params), held)
      : native.StreamQuery(conn, sql, format);
    return new ResultStream(handle);
  }

  /** The next block, or undefined at the end. */
  async next(): Promise<StreamChunk | undefined> {
    if (this.#closing) return undefined;
    this.#inflight = loadNative().StreamFetch(this.#handle);
    try {
      const r = await this.#inflight;
      if (r.done) {
        await this.close();
        return undefined;
      }
      return { bytes: r.bytes, rows: r.numRows };
    } finally {
      this.#inflight = undefined;
    }
  }

  /**
   * Frees the stream. Safe to call at any time and more than once; every call resolves only once
   * the handle is gone, so the session is free for the next query.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Cancelling while a fetch runs on a libuv thread would free the handle under it.
      if (this.#inflight) await this.#inflight.catch(() => undefined);
      loadNative().StreamCancel(this.#handle);
    })();
    return this.#closing;
  }
}
