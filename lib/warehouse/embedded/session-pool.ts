import { drainPending, Session } from 'chdb';
import { quoteIdent } from '../sql.ts';
import { runQuery } from './chdb-native.ts';
import { EngineError } from './errors.ts';

/**
 * chdb runs one query at a time per Session, while Sessions on the same data directory run in
 * parallel. The pool hands each request a Session of its own, queueing requests when all are busy.
 *
 * A Session also carries state that must not leak from one request to the next: the current
 * database and changed settings. Each PooledSession remembers what it has applied and, before a
 * request, changes only the difference to what that request asks for (baseline + its settings),
 * so a client that always sends the same settings pays for SET once per Session. A request that
 * changes state behind our back (SET, USE, temporary tables) marks its Session dirty, and a dirty
 * Session is replaced by a fresh one on release.
 */

export interface PoolOptions {
  dataDir: string;
  size: number;
  /** Engine command-line arguments for every Session (server-wide defaults). */
  connectionArgs: string[];
  /** Requests allowed to wait for a Session before new ones are refused. */
  maxQueued: number;
  /**
   * Sessions only the product lane may take (see Lane): the analytic and background lanes together
   * hold at most `size - reserved`. 0: one first-come queue for every request.
   */
  reserved?: number;
  /** Called after every change of the numbers in stats() (a Session lent or returned, a request queued). */
  onChange?: () => void;
}

/**
 * Which queue a request waits in. Issue 17: with one first-come queue, Cube's 3–13 s analytic
 * queries held every Session during a data change, and each page view's session check and each
 * statement of a load (~20 in a row) waited behind them (p95 12 s).
 * - `product`: the product's own statements (session checks, point reads, a load's lookups and
 *   writes); served first, and may take any Session, the reserved ones included.
 * - `analytic`: Cube's queries (the semantic user), seconds each.
 * - `background`: work nobody waits on (the derived refresher asks for it by header).
 * The last two share one first-come queue and never hold the reserved Sessions.
 */
export type Lane = 'product' | 'analytic' | 'background';

/** What the pool is doing right now (see EmbeddedServer.stats). */
export interface PoolStats {
  /** Sessions it may hold: queries that run at once. */
  size: number;
  /** Sessions lent to requests now. */
  busy: number;
  /** Requests waiting for a Session. */
  queued: number;
  /** The most Sessions lent at once since the pool opened or since resetPeak(). */
  peakBusy: number;
  /** Sessions lent to the analytic and background lanes now (at most size - reserved). */
  longBusy: number;
  /** Sessions only the product lane may take. */
  reserved: number;
}

/**
 * A setting's value as a string literal. SET takes literals, not bound parameters, and these values
 * come from the engine itself (system.settings) or from a request's URL, escaped here either way.
 */
