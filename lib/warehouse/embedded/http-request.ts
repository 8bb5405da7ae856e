import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { EngineError } from './errors.ts';
import { readSessionParams, type SessionParams } from './http-sessions.ts';

/**
 * What an HTTP request to ClickHouse asks for, read the way ClickHouse's HTTP handler reads it:
 * reserved URL parameters, `param_*` query parameters, and every other parameter as a setting.
 */
export interface RequestOptions {
  queryId: string;
  /** `query` URL parameter: the statement, or its beginning when the body carries the rest. */
  urlQuery?: string;
  database: string;
  /** The request named its database (URL or header); in an HTTP session, otherwise the session's own. */
  explicitDatabase: boolean;
  defaultFormat: string;
  /** `param_x=...` values as sent (ClickHouse's escaped text form), keyed by name without prefix. */
  params: Record<string, string>;
  /** Engine settings for this request only. */
  settings: Map<string, string>;
  /** 0, 1 or 2 as ClickHouse's `readonly`; GET implies 2. */
  readonly: number;
  /** Buffer the whole result before answering, so a late error still gets an error status. */
  waitEndOfQuery: boolean;
  /** Response encoding chosen from Accept-Encoding when the client enabled HTTP compression. */
  responseEncoding?: { name: 'gzip' | 'deflate' | 'br'; level: number };
  /** `session_id` and its companions; absent: a request on its own. */
  session?: SessionParams;
}

/**
 * Parameters that are not engine settings: ClickHouse's reserved HTTP parameter names, plus the
 * transport settings this endpoint implements itself (they do nothing inside the engine, and some,
 * like wait_end_of_query, do not even exist there).
 */
const NOT_SETTINGS = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'quota_key', 'role',
  'session_id', 'session_timeout', 'session_check', 'close_session', 'client_protocol_version',
  'buffer_size', 'wait_end_of_query', 'compress', 'decompress', 'stacktrace', 'readonly',
  'enable_http_compression', 'http_zlib_compression_level', 'http_response_buffer_size', 'http_wait_end_of_query',
  'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_native_compression_disable_checksumming_on_decompress',
  'add_http_cors_header',
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function truthy(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function chooseEncoding(acceptEncoding: string | undefined): 'gzip' | 'deflate' | 'br' | undefined {
  for (const part of (acceptEncoding ?? '').split(',')) {
    const name = part.trim().split(';')[0].toLowerCase();
    if (name === 'gzip' || name === 'deflate' || name === 'br') return name;
    if (name === 'x-gzip') return 'gzip';
  }
  return undefined;
}

export function parseRequestOptions(url: URL, method: string, headers: IncomingHttpHeaders): RequestOptions {
  const search = url.searchParams;
  if (truthy(search.get('compress')) || truthy(search.get('decompress'))) {
    throw EngineError.of('NOT_IMPLEMENTED',
      'ClickHouse block compression (compress/decompress=1) is not supported by the embedded warehouse; use enable_http_compression=1 with Accept-Encoding instead',
    );
  }
  const params: Record<string, string> = {};
  const settings = new Map<string, string>();
  for (const [key, value] of search) {
    if (key.startsWith('param_')) params[key.slice('param_'.length)] = value;
    else if (!NOT_SETTINGS.has(key)) {
      if (!SETTING_NAME.test(key)) throw EngineError.of('UNKNOWN_SETTING', `Unknown setting '${key}'`);
      // chDB never finishes a query with interactive_delay = 0 (privileges.ts); 1 µs is the same to a client.
      settings.set(key, key === 'interactive_delay' && /^0+$/.test(value.trim()) ? '1' : value);
    }
  }
  const readonlyParam = Number(search.get('readonly') ?? 0) || 0;
  const encoding = truthy(search.get('enable_http_compression')) ? chooseEncoding(header(headers, 'accept-encoding')) : undefined;
  const level = Number(search.get('http_zlib_compression_level') ?? 3);
  const database = search.get('database') || header(headers, 'x-clickhouse-database');
  return {
    queryId: search.get('query_id') || randomUUID(),
    urlQuery: search.get('query') ?? undefined,
    database: database || 'default',
    explicitDatabase: Boolean(database),
    defaultFormat: search.get('default_format') || header(headers, 'x-clickhouse-format') || 'TabSeparated',
    params,
    settings,
    // ClickHouse runs anything but POST with readonly=2 (setReadOnlyIfHTTPMethodIdempotent).
    readonly: method === 'POST' ? readonlyParam : Math.max(readonlyParam, 2),
    waitEndOfQuery: truthy(search.get('wait_end_of_query')) || truthy(search.get('http_wait_end_of_query')),
    responseEncoding: encoding && { name: encoding, level: Number.isInteger(level) && level >= 1 && level <= 9 ? level : 3 },
    session: readSessionParams(search),
  };
}

export interface Credentials {
  user: string;
  password: string;
}

/**
 * Credentials from the places ClickHouse accepts them, with its rule that a request uses one:
 * X-ClickHouse-User/Key headers, HTTP Basic auth, or user/password URL parameters; none means
 * user `default` with an empty password.
 */
export function readCredentials(headers: IncomingHttpHeaders, search: URLSearchParams): Credentials {
  const headerUser = header(headers, 'x-clickhouse-user') ?? '';
  const headerKey = header(headers, 'x-clickhouse-key') ?? '';
  const authorization = header(headers, 'authorization');
  const inParams = search.has('user') || search.has('password');
  const mixed = (a: string, b: string): EngineError =>
    EngineError.of('AUTHENTICATION_FAILED', `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`);

  if (headerUser || headerKey) {
    if (authorization) throw mixed('X-ClickHouse HTTP headers', 'Authorization HTTP header');
    if (inParams) throw mixed('X-ClickHouse HTTP headers', 'authentication via parameters');
    return { user: headerUser || 'default', password: headerKey };
  }
  if (authorization) {
    if (inParams) throw mixed('Authorization HTTP header', 'authentication via parameters');
    const [scheme, encoded = ''] = authorization.split(/\s+/, 2);
    if (scheme.toLowerCase() !== 'basic') {
      throw EngineError.of('AUTHENTICATION_FAILED', `Invalid authentication: '${scheme}' HTTP Authorization scheme is not supported`);
    }
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { user: search.get('user') || 'default', password: search.get('password') ?? '' };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison, so response timing says nothing about how much of a guess was right. */
export function credentialsMatch(given: Credentials, expected: Credentials): boolean {
  const userOk = timingSafeEqual(digest(given.user), digest(expected.user));
  const passwordOk = timingSafeEqual(digest(given.password), digest(expected.password));
  return userOk && passwordOk;
}

export function authenticationFailed(user: string): EngineError {
  return EngineError.of('AUTHENTICATION_FAILED',
    `${user}: Authentication failed: password is incorrect, or there is no user with such name`,
  );
}

/** The request body with its Content-Encoding undone. */
export function decodedBody(req: IncomingMessage): Readable {
  const encoding = (header(req.headers, 'content-encoding') ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return req;
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip()
    : encoding === 'deflate' ? createInflate()
    : encoding === 'br' ? createBrotliDecompress()
    : undefined;
  if (!decoder) {
    throw EngineError.of('UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP Content-Encoding '${encoding}'`);
  }
  req.on('error', (error) => decoder.destroy(error));
  return req.pipe(decoder);
}
