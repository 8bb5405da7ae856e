import { randomBytes } from 'node:crypto';
import { appendFile, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { holdBindLock, insertRaw, ResultStream, runQuery, takeBindWait, type BindLock } from './chdb-native.ts';
import { EngineError, toEngineError } from './errors.ts';
import { decodedBody, type RequestOptions } from './http-request.ts';
import { emptySummary, ResultWriter, type ServerIdentity, type Summary } from './http-response.ts';
import type { HttpSession, HttpSessions } from './http-sessions.ts';
import { chunkModeFor, InsertTooLargeError, recordChunks } from './insert-chunks.ts';
import { checkSettings, checkStatement as checkPrivileges, type Access } from './privileges.ts';
import { statementShape, type Trace } from './request-trace.ts';
import type { Lane, PooledSession, SessionPool } from './session-pool.ts';
import { scanStatement, type StatementHead } from './sql-scan.ts';

export interface EngineInfo extends ServerIdentity {
  /** Lower-case names of formats the engine can read / write. */
  inputFormats: ReadonlySet<string>;
  outputFormats: ReadonlySet<string>;
}

export interface RunContext {
  pool: SessionPool;
  engine: EngineInfo;
  /** Directory for large INSERT pieces on their way to the engine (see SPOOL_MIN_BYTES); none: always inline. */
  spoolDir?: string;
  /** The rights of the authenticated user; absent for the admin, who may do anything. */
  access?: Access;
  /** The authenticated user's name: HTTP sessions belong to it. */
  user: string;
  sessions: HttpSessions;
  /** Told when an INSERT (with data, or INSERT … SELECT) has been written by the engine: its rows are visible now. */
  inserted?: () => void;
  /** The queue this request waits in for an engine Session (session-pool.ts). */
  lane?: Lane;
  /** Per-request timings (CRM_EMBEDDED_TRACE). */
  trace?: Trace;
}

/** SQL text (not INSERT data) kept in memory per request; the engine's own max_query_size is far lower. */
const MAX_QUERY_BYTES = 16 << 20;
/** INSERT pieces: big enough to make few parts, small enough to keep memory flat. */
const INSERT_PIECE_BYTES = 16 << 20;
/** Bodies of formats that cannot be cut (Parquet, RowBinary, ...) go in whole, up to this. */
const MAX_WHOLE_INSERT_BYTES = 1 << 30;
/**
 * Bodies of line formats from this size on are spooled to a file and inserted with the client's
 * own statement plus `FROM INFILE '<spool>'`. chDB parses inline INSERT data several times slower
 * than a file: 1M transactions rows, 170 MB of TSV, took 4.5–7 s of engine CPU into a Null table
 * against 1.5–2.5 s. One file per SPOOL_FILE_BYTES is also one engine insert, so one part per
 * partition, where every 16 MiB inline piece made its own. Small bodies stay inline, where the
 * engine's error texts name no file.
 */
const SPOOL_MIN_BYTES = 1 << 20;
const SPOOL_FILE_BYTES = 256 << 20;

/** Statements that need only read access, for readonly=1/2 (and GET, which implies it). */
const READ_ONLY_KINDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);
/** Statements whose results come out block by block instead of whole. */
const STREAMED_KINDS = new Set(['SELECT', 'WITH']);

type Statement =
  | { kind: 'sql'; text: string; head: StatementHead }
  /** `fromFile`: `prefix` with `FROM INFILE '{}'` where the data source goes (absent for VALUES). */
  | { kind: 'insert'; prefix: string; format: string; fromFile?: (path: string) => string; data: AsyncIterable<Buffer> };

function bodyError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return EngineError.of('ZLIB_INFLATE_FAILED', `Cannot decompress the request body: ${(error as Error).message}`);
  }
  return error;
}

