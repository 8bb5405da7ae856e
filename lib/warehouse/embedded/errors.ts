import { CLICKHOUSE_CODES } from '../sql.ts';

/**
 * Errors as ClickHouse's HTTP interface reports them: a status code chosen from the engine's
 * error code, an `X-ClickHouse-Exception-Code` header, and a body starting
 * `Code: N. DB::Exception: ...` that @clickhouse/client parses into ClickHouseError{code, type}.
 */

/**
 * The codes this layer raises itself: the product's table (lib/warehouse/sql.ts, the one list the
 * clients branch on) plus those only the endpoint raises (HTTP sessions, request decoding), with
 * numbers as in ClickHouse's ErrorCodes.cpp.
 */
export const Codes = {
  ...CLICKHOUSE_CODES,
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  UNKNOWN_FORMAT: 73,
  UNKNOWN_COMPRESSION_METHOD: 89,
  QUERY_IS_TOO_LARGE: 229,
  LIMIT_EXCEEDED: 290,
  ZLIB_INFLATE_FAILED: 354,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  INVALID_SESSION_TIMEOUT: 374,
  UNKNOWN_EXCEPTION: 1002,
} as const;

/** A code's name, which is also the `(TYPE)` at the end of ClickHouse's exception text. */
export type CodeName = keyof typeof Codes;

export class EngineError extends Error {
  readonly code: number;
  /** The whole exception line, `Code: N. DB::Exception: ... (TYPE)`, as the engine wrote it. */
  readonly text: string;

  constructor(code: number, text: string) {
    super(text);
    this.code = code;
    this.text = text;
  }

  /** An error raised by this layer, phrased the way the engine phrases its own: `Code: N. DB::Exception: message. (TYPE)`. */
  static of(type: CodeName, message: string): EngineError {
    const code = Codes[type];
    return new EngineError(code, `Code: ${code}. DB::Exception: ${message}. (${type})`);
  }
}

const CODE_PREFIX = /^\s*Code: (\d+)\./;

/** Any thrown value (chdb error, plain Error, EngineError) as an EngineError. */
export function toEngineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const message = (error instanceof Error ? error.message : String(error)).trim();
  const match = CODE_PREFIX.exec(message);
  if (match) return new EngineError(Number(match[1]), message);
  const chdbCode = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  if (typeof chdbCode === 'number') return new EngineError(chdbCode, `Code: ${chdbCode}. DB::Exception: ${message}`);
  return EngineError.of('UNKNOWN_EXCEPTION', message.replace(/\.$/, ''));
}

// ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp, by code number.
const STATUS_BY_CODE = new Map<number, number>([
  [194, 401], // REQUIRED_PASSWORD
  ...[192, 193, 516, 512, 497].map((c) => [c, 403] as [number, number]), // UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED, SET_NON_GRANTED_ROLE, ACCESS_DENIED
  // BAD_ARGUMENTS, CANNOT_COMPILE_REGEXP, CANNOT_PARSE_*, DUPLICATE_COLUMN, ILLEGAL_COLUMN, UNKNOWN_ELEMENT_IN_AST,
  // UNKNOWN_TYPE_OF_AST_NODE, THERE_IS_NO_COLUMN, TOO_DEEP_AST, TOO_BIG_AST, UNEXPECTED_AST_STRUCTURE, SYNTAX_ERROR,
  // INCORRECT_DATA, TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  ...[36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167, 168, 223, 62, 117, 53, 321].map(
    (c) => [c, 400] as [number, number],
  ),
  // UNKNOWN_TABLE, UNKNOWN_FUNCTION, UNKNOWN_IDENTIFIER, UNKNOWN_TYPE, UNKNOWN_STORAGE, UNKNOWN_DATABASE, UNKNOWN_SETTING,
  // UNKNOWN_DIRECTION_OF_SORTING, UNKNOWN_AGGREGATE_FUNCTION, UNKNOWN_FORMAT, UNKNOWN_DATABASE_ENGINE,
  // UNKNOWN_TYPE_OF_QUERY, UNKNOWN_ROLE
  ...[60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511].map((c) => [c, 404] as [number, number]),
  [229, 413], // QUERY_IS_TOO_LARGE
  [48, 501], // NOT_IMPLEMENTED
  [209, 503], // SOCKET_TIMEOUT
  [76, 503], // CANNOT_OPEN_FILE
  [381, 411], // HTTP_LENGTH_REQUIRED
  [159, 408], // TIMEOUT_EXCEEDED
  [439, 503], // CANNOT_SCHEDULE_TASK
  [779, 415], // UNSUPPORTED_MEDIA_TYPE
]);

export function httpStatusFor(code: number): number {
  return STATUS_BY_CODE.get(code) ?? 500;
}
