/**
 * The server processes' log: pino, one JSON line per event on stderr (stdout stays for what a
 * person asked for: npm start's banner, a CLI's results).
 *
 *   import { partLogger } from '../lib/log.ts';
 *   const log = partLogger('ingest-api');
 *   log.info({ requestId, status: 200, ms: 12 }, 'POST /v1/ingest/transactions');
 *   log.error({ requestId, err }, 'batch failed');
 *
 * Lines carry `level` (trace … fatal), `time` (ISO 8601), `pid`, `part` (web, semantic, ingest-api,
 * worker, start, warehouse), `msg`, and `requestId` when a request is being answered. The Cube
 * child process writes the same fields (semantic/cube-process.ts).
 *
 * Level: CRM_LOG_LEVEL (trace, debug, info, warn, error, fatal, silent; default info).
 * Format: CRM_LOG_FORMAT=json|text; by default text when stderr is a terminal (`[start] message
 * key=value`), JSON otherwise. No transport (a transport starts a worker thread).
 *
 * Redaction, on every line: values under a key that names a credential (authorization, cookie,
 * password, token, secret, api key, signature) become "[Redacted]" at any depth, `Bearer …` and
 * `Basic …` credentials and `password=`/`token=`/`secret=` pairs in any text (messages, errors,
 * stacks) are masked, and URLs and paths lose their query strings (semantic API calls carry the
 * query, with filter values, in `?query=`).
 */