async function* rethrowingBodyErrors(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (error) {
    throw bodyError(error);
  }
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  if (first.length > 0) yield first;
  if (!rest) return;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/**
 * Reads as much of `URL query + '\n' + body` (ClickHouse's concatenation) as it takes to know
 * the statement. An INSERT with inline data is split where its data begins, leaving the data
 * unread; anything else is read whole.
 */
async function readStatement(urlQuery: string | undefined, body: Readable | undefined, engine: EngineInfo): Promise<Statement> {
  const pieces: Buffer[] = urlQuery !== undefined ? [Buffer.from(`${urlQuery}\n`, 'utf8')] : [];
  let size = pieces[0]?.length ?? 0;
  const source = body ? rethrowingBodyErrors(body)[Symbol.asyncIterator]() : undefined;
  let ended = !source;
  // Rescan only until the kind is known: anything but an INSERT with inline data is read whole.
  let decided = false;
  for (;;) {
    if (!decided) {
      const all = Buffer.concat(pieces, size);
      const head = scanStatement(all.toString('latin1'), { final: ended, formats: engine.inputFormats });
      if (head.kind === 'INSERT' && head.data) {
        return {
          kind: 'insert',
          prefix: all.subarray(0, head.data.statementEnd).toString('utf8'),
          format: head.format ?? 'Values',
          fromFile: fromFileInsert(all.subarray(0, head.data.statementEnd), head.data.settingsAt ?? head.data.formatAt),
          data: prepend(all.subarray(head.data.dataStart), source),
        };
      }
      decided = head.kind !== '' && head.complete;
    }
    if (ended) {
      const all = Buffer.concat(pieces, size);
      return { kind: 'sql', text: all.toString('utf8'), head: scanStatement(all.toString('latin1'), { final: true, formats: engine.outputFormats }) };
    }
    const next = await source!.next();
    if (next.done) {
      ended = true;
    } else {
      pieces.push(next.value);
      size += next.value.length;
      if (size > MAX_QUERY_BYTES) {
        throw EngineError.of('QUERY_IS_TOO_LARGE', `The query is larger than ${MAX_QUERY_BYTES} bytes`);
      }
    }
  }
}

/** `INSERT INTO t (cols) [SETTINGS …] FORMAT X` → `INSERT INTO t (cols) FROM INFILE '<path>' [SETTINGS …] FORMAT X`. */
function fromFileInsert(statement: Buffer, at: number | undefined): ((path: string) => string) | undefined {
  if (at === undefined) return undefined;
  const head = statement.subarray(0, at).toString('utf8');
  const tail = statement.subarray(at).toString('utf8');
  return (path) => `${head}FROM INFILE ${sqlString(path)} ${tail}`;
}

/** `multipart/form-data` bodies carry the query and `param_*` values as fields (clickhouse-js use_multipart_params). */
async function readMultipart(req: IncomingMessage, body: Readable, options: RequestOptions): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of rethrowingBodyErrors(body)) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_QUERY_BYTES) throw EngineError.of('QUERY_IS_TOO_LARGE', `The request is larger than ${MAX_QUERY_BYTES} bytes`);
  }
  const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
  let query: string | undefined;
  for (const [name, value] of form) {
    if (typeof value !== 'string') {
      throw EngineError.of('NOT_IMPLEMENTED', 'External tables in multipart requests are not supported by the embedded warehouse');
    }
    if (name === 'query') query = value;
    else if (name.startsWith('param_')) options.params[name.slice('param_'.length)] = value;
  }
  return [options.urlQuery, query].filter((q) => q !== undefined).join('\n') || undefined;
}

function checkStatement(statement: Statement, options: RequestOptions, method: string): void {
  if (statement.kind === 'insert') {
    if (options.readonly > 0) throw readonlyError(method);
    return;
  }
  const { head, text } = statement;
  if (!head.kind) throw EngineError.of('SYNTAX_ERROR', 'Empty query');
  if (head.secondStatementAt !== undefined) {
    const at = head.secondStatementAt;
    throw EngineError.of('SYNTAX_ERROR',
      `Syntax error (Multi-statements are not allowed): failed at position ${at + 1}: ${text.slice(at, at + 40)}`,
    );
  }
  if (options.readonly > 0 && !READ_ONLY_KINDS.has(head.kind) && !(head.kind === 'SET' && options.readonly === 2)) {
    throw readonlyError(method);
  }
}

