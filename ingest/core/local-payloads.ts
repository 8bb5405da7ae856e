import { lstat, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdent } from '../../lib/warehouse/sql.ts';
import { PayloadStream } from './payload-stream.ts';
import { ROW_END, ROW_END_COLUMN, withLastColumn } from './row-end.ts';

/**
 * Large insert payloads handed to the engine as files instead of HTTP bodies, when the engine can
 * read files this process writes: the embedded endpoint (chDB) on this machine, as its admin.
 *
 * Why: the endpoint receives an HTTP body whole, spools it to a file and only then lets the engine
 * parse it; the body is copied three times on the way (client stream, body pieces concatenated,
 * spool file) on the JS thread that also encodes the rows. Measured on 2 busy cores, 40 MB of
 * transactions TSV (250k rows) into the transactions table: 5.5–5.9 s wall and 1.5–1.6 CPU-s over
 * HTTP against 2.7–2.8 s and 0.8–0.9 CPU-s as `INSERT … FROM INFILE` of the same bytes. The
 * statement is the same INSERT (same columns, format and settings), so what is stored and what
 * fails are the same; it is one engine insert per file, as the endpoint's own spooling makes.
 *
 * With the target's column types the statement is `INSERT INTO t (cols) SELECT * FROM file(path,
 * format, structure)`, reading LowCardinality columns as plain String and without
 * `optimize_on_insert` (see `statement`); without them `INSERT … FROM INFILE`.
 *
 * Whether the engine can: decided once per load by inserting an empty file into the target table
 * (nothing is stored). A server elsewhere cannot open the path, ClickHouse's HTTP interface refuses
 * `FROM INFILE`, and the endpoint refuses it to every user but the admin: each of those fails the
 * probe and payloads go over HTTP as before. The load does not offer files to a non-admin user or an
 * endpoint off this machine at all (ingest/load/job.ts), which saves the client's error log line.
 */
export class LocalPayloads {
  /**
   * Payloads below this go over HTTP: the endpoint inserts them inline, and a file costs a probe
   * and two syscalls more. The parity test sets 0 (every payload a file) or Infinity (none).
   */
  static minBytes = 1 << 20;
  /**
   * Whether an entity's own table may be fed through a named pipe (PayloadStream) instead of a file
   * per batch; the parity test runs both ways.
   */
  static streams = true;
  /** Payloads sent as files by this process, all loads (the parity test checks which path ran). */
  static sent = 0;
  /** Payloads sent through pipes by this process, all loads. */
  static streamed = 0;
  #dir: Promise<string> | undefined;
  #usable: Promise<boolean> | undefined;
  #pipe: Promise<string | undefined> | undefined;
  #seq = 0;
  #noStream = false;
  /** Payloads sent as files (for tests and timings). */
  files = 0;

  constructor(readonly command: (sql: string) => Promise<void>) {}

