import { ClickHouseError, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';

/**
 * The warehouse kit: the one way this product writes identifiers, passes bound queries, reads typed
 * rows, inserts rows and recognises ClickHouse errors. Everything here is pure except rows() and
 * insertRows(), which only forward to the client.
 *
 * Values are always bound (`{name:Type}` placeholders with `query_params`); only identifiers are
 * written into SQL text, and always through quoteIdent().
 */

// ─── identifiers ────────────────────────────────────────────────────────────────────────────────

/**
 * A name in ClickHouse's backquoted form: backslash and backquote are escaped with a backslash
 * (https://clickhouse.com/docs/en/sql-reference/syntax#identifiers). Safe for any string.
 */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

/** `db`.`table`, each part quoted by quoteIdent(). */
export function qualified(db: string, table: string): string {
  return `${quoteIdent(db)}.${quoteIdent(table)}`;
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The product's policy for names it creates or writes outside backquotes (its database, cluster,
 * roles and users; a database name also lands in Replicated tables' Keeper paths): letters, digits
 * and _, not starting with a digit. Returns the name, throws on anything else. This is a check, not
 * a quoting rule: quote with quoteIdent().
 */
export function checkName(name: string): string {
  if (!PLAIN_NAME.test(name)) throw new Error(`invalid ClickHouse name "${name}": use letters, digits and _`);
  return name;
}

// ─── bound queries ──────────────────────────────────────────────────────────────────────────────

/** A query and the values of its `{name:Type}` placeholders: what every SQL builder returns. */
export interface BoundQuery {
  query: string;
  query_params: Record<string, unknown>;
}

/** A BoundQuery; `query_params` defaults to none. */
export function bound(query: string, query_params: Record<string, unknown> = {}): BoundQuery {
  return { query, query_params };
}

// ─── reading and writing rows ───────────────────────────────────────────────────────────────────

/** Runs `q` and returns its rows as JSON objects (JSONEachRow; 64-bit integers arrive as strings). */
export async function rows<T>(client: ClickHouseClient, q: { query: string; query_params?: Record<string, unknown> }, clickhouse_settings?: ClickHouseSettings): Promise<T[]> {
  const rs = await client.query({ query: q.query, query_params: q.query_params, format: 'JSONEachRow', ...(clickhouse_settings ? { clickhouse_settings } : {}) });
  return rs.json<T>();
}

/** Inserts `values` into `table` (a plain or qualified()-quoted name) as JSONEachRow. */
export async function insertRows<T extends object>(client: ClickHouseClient, table: string, values: readonly T[], clickhouse_settings?: ClickHouseSettings): Promise<void> {
  await client.insert({ table, values: values as T[], format: 'JSONEachRow', ...(clickhouse_settings ? { clickhouse_settings } : {}) });
}

// ─── errors ─────────────────────────────────────────────────────────────────────────────────────

/** The ClickHouse error codes the product branches on (numbers as in ClickHouse's ErrorCodes.cpp). */
export const CLICKHOUSE_CODES = {
  CANNOT_PARSE_TEXT: 6,
  CANNOT_PARSE_DATE: 38,
  CANNOT_PARSE_DATETIME: 41,
  UNKNOWN_IDENTIFIER: 47,
  TYPE_MISMATCH: 53,
  TABLE_ALREADY_EXISTS: 57,
  UNKNOWN_TABLE: 60,
  SYNTAX_ERROR: 62,
  UNKNOWN_DATABASE: 81,
  DATABASE_ALREADY_EXISTS: 82,
  UNKNOWN_SETTING: 115,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  UNKNOWN_USER: 192,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  MEMORY_LIMIT_EXCEEDED: 241,
  TOO_MANY_PARTS: 252,
  QUERY_WAS_CANCELLED: 394,
  TOO_MANY_ROWS_OR_BYTES: 396,
  ACCESS_DENIED: 497,
  UNKNOWN_ROLE: 511,
  AUTHENTICATION_FAILED: 516,
} as const;

export type ClickHouseCodeName = keyof typeof CLICKHOUSE_CODES;

const NAME_BY_CODE = new Map<number, ClickHouseCodeName>(Object.entries(CLICKHOUSE_CODES).map(([name, code]) => [code, name as ClickHouseCodeName]));

/** The name of a code in the table above, if it is there. */
export function clickHouseCodeName(code: number): ClickHouseCodeName | undefined {
  return NAME_BY_CODE.get(code);
}

const toCode = (codeOrName: number | ClickHouseCodeName): number => (typeof codeOrName === 'number' ? codeOrName : CLICKHOUSE_CODES[codeOrName]);

/**
 * The ClickHouse code of a thrown value: `ClickHouseError.code` (@clickhouse/client keeps it as a
 * string), chdb's numeric `clickhouseCode`, or the same found on its `cause` chain (drivers such as
 * Cube's wrap the client's error). Never read from message text: see clickHouseCodeIn() for that.
 */
export function clickHouseCodeOf(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ClickHouseError) {
      const code = Number(e.code);
      if (Number.isInteger(code)) return code;
    }
    const chdb = (e as { clickhouseCode?: unknown }).clickhouseCode;
    if (typeof chdb === 'number') return chdb;
  }
  return undefined;
}

