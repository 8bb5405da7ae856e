import type { ClickHouseClient } from '@clickhouse/client';

/**
 * `{name:Type}` values rendered into a statement as typed literals (`CAST(… AS Type)`) instead of
 * sent as query parameters. The embedded warehouse runs every statement that carries query
 * parameters one after the other, process-wide, for the whole of its run: chDB's parameter binding
 * is not isolated between sessions (lib/warehouse/embedded/chdb-native.ts). Literals are exactly
 * as typed as the parameters (CAST to the placeholder's own type) and escaped here; a value of a
 * type not rendered below, or a statement that would grow past MAX_INLINE_BYTES, is sent as a
 * parameter as before. Used by the derived refresher (semantic/derived/background-client.ts) and
 * the HTTP ingest (ingest/http/server.ts).
 */

/**
 * Statements above this size keep their parameters: the engine's default max_query_size is
 * 256 KiB of SQL text (parameter values do not count against it).
 */
export const MAX_INLINE_BYTES = 200_000;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g;
const INTEGER_TYPE = /^U?Int(8|16|32|64|128|256)$/;

/**
 * A ClickHouse string literal: backslash and quote escaped (the engine reads every other byte as
 * is), and NUL written as backslash-zero, so no byte of a value can end the literal or the statement's text.
 */
function stringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** The literal for a value of `type`, or undefined when it is not one this renders (then it stays a parameter). */
export function literalOf(type: string, value: unknown): string | undefined {
  const t = type.trim();
  if (INTEGER_TYPE.test(t)) {
    const text =
      typeof value === 'bigint'
        ? value.toString()
        : typeof value === 'number' && Number.isSafeInteger(value)
          ? String(value)
          : typeof value === 'string'
            ? value
            : undefined;
    return text !== undefined && /^-?\d{1,78}$/.test(text) ? `CAST(${stringLiteral(text)} AS ${t})` : undefined;
  }
  if (t === 'String') return typeof value === 'string' ? `CAST(${stringLiteral(value)} AS String)` : undefined;
  if (t === 'Date')
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? `CAST(${stringLiteral(value)} AS Date)`
      : undefined;
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
export function inlineParams(
  query: string,
  params: Record<string, unknown> | undefined,
): { query: string; query_params?: Record<string, unknown> } {
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

type Call = { query?: string; query_params?: Record<string, unknown> };

function inlined<T extends Call>(params: T): T {
  if (typeof params.query !== 'string') return params;
  const { query, query_params } = inlineParams(params.query, params.query_params);
  const out: T = { ...params, query };
  if (query_params) out.query_params = query_params;
  else delete out.query_params;
  return out;
}

/** `client` with every query, command and exec sent with its parameters inlined (inlineParams); inserts carry none. */
export function inliningClient(client: ClickHouseClient): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'query' || prop === 'command' || prop === 'exec') {
        const method = Reflect.get(target, prop, receiver) as (p: Call) => unknown;
        return (params: Call) => method.call(target, inlined(params));
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
