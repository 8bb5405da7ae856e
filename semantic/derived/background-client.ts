import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';

/**
 * The client the worker's derived refresher talks through (auto-refresh.ts): the same warehouse
 * client, with three changes that keep a refresh in the background while people use the dashboard
 * (issue 17: at 10M transactions a 1,000-row HTTP load under 50 cockpit users took 20–29 s to be
 * answered, the second one ending 29 ms after the refresh it overlapped).
 *
 * 1. `max_threads = 1` on every statement: a refresh (and the merges of its inserts) takes at most
 *    one of the engine's cores; dashboard reads, the session check of every page view and the
 *    ingest keep the other. ClickHouse's default is one thread per core, so each of the refresh's
 *    big INSERT … SELECTs took both cores of this 2-core machine for its duration.
 * 2. `{name:Type}` values rendered into the statement as typed literals (`CAST(… AS Type)`) instead
 *    of sent as query parameters. The embedded warehouse runs every statement that carries query
 *    parameters one after the other, process-wide, for the whole of its run: chDB's parameter
 *    binding is not isolated between sessions (lib/warehouse/embedded/chdb-native.ts). A refresh's
 *    INSERT … SELECT takes 0.5–2 s at 10M (more on a busy machine), and every other parameterised
 *    statement — each page view's session check, every lookup and write of a load — waited behind
 *    it. Literals are exactly as typed as the parameters (CAST to the placeholder's own type) and
 *    escaped here; a value of a type not rendered below, or a statement that would grow past
 *    MAX_INLINE_BYTES (a scope of ~100k customers), is sent as a parameter as before.
 *
 * Direct calls of refreshDerived() (npm start's data preparation, bench:refresh, tests) use the
 * plain client: the tables written are the same either way (test/semantic/derived-background.test.ts).
 */
export const BACKGROUND_SETTINGS: ClickHouseSettings = { max_threads: 1 };

/**
 * Statements above this size keep their parameters: the engine's default max_query_size is
 * 256 KiB of SQL text (parameter values do not count against it).
 */
export const MAX_INLINE_BYTES = 200_000;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g;
const INTEGER_TYPE = /^U?Int(8|16|32|64|128|256)$/;

/** A ClickHouse string literal: backslash and quote escaped (the engine reads every other byte as is). */
function stringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The literal for a value of `type`, or undefined when it is not one this renders (then it stays a parameter). */
export function literalOf(type: string, value: unknown): string | undefined {
  const t = type.trim();
  if (INTEGER_TYPE.test(t)) {
    const text = typeof value === 'bigint' ? value.toString() : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value : undefined;
    return text !== undefined && /^-?\d{1,78}$/.test(text) ? `CAST(${stringLiteral(text)} AS ${t})` : undefined;
  }
  if (t === 'String') return typeof value === 'string' ? `CAST(${stringLiteral(value)} AS String)` : undefined;
  if (t === 'Date') return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? `CAST(${stringLiteral(value)} AS Date)` : undefined;
  if (t === 'Array(String)') {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return undefined;
    return `CAST([${(value as string[]).map(stringLiteral).join(',')}] AS Array(String))`;
  }
  return undefined;
}

/**
 * `query` with every placeholder whose value renders (literalOf) replaced by its literal, and the
 * parameters left over; the statement unchanged when the result would pass MAX_INLINE_BYTES.
 */
export function inlineParams(query: string, params: Record<string, unknown> | undefined): { query: string; query_params?: Record<string, unknown> } {
  if (!params || Object.keys(params).length === 0) return { query, query_params: params };
  const rendered = new Map<string, string | undefined>();
  const left = new Set<string>();
  const text = query.replace(PLACEHOLDER, (whole, name: string, type: string) => {
    if (!(name in params)) return whole;
    const key = `${name}:${type}`;
    if (!rendered.has(key)) rendered.set(key, literalOf(type, params[name]));
    const literal = rendered.get(key);
    if (literal === undefined) left.add(name);
    return literal ?? whole;
  });
  if (Buffer.byteLength(text) > MAX_INLINE_BYTES) return { query, query_params: params };
  const rest = Object.fromEntries(Object.entries(params).filter(([name]) => left.has(name)));
  return Object.keys(rest).length > 0 ? { query: text, query_params: rest } : { query: text };
}

type Call = { query?: string; query_params?: Record<string, unknown>; clickhouse_settings?: ClickHouseSettings; http_headers?: Record<string, string> };

/**
 * 3. The embedded warehouse's background lane (lib/warehouse/embedded/session-pool.ts): its
 *    statements wait behind the product's own (session checks, a load's statements) and never take
 *    the session kept for them. A ClickHouse server ignores the header.
 */
export const BACKGROUND_HEADERS: Record<string, string> = { 'x-crm-lane': 'background' };

function background<T extends Call>(params: T, settings: ClickHouseSettings): T {
  const out: T = { ...params, clickhouse_settings: { ...settings, ...params.clickhouse_settings }, http_headers: { ...params.http_headers, ...BACKGROUND_HEADERS } };
  if (typeof params.query === 'string') {
    const { query, query_params } = inlineParams(params.query, params.query_params);
    out.query = query;
    if (query_params) out.query_params = query_params;
    else delete out.query_params;
  }
  return out;
}

/**
 * `client` for background work: every query, command, exec and insert with BACKGROUND_SETTINGS and
 * inlined parameters. `maxThreads` 0 leaves the engine's own thread count: a ClickHouse server has
 * cores to spare for its readers, and one thread there would only make the refresh many times longer.
 */
export function backgroundClient(client: ClickHouseClient, opts: { maxThreads?: number } = {}): ClickHouseClient {
  const settings: ClickHouseSettings = opts.maxThreads === 0 ? {} : { ...BACKGROUND_SETTINGS, ...(opts.maxThreads ? { max_threads: opts.maxThreads } : {}) };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'query' || prop === 'command' || prop === 'exec' || prop === 'insert') {
        const method = Reflect.get(target, prop, receiver) as (p: Call) => unknown;
        return (params: Call) => method.call(target, background(params, settings));
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