function readonlyError(method: string): EngineError {
  const hint = method === 'POST' ? '' : '. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries';
  return EngineError.of('READONLY', `Cannot execute query in readonly mode${hint}`);
}

/** Whether a statement changes Session state that later requests must not see. */
function leavesSessionState(statement: Statement): boolean {
  if (statement.kind !== 'sql') return false;
  const kind = statement.head.kind;
  return kind === 'SET' || kind === 'USE' || (kind === 'CREATE' && /^\s*CREATE\s+TEMPORARY\b/i.test(statement.text));
}

async function runInsert(pooled: PooledSession, statement: Extract<Statement, { kind: 'insert' }>, summary: Summary, spoolDir: string | undefined): Promise<void> {
  const mode = chunkModeFor(statement.format);
  // Header rows would have to be kept once per file; such formats are rare in bulk loads.
  const spool = spoolDir !== undefined && statement.fromFile !== undefined && mode.kind !== 'whole' && mode.headerRows === 0;
  let file: { path: string; bytes: number } | undefined;
  const flush = async (): Promise<void> => {
    const f = file!;
    file = undefined;
    try {
      const r = await insertRaw(pooled.session, statement.fromFile!(f.path), Buffer.alloc(0), false);
      summary.writtenRows += r.rowsWritten;
      summary.writtenBytes += r.bytesWritten;
      summary.readRows += r.rowsWritten;
      summary.readBytes += f.bytes;
    } finally {
      await unlink(f.path).catch(() => undefined);
    }
  };
  try {
    for await (const piece of recordChunks(rethrowingBodyErrors(statement.data), mode, { targetBytes: INSERT_PIECE_BYTES, maxBytes: MAX_WHOLE_INSERT_BYTES })) {
      // Pieces are cut at INSERT_PIECE_BYTES, so a small piece with no file open is the whole body.
      if (spool && (file || piece.length >= SPOOL_MIN_BYTES)) {
        file ??= { path: join(spoolDir, `insert-${randomBytes(8).toString('hex')}`), bytes: 0 };
        await appendFile(file.path, piece);
        file.bytes += piece.length;
        if (file.bytes >= SPOOL_FILE_BYTES) await flush();
        continue;
      }
      const r = await insertRaw(pooled.session, statement.prefix, piece, mode.kind === 'lines');
      summary.writtenRows += r.rowsWritten;
      summary.writtenBytes += r.bytesWritten;
      summary.readRows += r.rowsWritten;
      summary.readBytes += piece.length;
    }
    if (file) await flush();
  } catch (error) {
    if (file) await unlink(file.path).catch(() => undefined);
    if (error instanceof InsertTooLargeError) throw EngineError.of('QUERY_IS_TOO_LARGE', error.message);
    throw error;
  }
}

function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * chdb streams a result block by block, each block formatted on its own. That is only a valid
 * result for formats whose output is a plain concatenation of rows; formats with a header, footer
 * or file structure (CSVWithNames, JSON, Parquet, Arrow, Pretty…) are run whole instead.
 */
const BLOCK_CONCATENABLE_FORMATS = new Set([
  'tabseparated', 'tsv', 'tabseparatedraw', 'tsvraw', 'csv', 'jsoneachrow', 'jsonlines', 'ndjson',
  'jsoncompacteachrow', 'jsonstringseachrow', 'jsoncompactstringseachrow', 'rowbinary', 'native',
  'values', 'lineasstring', 'rawblob', 'customseparated',
]);

