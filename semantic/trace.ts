import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * CRM_SEMANTIC_TRACE=<file>: one JSON line per event of the semantic process, to see where a
 * request's time goes inside Cube (issue 17: cockpit queries asked after a load got no answer for
 * 60 s while the engine was idle). Two sources: Cube's own logger, which receives every event of
 * its orchestrator (queue: "Added to queue", "Waiting for query", "Performing query", "Performing
 * query completed"; cache: "Missing cache for", "Waiting for renew", "Renewing existing key";
 * pre-aggregations "Loading"/"Building"), and our layers (answer cache, continue-wait polling).
 *
 * Never in it: SQL text, query values, tokens. A queryKey (the SQL and its values: an owner's
 * filter is among them) is written as a short hash, and the kind of statement it is (the
 * data-version key query, a rollup, a data query), so one query can be followed from its arrival
 * to its answer without the trace holding anyone's data.
 */
export type TraceFn = (event: string, fields?: Record<string, unknown>) => void;

/** Kept as they are: counts, times, ids, flags Cube's events carry. */
const KEPT = new Set([
  'requestId',
  'queueId',
  'spanId',
  'priority',
  'queueSize',
  'timeInQueue',
  'duration',
  'active',
  'queueIndex',
  'queuePrefix',
  'waitingForRequestId',
  'renewalThreshold',
  'renewedAgo',
  'refreshKeyRenewalThreshold',
  'newVersionEntry',
  'forceBuild',
  'persistent',
  'addedToQueueTime',
  'preAggregationId',
  'targetTableName',
  'error',
  'warning',
  'cacheKeyQueriesCount',
  'isJob',
]);

/** A short, stable name for a queryKey (or any value): follows one query through the trace without its SQL or values. */
export function keyId(value: unknown): string {
  return createHash('sha1')
    .update(typeof value === 'string' ? value : JSON.stringify(value ?? null))
    .digest('hex')
    .slice(0, 10);
}

/** What a queryKey is, from its SQL: the data-version key query, a rollup build or lookup, or a data query. */
export function keyKind(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  if (/system\.tables/.test(text)) return 'refresh-key';
  if (/pre_aggregations/.test(text)) return 'rollup';
  return 'data';
}

/** Cube's event fields as the trace keeps them (see above: nothing that carries data). */
export function traceFields(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (KEPT.has(k)) out[k] = k === 'error' || k === 'warning' ? String(v).split('\n')[0].slice(0, 300) : v;
    else if (k === 'queryKey' || k === 'cacheKey') {
      out[k] = keyId(v);
      out[`${k}Kind`] = keyKind(v);
    } else if (k === 'activeQueryKeys' || k === 'toProcessQueryKeys') out[k] = Array.isArray(v) ? v.length : v;
  }
  return out;
}

/** The trace writer for `file` (appended to), or undefined when none is set. */
export function openTrace(file: string | undefined): (TraceFn & { close(): void }) | undefined {
  if (!file) return undefined;
  const out: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  out.on('error', () => undefined);
  const fn = ((event: string, fields: Record<string, unknown> = {}) => {
    out.write(`${JSON.stringify({ t: Date.now(), pid: process.pid, ev: event, ...fields })}\n`);
  }) as TraceFn & { close(): void };
  fn.close = () => out.end();
  return fn;
}