import { randomUUID } from 'node:crypto';
import pino, { type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';
import { LOG_LEVELS, loadVariables, type LogLevel } from './config/schema.ts';
import { maskUrlPasswords } from './url-password.ts';

export type Part = 'web' | 'semantic' | 'ingest-api' | 'worker' | 'start' | 'warehouse';
export type { Logger } from 'pino';

export const REDACTED = '[Redacted]';

/** Keys whose values never reach a log line (matched case-insensitively, anywhere in the key). */
// privacy key: the tombstones' HMAC key (lib/privacy/tombstone.ts), which turns a guessed e-mail into a match.
export const REDACTED_KEYS = /authorization|cookie|passw(or)?d|token|secret|api[-_]?key|privacy[-_]?key|signature|credential/i;
/** Keys that hold a URL or path: logged without the query string. */
const URL_KEYS = /^(url|path|href|originalUrl|location|referer|referrer|target|endpoint)$/i;

const TEXT_RULES: [RegExp, string][] = [
  // Authorization header values in free text.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // JWTs wherever they appear.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // key=value (and key:value without a space: prose such as "Invalid token: bad signature" stays)
  // and "key":"value" pairs naming a credential.
  [/\b([\w-]*(?:passw(?:or)?d|token|secret|api[-_]?key|privacy[-_]?key|authorization|cookie)[\w-]*)(\s*=\s*|:(?=\S))("[^"]*"|'[^']*'|[^\s&,;)"']+)/gi, `$1$2${REDACTED}`],
  [/("[\w-]*(?:passw(?:or)?d|token|secret|api[-_]?key|privacy[-_]?key|authorization|cookie)[\w-]*"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/gi, `$1"${REDACTED}"`],
  // Query strings of semantic API calls (and of any URL): the query names members and filter values.
  [/(\/cubejs-api\/[^\s?#"']*)\?[^\s#]*/g, '$1?[Redacted]'],
  [/(https?:\/\/[^\s?#"']+)\?[^\s#"']*/g, '$1?[Redacted]'],
];

/** A text with credentials and query strings masked. */
export function redactText(text: string): string {
  let out = maskUrlPasswords(text, REDACTED);
  for (const [re, to] of TEXT_RULES) out = out.replace(re, to);
  return out;
}

/** A URL or path without its query string (the marker says there was one). */
export function redactUrl(url: string): string {
  const q = url.search(/[?#]/);
  if (q < 0) return redactText(url);
  return `${redactText(url.slice(0, q))}${url[q] === '?' ? '?[Redacted]' : ''}`;
}

/** A log object with every sensitive value masked; Errors become { type, message, stack }. */
export function redact(value: unknown, key = '', depth = 0, seen = new WeakSet<object>()): unknown {
  if (key && REDACTED_KEYS.test(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  if (typeof value === 'string') return URL_KEYS.test(key) ? redactUrl(value) : redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value) || depth > 8) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; cause?: unknown };
    const out: Record<string, unknown> = { type: e.name, message: redactText(e.message) };
    if (e.code !== undefined) out.code = e.code;
    if (e.stack) out.stack = redactText(e.stack);
    if (e.cause !== undefined) out.cause = redact(e.cause, 'cause', depth + 1, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, '', depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1, seen);
  return out;
}

const LEVELS: readonly string[] = LOG_LEVELS;

/** A level as CRM_LOG_LEVEL takes it (lib/config/schema.ts parses it: one list, one message). */
export function levelFrom(value: string | undefined): LogLevel {
  return loadVariables(['CRM_LOG_LEVEL'], { CRM_LOG_LEVEL: value }).CRM_LOG_LEVEL;
}

/**
 * Control characters as visible escapes. Messages and values carry what clients sent (a path, an
 * e-mail typed at sign-in, a record's field in an error): on a terminal a raw newline would forge a
 * log line of its own (`…\n[web] admin signed in`) and an ESC sequence would rewrite or hide
 * earlier lines. `keepNewlines` for a stack trace, whose lines are then indented under the event.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]|\n|\t/g;
function escapeControls(text: string, keepNewlines = false): string {
  return text.replace(CONTROL, (c) =>
    c === '\n' ? (keepNewlines ? '\n' : '\\n') : c === '\t' ? (keepNewlines ? '\t' : '\\t') : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `[part] msg key=value …`: the terminal format (level shown from warn up). */
export function formatText(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { level, time: _t, pid: _p, hostname: _h, part, msg, err, ...rest } = o;
  const tag = part ? `[${escapeControls(String(part))}] ` : '';
  const lvl = level === 'warn' || level === 'error' || level === 'fatal' ? `${String(level).toUpperCase()} ` : '';
  // JSON.stringify escapes control characters, except U+0080–U+009F (C1, which terminals obey too) and U+2028/9.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const extras = Object.entries(rest).map(([k, v]) => `${escapeControls(k)}=${typeof v === 'string' && !/[\s\u0000-\u001f\u007f-\u009f]/.test(v) ? v : escapeControls(JSON.stringify(v) ?? String(v))}`);
  const e = err as { stack?: string; message?: string } | undefined;
  // Each line of a stack indented, so no line of it can pass for an event of its own.
  const tail = e ? `\n${escapeControls(String(e.stack ?? e.message ?? JSON.stringify(e)), true).replace(/^(?!\s)/gm, '  ')}` : '';
  return `${tag}${lvl}${escapeControls(String(msg ?? ''))}${extras.length ? `  ${extras.join(' ')}` : ''}${tail}\n`;
}

export interface LoggerSettings {
  level?: string;
  format?: 'json' | 'text';
  /** Where lines go (default stderr, written synchronously so nothing is lost at exit). */
  destination?: DestinationStream;
}

/** A root logger; most code wants partLogger(). */
export function createLogger(settings: LoggerSettings = {}): Logger {
  // Only the log's own variables, and only those the settings leave open: a mistake in another
  // variable must not stop the log from reporting it.
  const format = settings.format ?? loadVariables(['CRM_LOG_FORMAT']).CRM_LOG_FORMAT ?? (process.stderr.isTTY ? 'text' : 'json');
  const sink = settings.destination ?? pino.destination({ fd: 2, sync: true });
  const destination: DestinationStream = format === 'text' ? { write: (line: string) => void sink.write(formatText(line)) } : sink;
  const options: LoggerOptions = {
    level: settings.level === undefined ? loadVariables(['CRM_LOG_LEVEL']).CRM_LOG_LEVEL : levelFrom(settings.level),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // redact() has turned errors into { type, message, stack } already.
    serializers: { err: (e: unknown) => e },
    formatters: {
      level: (label) => ({ level: label }),
      // Bindings (child loggers' fields) and each call's fields pass the same redaction.
      bindings: (b) => redact(b) as Record<string, unknown>,
      log: (o) => redact(o) as Record<string, unknown>,
    },
    hooks: {
      // The message text too: a message built from an error or a URL may carry a credential.
      logMethod(args, method) {
        const [first, ...others] = args as unknown[];
        if (typeof first === 'string') return method.apply(this, [redactText(first), ...others] as Parameters<typeof method>);
        if (typeof others[0] === 'string') return method.apply(this, [first, redactText(others[0]), ...others.slice(1)] as Parameters<typeof method>);
        return method.apply(this, args);
      },
    },
  };
  return pino(options, destination);
}

/** A caller's x-request-id when it is a plain token (their logs and ours line up), else a new one. */
export function requestIdFrom(header: unknown): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(value) ? value : randomUUID();
}

let root: Logger | undefined;

/** The process's logger (created on first use, from CRM_LOG_LEVEL and CRM_LOG_FORMAT). */
export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}

/** The logger of one part of the product: `{ part }` on every line. */
export function partLogger(part: Part, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ part, ...bindings });
}

/**
 * For the modules whose option is still `log?: (line: string) => void` (tests pass their own):
 * each line becomes one `info` event (`warn` when it says it failed), with the fields a caller
 * passes as a second argument (a request id).
 */
export function lineLog(logger: Logger): (line: string, fields?: Record<string, unknown>) => void {
  return (line: string, fields: Record<string, unknown> = {}) => {
    if (/\b(fail(ed|s|ure)?|error|not rebuilt|did not|cannot|unavailable|warning)\b/i.test(line)) logger.warn(fields, line);
    else logger.info(fields, line);
  };
}

/**
 * A line another process wrote (the Cube child): its own JSON event goes on with its level and
 * fields under this logger's part; plain text becomes an `info` event.
 */
export function forwardLine(logger: Logger, line: string): void {
  const text = line.trim();
  if (!text) return;
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      const { level, time: _t, pid: _p, hostname: _h, part: _part, msg, t: _old, ...fields } = o;
      const lvl = typeof level === 'string' && LEVELS.includes(level) && level !== 'silent' ? (level as Level) : 'info';
      logger[lvl]({ ...fields, childPid: o.pid }, typeof msg === 'string' ? msg : '');
      return;
    } catch {
      // Not JSON after all (a line the pipe split): logged as text.
    }
  }
  logger.info(text);
}