const quoteString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export class PooledSession {
  /** Set when a request may have left state (settings, database, temporary tables) we cannot track. */
  dirty = false;
  #database = 'default';
  /** Settings currently differing from the baseline on this Session. */
  #applied = new Map<string, string>();

  constructor(
    readonly session: Session,
    private baseline: ReadonlyMap<string, string>,
  ) {}

  /** The Session's current database as far as requests are concerned. */
  get database(): string {
    return this.#database;
  }

  /** Makes the Session's current database and settings exactly what this request asks for. */
  async prepare(database: string, settings: ReadonlyMap<string, string>): Promise<void> {
    const changes: [string, string][] = [];
    for (const [name, value] of settings) {
      if ((this.#applied.get(name) ?? this.baseline.get(name)) !== value) changes.push([name, value]);
    }
    for (const [name] of this.#applied) {
      if (!settings.has(name)) changes.push([name, this.baseline.get(name) ?? '']);
    }
    if (changes.length > 0) {
      try {
        await runQuery(this.session, `SET ${changes.map(([n, v]) => `${n} = ${quoteString(v)}`).join(', ')}`, 'TabSeparated');
      } catch (error) {
        this.dirty = true;
        throw error;
      }
      this.#applied = new Map([...settings].filter(([name, value]) => this.baseline.get(name) !== value));
    }
    if (database !== this.#database) {
      await runQuery(this.session, `USE ${quoteIdent(database)}`, 'TabSeparated');
      this.#database = database;
    }
  }

  /**
   * After a failed statement: chdb keeps what a whole-result statement (JSON, Pretty, CSVWithNames…)
   * had formatted before it failed and hands it to the Session's next statement as the start of its
   * result — another request's, another user's. A throwaway `SELECT 1` takes it (≈ 4 ms, where a new
   * Session costs 35–45 ms of the event loop). The Session counts as clean only once a statement
   * answered exactly its own bytes, so a leftover that took more than one statement, or a clean-up
   * that failed, is never assumed gone: false, and the caller replaces the Session.
   */
  async takeLeftover(tries = 3): Promise<boolean> {
    for (let i = 0; i < tries; i++) {
      let bytes: Uint8Array;
      try {
        bytes = (await runQuery(this.session, 'SELECT 1', 'TabSeparated')).bytes;
      } catch {
        return false;
      }
      if (bytes.length === 2 && bytes[0] === 0x31 && bytes[1] === 0x0a) return true;
    }
    return false;
  }

  /**
   * For a Session pinned to an HTTP session, after a statement changed its state (SET, USE): the
   * request's own settings are undone, and what the engine then has becomes this Session's
   * baseline, so later requests of the HTTP session see the SET and their own settings on top.
   */
  async adoptState(): Promise<void> {
    if (this.#applied.size > 0) {
      const undo = [...this.#applied.keys()].map((name) => `${name} = ${quoteString(this.baseline.get(name) ?? '')}`);
      await runQuery(this.session, `SET ${undo.join(', ')}`, 'TabSeparated');
      this.#applied = new Map();
    }
    // Read under lifted limits (a SET max_result_rows = 7 would cut system.settings short), then
    // the lifted ones themselves in a one-row query that no sensible limit stops.
    const settings = await readSettings(this.session, `SETTINGS ${LIFTED.map((name) => `${name} = 0`).join(', ')}`);
    const r = await runQuery(this.session, `SELECT currentDatabase(), ${LIFTED.map((name) => `toString(getSetting('${name}'))`).join(', ')}`, 'JSONCompactEachRow');
    const [database, ...lifted] = JSON.parse(Buffer.from(r.bytes).toString('utf8')) as string[];
    LIFTED.forEach((name, i) => settings.set(name, lifted[i]));
    this.baseline = settings;
    this.#database = database;
  }
}

/** For our own queries on a Session whose user SET limits (max_result_rows = 7 would cut system.settings). */
const LIFTED = ['max_result_rows', 'max_result_bytes', 'max_rows_to_read', 'max_bytes_to_read', 'max_execution_time', 'max_rows_to_read_leaf', 'max_bytes_to_read_leaf'];

async function readSettings(session: Session, clause = ''): Promise<Map<string, string>> {
  const r = await runQuery(session, `SELECT name, value FROM system.settings ${clause}`, 'JSONCompactEachRow');
  const settings = new Map<string, string>();
  for (const line of Buffer.from(r.bytes).toString('utf8').split('\n')) {
    if (line) {
      const [name, value] = JSON.parse(line) as [string, string];
      settings.set(name, value);
    }
  }
  return settings;
}

interface Waiter {
  long: boolean;
  resolve(session: PooledSession): void;
  reject(error: unknown): void;
}

export class SessionPool {
  readonly baseline: ReadonlyMap<string, string>;
  /** How many Sessions it holds at most (queries that run at once). */
  get size(): number {
    return this.options.size;
  }
  #idle: PooledSession[] = [];
  #busy = new Set<PooledSession>();
  /** Sessions lent to the analytic and background lanes. */
  #long = new Set<PooledSession>();
  /** Product-lane waiters, served first (each queue first-come). */
  #short: Waiter[] = [];
  /** The long lanes' waiters; every request's when no Session is reserved. */
  #waiters: Waiter[] = [];
  #total = 0;
  #closing = false;
  #drained: (() => void) | undefined;
  #peakBusy = 0;

  private constructor(
    private readonly options: PoolOptions,
    first: Session,
    baseline: ReadonlyMap<string, string>,
  ) {
    this.baseline = baseline;
    this.#idle.push(new PooledSession(first, baseline));
    this.#total = 1;
  }

  /**
   * Opens the first Session (which takes the data directory's lock: a ChdbConnectionError here
   * means another process owns it) and reads the engine's default settings.
   */
  static async open(options: PoolOptions): Promise<SessionPool> {
    const first = new Session(options.dataDir, { connectionArgs: options.connectionArgs });
    try {
      return new SessionPool(options, first, await readSettings(first));
    } catch (error) {
      first.close();
      throw error;
    }
  }

  stats(): PoolStats {
    return { size: this.options.size, busy: this.#busy.size, queued: this.#short.length + this.#waiters.length, peakBusy: this.#peakBusy, longBusy: this.#long.size, reserved: this.#reserved };
  }

  /** Starts counting peakBusy afresh from what is lent now. */
  resetPeak(): void {
    this.#peakBusy = this.#busy.size;
  }

  /** Sessions held back for the product lane (never more than all but one). */
  get #reserved(): number {
    return Math.min(Math.max(0, this.options.reserved ?? 0), this.options.size - 1);
  }

  /** Whether a long-lane request may take a Session now (the reserved ones aside). */
  #longMayTake(): boolean {
    return this.#long.size < this.options.size - this.#reserved;
  }

  /** A Session for one request; `signal` abandons the wait (the client went away). */
  acquire(signal?: AbortSignal, lane: Lane = 'product'): Promise<PooledSession> {
    if (this.#closing) return Promise.reject(EngineError.of('QUERY_WAS_CANCELLED', 'The embedded warehouse is shutting down'));
    // Without reserved Sessions every lane is one first-come queue, as before issue 17's lanes.
    const long = lane !== 'product' && this.#reserved > 0;
    if (!long || this.#longMayTake()) {
      const idle = this.#idle.pop();
      if (idle) return Promise.resolve(this.#lend(idle, long));
      if (this.#total < this.options.size) {
        this.#total++;
        try {
          return Promise.resolve(this.#lend(this.#fresh(), long));
        } catch (error) {
          this.#total--;
          return Promise.reject(error);
        }
      }
    }
    const queue = long || this.#reserved === 0 ? this.#waiters : this.#short;
    if (this.#short.length + this.#waiters.length >= this.options.maxQueued) {
      return Promise.reject(
        EngineError.of('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries. Maximum: ${this.options.size + this.options.maxQueued}`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        long,
        resolve: (session) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(session);
        },
        reject,
      };
      const onAbort = (): void => {
        this.#short = this.#short.filter((w) => w !== waiter);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(EngineError.of('QUERY_WAS_CANCELLED', 'Query was cancelled while waiting for a free session'));
        this.options.onChange?.();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.options.onChange?.();
    });
  }

  /** Returns a Session after its request is completely done with it (no query still running). */
  release(pooled: PooledSession): void {
    this.#busy.delete(pooled);
    this.#long.delete(pooled);
    try {
      this.#handBack(pooled);
    } finally {
      this.options.onChange?.();
    }
  }

  #handBack(pooled: PooledSession): void {
    let next = pooled;
    if (pooled.dirty && this.#closing) {
      pooled.session.close();
      this.#total--;
      this.#checkDrained();
      return;
    }
    if (pooled.dirty) {
      pooled.session.close();
      try {
        next = this.#fresh();
      } catch (error) {
        this.#total--;
        (this.#short.shift() ?? this.#waiters.shift())?.reject(error);
        this.#checkDrained();
        return;
      }
    }
    const waiter = this.#next();
    if (waiter && !this.#closing) waiter.resolve(this.#lend(next, waiter.long));
    else this.#idle.push(next);
    this.#checkDrained();
  }

  /** Refuses new work, waits for running requests to release their Sessions, then closes all. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const waiter of [...this.#short.splice(0), ...this.#waiters.splice(0)]) {
      waiter.reject(EngineError.of('QUERY_WAS_CANCELLED', 'The embedded warehouse is shutting down'));
    }
    if (this.#busy.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    for (const pooled of this.#idle.splice(0)) pooled.session.close();
    // Connections closed while chdb still tracks work are torn down later; wait so the data
    // directory is really released when close() resolves.
    await drainPending();
  }

  #fresh(): PooledSession {
    return new PooledSession(new Session(this.options.dataDir, { connectionArgs: this.options.connectionArgs }), this.baseline);
  }

  /** Who gets a Session just handed back: a product-lane waiter first, else the oldest long one that may. */
  #next(): Waiter | undefined {
    const short = this.#short.shift();
    if (short) return short;
    const first = this.#waiters[0];
    if (first && (!first.long || this.#longMayTake())) return this.#waiters.shift();
    return undefined;
  }

  #lend(pooled: PooledSession, long = false): PooledSession {
    this.#busy.add(pooled);
    if (long) this.#long.add(pooled);
    this.#peakBusy = Math.max(this.#peakBusy, this.#busy.size);
    this.options.onChange?.();
    return pooled;
  }

  #checkDrained(): void {
    if (this.#closing && this.#busy.size === 0) this.#drained?.();
  }
}