async function runSelect(pooled: PooledSession, text: string, options: RequestOptions, writer: ResultWriter, summary: Summary, signal: AbortSignal, held?: BindLock): Promise<boolean> {
  let stream: ResultStream;
  try {
    stream = await ResultStream.open(pooled.session, text, options.defaultFormat, options.params, held);
  } catch (error) {
    // Some SELECT forms (INTO OUTFILE, ...) cannot stream; they run whole instead.
    if (/Streaming query is not supported/.test(String((error as Error)?.message))) return false;
    throw error;
  }
  const stop = (): void => void stream.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (let chunk = await stream.next(); chunk; chunk = await stream.next()) {
      summary.resultRows += chunk.rows;
      summary.resultBytes += chunk.bytes.length;
      await writer.write(chunk.bytes, summary);
      await writer.flush(summary);
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await stream.close();
  }
  return true;
}

/**
 * A background statement's settings: one engine thread while any other request holds or waits for a
 * Session, so the dashboard and the loads keep the other core; alone, the client's own (the
 * engine's thread count unless it set one), so a refresh on an idle machine takes every core
 * (issue 17: one thread always made the worker's 1,000-row refresh at 10M take about its CPU time,
 * 2.6 s, where two took 1.5 s). Decided when the statement gets its Session.
 */
function backgroundSettings(settings: ReadonlyMap<string, string>, pool: SessionPool): ReadonlyMap<string, string> {
  const { busy, queued } = pool.stats();
  if (busy <= 1 && queued === 0) return settings;
  return new Map([...settings, ['max_threads', '1']]);
}

