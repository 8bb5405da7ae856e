import { EngineError } from './errors.ts';
import type { PooledSession, SessionPool } from './session-pool.ts';

/**
 * ClickHouse's HTTP sessions (`session_id`, `session_timeout`, `session_check`, `close_session`):
 * temporary tables, `SET` and `USE` of one request stay for the next request with the same
 * session_id. A temporary table lives in one engine Session, so an HTTP session pins one chdb
 * Session of the pool for its whole life (not a replay of its statements), and at most half the
 * pool can be pinned at once, so other requests always keep the rest.
 *
 * As on a server: sessions are keyed by user and id (another user's session of the same id is
 * another session), a session in use answers SESSION_IS_LOCKED instead of waiting, and a session
 * closes `session_timeout` seconds (default 60, at most 3600) after its last request ended.
 */

export interface SessionParams {
  id: string;
  timeoutMs: number;
  /** `session_check=1`: the session must exist already. */
  check: boolean;
  /** `close_session=1`: close it once this request is done. */
  close: boolean;
}

/** ClickHouse's default_session_timeout and max_session_timeout (server config), in seconds. */
const DEFAULT_TIMEOUT_S = 60;
const MAX_TIMEOUT_S = 3600;

function truthy(value: string | null): boolean {
  return value !== null && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** The session parameters of a request, as ClickHouse's HTTP handler reads them; undefined: no session. */
export function readSessionParams(search: URLSearchParams): SessionParams | undefined {
  const id = search.get('session_id');
  if (!id) return undefined;
  let seconds = DEFAULT_TIMEOUT_S;
  const given = search.get('session_timeout');
  if (given !== null) {
    if (!/^\+?\d+$/.test(given)) throw EngineError.of('INVALID_SESSION_TIMEOUT', `Invalid session timeout: '${given}'`);
    seconds = Number(given);
    if (seconds > MAX_TIMEOUT_S) {
      throw EngineError.of('INVALID_SESSION_TIMEOUT',
        `Session timeout '${given}' is larger than max_session_timeout: ${MAX_TIMEOUT_S}. Maximum session timeout could be modified in configuration file`,
      );
    }
  }
  return { id, timeoutMs: seconds * 1000, check: truthy(search.get('session_check')), close: truthy(search.get('close_session')) };
}

/**
 * The timers sessions expire by. The shape of alerts/clock.ts's Clock (a subset), so a test can pass
 * its manual clock and move it past a session_timeout instead of waiting for it.
 */
export interface SessionClock {
  /** Calls `fn` once after `ms` milliseconds of this clock's time; returns a handle for clearTimer. */
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** Real timers, unref'd: an idle session never keeps the process alive. */
export const realTimers: SessionClock = {
  setTimer: (ms, fn) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface HttpSessionsOptions {
  /** Expiry timers (default: real ones). */
  clock?: SessionClock;
  /** Called after every change of the numbers in stats() (a session opened, taken, released or closed). */
  onChange?: () => void;
}

/** Open HTTP sessions, and how many have a request running now. */
export interface HttpSessionStats {
  open: number;
  busy: number;
}

export interface HttpSession {
  readonly id: string;
  readonly user: string;
  /** The pinned engine Session; absent only while the first request waits for one. */
  pooled?: PooledSession;
  /** The session's current database (`USE` changes it), for requests that name none. */
  database: string;
}

interface Entry extends HttpSession {
  key: string;
  timeoutMs: number;
  busy: boolean;
  /** The expiry timer's handle (the clock's), while the session is idle. */
  timer?: unknown;
}

export class HttpSessions {
  readonly #sessions = new Map<string, Entry>();
  readonly #max: number;
  readonly #clock: SessionClock;
  readonly #changed: () => void;
  #closing = false;

  constructor(
    private readonly pool: SessionPool,
    options: HttpSessionsOptions = {},
  ) {
    this.#max = Math.max(1, Math.floor(pool.size / 2));
    this.#clock = options.clock ?? realTimers;
    this.#changed = options.onChange ?? (() => {});
  }

  /** Open sessions (for tests and diagnostics). */
  get open(): number {
    return this.#sessions.size;
  }

  stats(): HttpSessionStats {
    let busy = 0;
    for (const entry of this.#sessions.values()) if (entry.busy) busy++;
    return { open: this.#sessions.size, busy };
  }

  /** The session for one request, created unless session_check; release it when the request is done. */
  async acquire(user: string, params: SessionParams, signal?: AbortSignal): Promise<HttpSession> {
    const key = `${user}\u0000${params.id}`;
    const existing = this.#sessions.get(key);
    if (existing) {
      if (existing.busy || !existing.pooled) {
        throw EngineError.of('SESSION_IS_LOCKED', `Session ${params.id} is locked by a concurrent client`);
      }
      this.#stopTimer(existing);
      existing.busy = true;
      this.#changed();
      return existing;
    }
    if (params.check) throw EngineError.of('SESSION_NOT_FOUND', `Session ${params.id} not found`);
    if (this.#closing) throw EngineError.of('QUERY_WAS_CANCELLED', 'The embedded warehouse is shutting down');
    if (this.#sessions.size >= this.#max) {
      throw EngineError.of('LIMIT_EXCEEDED',
        `Too many HTTP sessions: the embedded warehouse keeps at most ${this.#max} open at once (each holds one of its ${this.pool.size} engine sessions). Close one with close_session=1, let one time out (session_timeout), or send the request without session_id`,
      );
    }
    // In the map before the wait, so a concurrent request with the same id is told it is locked.
    const entry: Entry = { key, id: params.id, user, database: 'default', timeoutMs: params.timeoutMs, busy: true };
    this.#sessions.set(key, entry);
    this.#changed();
    try {
      entry.pooled = await this.pool.acquire(signal);
    } catch (error) {
      this.#sessions.delete(key);
      this.#changed();
      throw error;
    }
    return entry;
  }

  /** The request is done: the session closes now (close_session=1) or after its timeout. */
  release(session: HttpSession, close: boolean): void {
    const entry = this.#sessions.get(`${session.user}\u0000${session.id}`);
    if (!entry || entry !== session) return;
    entry.busy = false;
    if (close || this.#closing || entry.timeoutMs === 0) {
      this.#drop(entry);
      return;
    }
    entry.timer = this.#clock.setTimer(entry.timeoutMs, () => this.#drop(entry));
    this.#changed();
  }

  /** Closes every idle session; busy ones close when their request releases them. */
  close(): void {
    this.#closing = true;
    for (const entry of [...this.#sessions.values()]) if (!entry.busy) this.#drop(entry);
  }

  #drop(entry: Entry): void {
    this.#stopTimer(entry);
    this.#sessions.delete(entry.key);
    if (entry.pooled) {
      // Its temporary tables and settings go with it: the pool replaces the engine Session.
      entry.pooled.dirty = true;
      this.pool.release(entry.pooled);
    }
    this.#changed();
  }

  #stopTimer(entry: Entry): void {
    if (entry.timer !== undefined) this.#clock.clearTimer(entry.timer);
    entry.timer = undefined;
  }
}