  #directory(): Promise<string> {
    this.#dir ??= (async () => {
      await removeLeftovers();
      // mkdtemp makes it 0700: the payloads hold customer data.
      return mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
    })();
    return this.#dir;
  }

  /**
   * The insert of a payload file. With the target columns' types (`types`, name → type):
   * `INSERT INTO t (cols) SELECT * FROM file('<path>', <format>, '<structure>') SETTINGS
   * optimize_on_insert = 0, input_format_parallel_parsing = 0` (INSERT_SETTINGS), else `INSERT INTO t (cols) FROM INFILE '<path>' FORMAT <format>`.
   *
   * Why the file() form: the structure names each column's own type except that
   * LowCardinality(T) is read as T (the insert converts it), so every value is parsed by the same
   * text parser and stored the same; building dictionaries while parsing is what the engine's
   * own `file()` load of a CSV avoids too. `optimize_on_insert = 0`: a payload holds one row per
   * key (the writer decides duplicates of an input before it encodes the payload; stubs are one
   * per reference), so the replacing merge the engine would run over each inserted block finds
   * nothing to replace. Measured on 250k rows of transactions TSV (32 MB) into the transactions
   * table, four interleaved rounds on 2 busy cores (load 24–28): FROM INFILE 1.02–1.31 engine
   * CPU-s, FROM INFILE without optimize_on_insert 0.77–1.22, the file() form 0.52–0.87.
   *
   * `lastColumn`: the rows end in the ROW_END marker instead of the last column's value, and the
   * file() form selects `lastColumn` as a constant in its place (fileSource); the FROM INFILE form
   * takes rows as they are, so the caller writes the value back into them first.
   */
  static statement(table: string, columns: readonly string[], path: string, format: string, types?: ReadonlyMap<string, string>, lastColumn?: string): string {
    const cols = columns.map(quoteIdent).join(', ');
    const from = types && !GLOB.test(path) ? fileSource(path, format, columns, types, lastColumn) : undefined;
    if (from === undefined) return `INSERT INTO ${table} (${cols}) FROM INFILE ${sqlString(path)} FORMAT ${format}`;
    return `INSERT INTO ${table} (${cols}) ${from} SETTINGS ${INSERT_SETTINGS}`;
  }

  /**
   * Inserts `payload` from a file when the engine can read one; returns false (nothing done) when it
   * cannot. `typesOf` gives the target's column types (name → type; asked only when a file is used).
   * With `lastColumn`, each row's last field is the ROW_END marker and the last column gets
   * `lastColumn` (see row-end.ts).
   */
  async insert(table: string, columns: readonly string[], payload: Buffer, format: string, typesOf?: () => Promise<ReadonlyMap<string, string> | undefined>, lastColumn?: string): Promise<boolean> {
    if (payload.length === 0 || payload.length < LocalPayloads.minBytes) return false;
    const types = await typesOf?.();
    this.#usable ??= this.#probe(table, columns, format, types, lastColumn);
    if (!(await this.#usable)) return false;
    const path = join(await this.#directory(), `payload-${++this.#seq}.${format.toLowerCase()}`);
    const statement = LocalPayloads.statement(table, columns, path, format, types, lastColumn);
    // The same test `statement` makes: FROM INFILE (a column type unknown, a glob in the path) has
    // no SELECT to add the constant in, so the rows get it back.
    const fileForm = types !== undefined && !GLOB.test(path) && fileSource(path, format, columns, types, lastColumn) !== undefined;
    const bytes = lastColumn !== undefined && !fileForm ? withLastColumn(payload, lastColumn) : payload;
    try {
      await writeFile(path, bytes, { mode: 0o600 });
    } catch {
      // The temp disk is full or gone: nothing was sent yet, so the HTTP body is a clean fallback.
      await unlink(path).catch(() => undefined);
      return false;
    }
    try {
      await this.command(statement);
      this.files++;
      LocalPayloads.sent++;
    } finally {
      await unlink(path).catch(() => undefined);
    }
    return true;
  }

  /**
   * An insert into `table` fed through a named pipe (see PayloadStream), or undefined when the
   * engine cannot read this machine's files, a column type is unknown or no pipe can be made: the
   * caller then sends each payload on its own. Each row's last field is the ROW_END marker: the
   * last column gets `lastColumn` instead, and a row whose marker is missing (cut by a writer killed
   * mid-write) is not kept (row-end.ts). One stream at a time per load.
   */
  async stream(table: string, columns: readonly string[], lastColumn: string, typesOf: () => Promise<ReadonlyMap<string, string> | undefined>): Promise<PayloadStream | undefined> {
    if (!LocalPayloads.streams || this.#noStream) return undefined;
    const types = await typesOf();
    if (!types) return undefined;
    this.#usable ??= this.#probe(table, columns, 'TabSeparated', types, lastColumn);
    if (!(await this.#usable)) return undefined;
    const pipe = await this.#pipeFile();
    const from = pipe === undefined ? undefined : fileSource(pipe, 'TabSeparated', columns, types, lastColumn);
    if (from === undefined) return undefined;
    const statement = `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) ${from} SETTINGS ${INSERT_SETTINGS}`;
    const stream = await PayloadStream.open(pipe!, statement, this.command);
    if (stream) LocalPayloads.streamed++;
    // No stream (the engine runs in another process): later batches of this load go one by one
    // without asking again (each refusal costs a started insert and PayloadStream's wait).
    else this.#noStream = true;
    return stream;
  }

  /** The load's pipe, made once; undefined where mkfifo is missing or the path would be a glob. */
  #pipeFile(): Promise<string | undefined> {
    this.#pipe ??= (async () => {
      const path = join(await this.#directory(), 'payload.pipe');
      if (GLOB.test(path)) return undefined;
      try {
        await PayloadStream.makePipe(path);
        return path;
      } catch {
        return undefined;
      }
    })();
    return this.#pipe;
  }

  async #probe(table: string, columns: readonly string[], format: string, types: ReadonlyMap<string, string> | undefined, lastColumn?: string): Promise<boolean> {
    try {
      const path = join(await this.#directory(), 'probe');
      await writeFile(path, '', { mode: 0o600 });
      await this.command(LocalPayloads.statement(table, columns, path, format, types, lastColumn));
      await unlink(path).catch(() => undefined);
      return true;
    } catch {
      // Any refusal (remote server, HTTP interface, non-admin user, unreadable path): HTTP bodies.
      return false;
    }
  }

  /** Removes the directory (a killed load leaves its own, which the next load removes). */
  async close(): Promise<void> {
    const dir = this.#dir;
    this.#dir = undefined;
    this.#pipe = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Settings of the file() inserts. `optimize_on_insert = 0`: see `statement`.
 * `input_format_parallel_parsing = 0`: the engine parses the payload in the query's own thread
 * instead of cutting it into segments (a Segmentator thread) that pool threads parse and a third
 * step puts back in order. With two cores, one of them busy encoding the next rows, the parallel
 * parse bought no speed and cost CPU: the job's 1M-row transactions payload (169 MB TSV) into the
 * transactions table (its copy view included), five interleaved rounds at load 16–20: 5.15–6.87
 * engine CPU-s (median 5.91) with it, 4.11–6.87 (median 4.96) without, lower in 4 of 5 pairs.
 *
 * `min_insert_block_size_rows` / `_bytes` at half the engine's defaults (1,048,576 rows, 256 MiB):
 * an INSERT … SELECT squashes what it reads into blocks of that size before it sorts and writes
 * them (and before the copy view of migration 018 sorts and writes its own), so with the defaults
 * a 1M-row load through the pipe (PayloadStream) kept every row until the last byte and then sorted
 * and wrote all of them, and the copy, on one engine thread while the job's threads had nothing
 * left to do: 1.8–8 s of a load under load average 17–19 (pipe closed → insert returned). With half
 * the block, the first half is written while the job still encodes the rest. 1M rows, three
 * interleaved whole-job pairs (load 17–19): that step 5.1 / 3.1 / 8.0 s → 2.5 / 1.7 / 1.9 s,
 * process CPU 8.3 / 8.4 / 8.8 → 8.2 / 8.5 / 8.8 CPU-s (two parts per month instead of one, no
 * measurable cost). The bytes bound keeps wide rows' blocks (and the memory they hold) bounded too.
 */
export const INSERT_SETTINGS = `optimize_on_insert = 0, input_format_parallel_parsing = 0, min_insert_block_size_rows = ${1 << 19}, min_insert_block_size_bytes = ${128 << 20}`;

const PREFIX = 'crm-ingest-';

/** Directories of loads whose process is gone (killed mid-load): their payloads are not needed by anyone. */
async function removeLeftovers(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const path = join(tmpdir(), name);
    // The temp directory is everyone's: only a real directory this user owns (mkdtemp made it 0700, so
    // nobody else can have planted links inside) is ours to remove. A same-named directory or link of
    // another user could steer a recursive removal anywhere this process may delete.
    const st = await lstat(path).catch(() => undefined);
    if (!st || !st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** file() expands `*`, `?`, `{a,b}` and ranges in paths: such a path (an odd TMPDIR) takes FROM INFILE. */
const GLOB = /[*?{}[\]]/;

/**
 * `name Type, …` of the payload's columns for file(), LowCardinality(T) read as T; undefined when
 * a column's type is unknown (the caller falls back to FROM INFILE).
 */
export function structureOf(columns: readonly string[], types: ReadonlyMap<string, string>): string | undefined {
  const parts: string[] = [];
  for (const c of columns) {
    const t = types.get(c);
    if (t === undefined) return undefined;
    parts.push(`${quoteIdent(c)} ${withoutLowCardinality(t)}`);
  }
  return parts.join(', ');
}

/**
 * `SELECT * FROM file('<path>', <format>, '<structure>')`, or with `lastColumn` (rows ending in the
 * ROW_END marker, see row-end.ts) `SELECT c1, …, '<lastColumn>' FROM file(…, 'c1 T1, …,
 * row_end_marker String') WHERE row_end_marker = '.'`; undefined when a column's type is unknown.
 */
function fileSource(path: string, format: string, columns: readonly string[], types: ReadonlyMap<string, string>, lastColumn?: string): string | undefined {
  if (lastColumn === undefined) {
    const structure = structureOf(columns, types);
    return structure === undefined ? undefined : `SELECT * FROM file(${sqlString(path)}, ${format}, ${sqlString(structure)})`;
  }
  const stored = columns.slice(0, -1);
  const structure = structureOf(stored, types);
  if (structure === undefined || !types.has(columns[columns.length - 1])) return undefined;
  const marker = quoteIdent(ROW_END_COLUMN);
  return (
    `SELECT ${[...stored.map(quoteIdent), sqlString(lastColumn)].join(', ')} ` +
    `FROM file(${sqlString(path)}, ${format}, ${sqlString(`${structure}, ${marker} String`)}) WHERE ${marker} = ${sqlString(ROW_END)}`
  );
}

/** `LowCardinality(T)` → `T`, also nested (`Array(LowCardinality(String))` → `Array(String)`). */
export function withoutLowCardinality(type: string): string {
  const open = 'LowCardinality(';
  let out = type;
  for (let i = out.indexOf(open); i >= 0; i = out.indexOf(open)) {
    let depth = 0;
    let end = -1;
    for (let j = i + open.length - 1; j < out.length; j++) {
      if (out[j] === '(') depth++;
      else if (out[j] === ')' && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end < 0) return type;
    out = out.slice(0, i) + out.slice(i + open.length, end) + out.slice(end + 1);
  }
  return out;
}

/** A ClickHouse string literal (the path is ours, from mkdtemp, but quote it properly anyway). */
function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