export async function runRequest(req: IncomingMessage, res: ServerResponse, options: RequestOptions, ctx: RunContext): Promise<void> {
  const aborted = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) aborted.abort();
  });
  const { engine, pool } = ctx;
  const lane = ctx.lane ?? 'product';
  let writer: ResultWriter | undefined;
  let pooled: PooledSession | undefined;
  // A request in an HTTP session runs on the session's pinned engine Session, which stays with it.
  let named: HttpSession | undefined;
  const arrival = ctx.trace ? { at: Date.now(), t0: performance.now(), ...pool.stats() } : undefined;
  let tookAt: number | undefined;
  let shape = '';
  let settings: ReadonlyMap<string, string> = options.settings;
  // With lanes, a statement with query parameters waits for the process-wide parameter lock before
  // it takes an engine Session, not while holding one (chdb-native.ts holdBindLock). Not with one
  // first-come queue: there the lock's holder would wait for a Session behind Cube's queries.
  let bindLock: BindLock | undefined;
  let bindWaitedMs = 0;
  const take = async (): Promise<PooledSession> => {
    if (!named && !bindLock && pool.stats().reserved > 0 && Object.keys(options.params).length > 0) {
      bindLock = await holdBindLock();
      bindWaitedMs = bindLock.waitedMs;
    }
    const p = named?.pooled ?? (await pool.acquire(aborted.signal, lane));
    tookAt ??= performance.now();
    if (lane === 'background') settings = backgroundSettings(options.settings, pool);
    return p;
  };
  const traced = (p: PooledSession | undefined, ok: boolean): void => {
    if (!arrival || !ctx.trace) return;
    const now = performance.now();
    const took = tookAt ?? now;
    ctx.trace({
      at: arrival.at,
      user: ctx.user,
      lane,
      queuedAhead: arrival.queued,
      busyAtArrival: arrival.busy,
      waitMs: Math.round(took - arrival.t0),
      runMs: Math.round(now - took),
      bindWaitMs: Math.round(bindWaitedMs + (p ? takeBindWait(p.session) : 0)),
      ok,
      shape,
    });
  };
  const giveBack = (p: PooledSession): void => {
    if (!named) pool.release(p);
  };
  try {
    if (options.session) named = await ctx.sessions.acquire(ctx.user, options.session, aborted.signal);
    // In a session, a request that names no database uses the session's (USE carries over).
    const database = named && !options.explicitDatabase ? named.database : options.database;
    const method = req.method ?? 'GET';
    let urlQuery = options.urlQuery;
    let body: Readable | undefined = method === 'POST' ? decodedBody(req) : undefined;
    if (body && /^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
      urlQuery = await readMultipart(req, body, options);
      body = undefined;
    }
    const statement = await readStatement(urlQuery, body, engine);
    if (ctx.trace) shape = statementShape(statement.kind === 'insert' ? statement.prefix : statement.text);
    checkStatement(statement, options, method);
    if (ctx.access) {
      // Before the settings reach the Session: some name files or change how SQL is parsed.
      checkSettings(ctx.access, options.settings);
      pooled = await take();
      await pooled.prepare(database, settings);
      // The client's own text: a spooled INSERT gets its FROM INFILE only after this.
      await checkPrivileges(pooled.session, ctx.access, statement.kind === 'insert' ? statement.prefix : statement.text, options, bindLock);
      if (ctx.access.role === 'reader') checkStatement(statement, { ...options, readonly: Math.max(options.readonly, 2) }, method);
    }

    const format = statement.kind === 'sql' ? (statement.head.format ?? options.defaultFormat) : options.defaultFormat;
    writer = new ResultWriter(res, {
      server: engine,
      queryId: options.queryId,
      format,
      timezone: options.settings.get('session_timezone') || engine.timezone,
      encoding: options.responseEncoding,
      waitEndOfQuery: options.waitEndOfQuery,
      signal: aborted.signal,
    });
    pooled ??= await take();
    await pooled.prepare(database, settings);
    const changesState = leavesSessionState(statement);
    if (changesState && !named) pooled.dirty = true;

    const summary = emptySummary();
    if (statement.kind === 'insert') {
      bindLock?.release();
      await runInsert(pooled, statement, summary, ctx.spoolDir);
    } else if (!STREAMED_KINDS.has(statement.head.kind) || !BLOCK_CONCATENABLE_FORMATS.has(format.toLowerCase()) || !(await runSelect(pooled, statement.text, options, writer, summary, aborted.signal, bindLock))) {
      const r = await runQuery(pooled.session, statement.text, options.defaultFormat, options.params, bindLock);
      summary.readRows = r.rowsRead;
      summary.readBytes = r.bytesRead;
      summary.resultBytes = r.bytes.length;
      await writer.write(r.bytes, summary);
    }
    // With data or INSERT … SELECT: its rows are in.
    if (statement.kind === 'insert' || statement.head.kind === 'INSERT') ctx.inserted?.();
    if (changesState && named) {
      await pooled.adoptState();
      named.database = pooled.database;
    }
    traced(pooled, true);
    giveBack(pooled);
    pooled = undefined;
    // The engine is done: the session is free for the client's next request, which may come as
    // soon as the last byte arrives (before this side sees the response finish).
    if (named) ctx.sessions.release(named, options.session?.close ?? false);
    named = undefined;
    await writer.end(summary);
  } catch (error) {
    if (pooled) {
      traced(pooled, false);
      // The failed statement's formatted rows would start the Session's next result (takeLeftover).
      // A Session not proven clean is replaced: a pooled one on release, an HTTP session's pinned one
      // by closing that HTTP session (its state goes with it, as at its timeout). An aborted pooled
      // request is replaced without trying: its stream may have been stopped mid-block.
      const clean = named ? await pooled.takeLeftover() : !pooled.dirty && !aborted.signal.aborted && (await pooled.takeLeftover());
      if (!clean && named) {
        ctx.sessions.release(named, true);
        named = undefined;
        pooled = undefined;
      } else if (!clean) pooled.dirty = true;
    }
    if (aborted.signal.aborted) {
      res.destroy();
      return;
    }
    const engineError = toEngineError(bodyError(error));
    if (writer) writer.fail(engineError);
    else throw engineError;
  } finally {
    bindLock?.release();
    if (pooled) giveBack(pooled);
    if (named) ctx.sessions.release(named, options.session?.close ?? false);
  }
}
