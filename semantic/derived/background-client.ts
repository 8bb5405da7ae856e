import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { inlineParams } from '../../lib/warehouse/inline-params.ts';

// The rendering lives in lib/warehouse (the HTTP ingest's client uses it too); tests import it from here.
export { inlineParams, literalOf, MAX_INLINE_BYTES } from '../../lib/warehouse/inline-params.ts';

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