/** True when `err` is a ClickHouse error with this code (number) or code name. */
export function isClickHouseError(err: unknown, codeOrName: number | ClickHouseCodeName): boolean {
  const code = clickHouseCodeOf(err);
  return code !== undefined && code === toCode(codeOrName);
}

const CODE_MARKER = /\bCode: (\d{1,5})\b/g;
// A type marker such as `(UNKNOWN_TABLE)`: at least three capitals, as @clickhouse/client requires,
// so `(2)` or `(official build)` are not taken for one.
const TYPE_MARKER = /\(((?=[A-Z0-9_]*[A-Z]{3})[A-Z0-9_]{3,64})\)/g;
const MAX_SCAN = 64 * 1024;

/**
 * The ClickHouse code named in an error text that did not reach us as a ClickHouseError (a body
 * another service passed on, a log line): the last `Code: N` (on a cluster the server wraps the
 * remote exception, and the innermost comes last), else the last type marker such as
 * `(UNKNOWN_TABLE)` that is in CLICKHOUSE_CODES. Undefined when the text names neither.
 */
export function clickHouseCodeIn(text: string): number | undefined {
  const t = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  let code: number | undefined;
  for (const m of t.matchAll(CODE_MARKER)) code = Number(m[1]);
  if (code !== undefined) return code;
  for (const m of t.matchAll(TYPE_MARKER)) {
    if (Object.hasOwn(CLICKHOUSE_CODES, m[1])) code = CLICKHOUSE_CODES[m[1] as ClickHouseCodeName];
  }
  return code;
}

const ROLLUP_SCHEMA = /pre_aggregations/i;
// Cube's driver formats @clickhouse/client's ClickHouseError with `${e}`, and that client has already
// cut `Code: N.` and `(TYPE)` off the message: what reaches Cube's answer is often the bare text.
const TABLE_MISSING_OR_EXISTS = /doesn't exist|does not exist|already exists/i;

/**
 * Cube's query path and its background rollup refresh race on the rollup tables in
 * `<database>_pre_aggregations` (cube-js/cube#3832, #8546): the query fails once with UNKNOWN_TABLE
 * or TABLE_ALREADY_EXISTS and works when asked again. True for an error text (as Cube passes it on)
 * about a rollup table with one of those codes, or, when the text names no code at all, with their
 * message ("doesn't exist", "already exists").
 */
export function isRollupTableRace(text: string): boolean {
  if (!ROLLUP_SCHEMA.test(text)) return false;
  const code = clickHouseCodeIn(text);
  if (code !== undefined) return code === CLICKHOUSE_CODES.UNKNOWN_TABLE || code === CLICKHOUSE_CODES.TABLE_ALREADY_EXISTS;
  return TABLE_MISSING_OR_EXISTS.test(text);
}
