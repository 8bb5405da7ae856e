import type { Query } from '@cubejs-client/core';
import { cubeApi, loadQuery } from '../cube/client.ts';
import type { CubeQuery, QueryResult, Row } from '../cube/types.ts';
import type { DateRange, Filters } from '../filters/url-filters.ts';
import type { Granularity } from '../format/format.ts';
import { compareQuery, splitCompared, withRange, type RangeResult } from './merge.ts';
import { queryKey } from './plan.ts';
import { kpiRequests, revenueTrendQuery, splitKpiAnswers } from './queries.ts';

/**
 * The cockpit's merged requests in the browser (merge.ts says which and why). A plain query goes
 * through the dashboard's query cache (cube/client.ts), so the stage chart and the pipeline card
 * share one request; a compared query is kept here the same way (identical requests within a minute
 * share one answer).
 *
 * Answers the page's server load already asked (plan.ts, streamed with the page) are taken from
 * there; a query it did not ask, or whose answer failed there, is asked from the browser.
 */
/**
 * The server load's answers by queryKey (null: it failed there); undefined without one. `ready`
 * came within the server's budget and is in the page itself (the server renders those views);
 * `pending` is streamed into the page as each answer comes.
 */
export type Prefetched = { ready: Record<string, QueryResult | null>; pending: Record<string, Promise<QueryResult | null>> } | undefined;

/** `q`'s answer when the server load has it in the page already; undefined otherwise. */
export function readyAnswer(pre: Prefetched, q: CubeQuery): QueryResult | undefined {
  return pre?.ready[queryKey(q)] ?? undefined;
}

/** `q`'s answer: the server load's when it has one, else the browser's request. */
export function loadVia(pre: Prefetched, q: CubeQuery): Promise<QueryResult> {
  const key = queryKey(q);
  const ready = pre?.ready[key];
  if (ready) return Promise.resolve(ready);
  const p = pre?.pending[key];
  return p ? p.then((r) => r ?? loadQuery(q), () => loadQuery(q)) : loadQuery(q);
}

/** loadCompared, from the server load's answers to each range's part when it has them all. */
function loadComparedVia(pre: Prefetched, q: CubeQuery, ranges: readonly DateRange[]): Promise<Row[][]> {
  const parts = ranges.map((r) => withRange(q, r));
  if (!pre || parts.some((p) => !(queryKey(p) in pre.ready) && !(queryKey(p) in pre.pending))) return loadCompared(q, ranges);
  return Promise.all(parts.map((p) => pre.ready[queryKey(p)] ?? pre.pending[queryKey(p)] ?? null)).then(
    (rs) => (rs.every((r) => r) ? rs.map((r) => r!.rows) : loadCompared(q, ranges)),
    () => loadCompared(q, ranges),
  );
}
/** readyAnswer for a compared query: rows per range, when the page has every part. */
function readyCompared(pre: Prefetched, q: CubeQuery, ranges: readonly DateRange[]): Row[][] | undefined {
  const rs = ranges.map((r) => readyAnswer(pre, withRange(q, r)));
  return rs.every((r) => r) ? rs.map((r) => r!.rows) : undefined;
}
const CACHE_MS = 60_000;
const compared = new Map<string, { at: number; rows: Promise<Row[][]> }>();

/** `q` for every range in `ranges` (the first is q's own), rows per range in that order. */
export function loadCompared(q: CubeQuery, ranges: readonly DateRange[]): Promise<Row[][]> {
  if (ranges.length === 1) return loadQuery(q).then((r) => [r.rows]);
  const merged = compareQuery(q, ranges);
  const key = JSON.stringify(merged);
  const hit = compared.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.rows;
  const rows = cubeApi()
    .load(merged as Query)
    .then((rs) => splitCompared(rs.decompose().map((r): RangeResult => ({ query: r.query() as RangeResult['query'], data: r.rawData() as Row[] })), ranges));
  compared.set(key, { at: Date.now(), rows });
  rows.catch(() => compared.delete(key));
  if (compared.size > 100) compared.delete(compared.keys().next().value as string);
  return rows;
}

/** Every KPI card's rows, in the shape of kpiQueries() (current) and kpiComparisonQueries() (previous). */
export async function loadKpis(f: Filters, pre?: Prefetched): Promise<ReturnType<typeof splitKpiAnswers>> {
  const r = kpiRequests(f);
  const [sales, deals, retention, retentionPrev, snapshot, stages] = await Promise.all([
    loadComparedVia(pre, r.sales, r.ranges),
    loadComparedVia(pre, r.deals, r.ranges),
    loadVia(pre, r.retention),
    r.retentionPrev ? loadVia(pre, r.retentionPrev) : null,
    loadVia(pre, r.snapshot),
    loadVia(pre, r.stages),
  ]);
  return splitKpiAnswers({ sales, deals, retention: retention.rows, retentionPrev: retentionPrev?.rows ?? null, snapshot: snapshot.rows, stages: stages.rows });
}

/** The revenue trend of the period and, when the URL compares, of the comparison period: one request. */
export async function loadTrend(f: Filters, previous: DateRange | undefined, granularity: Granularity, pre?: Prefetched): Promise<{ current: Row[]; previous?: Row[] }> {
  const [current, prev] = await loadComparedVia(pre, revenueTrendQuery(f, f, granularity), previous ? [f, previous] : [f]);
  return prev ? { current, previous: prev } : { current };
}

/**
 * loadKpis from the answers already in the page (the server rendered them), or undefined when one
 * is missing: what the cards show before (and during) the browser's first look-up, so the server
 * render and the first browser render agree.
 */
export function readyKpis(f: Filters, pre: Prefetched): ReturnType<typeof splitKpiAnswers> | undefined {
  const r = kpiRequests(f);
  const sales = readyCompared(pre, r.sales, r.ranges);
  const deals = readyCompared(pre, r.deals, r.ranges);
  const retention = readyAnswer(pre, r.retention);
  const retentionPrev = r.retentionPrev ? readyAnswer(pre, r.retentionPrev) : null;
  const snapshot = readyAnswer(pre, r.snapshot);
  const stages = readyAnswer(pre, r.stages);
  if (!sales || !deals || !retention || retentionPrev === undefined || !snapshot || !stages) return undefined;
  return splitKpiAnswers({ sales, deals, retention: retention.rows, retentionPrev: retentionPrev?.rows ?? null, snapshot: snapshot.rows, stages: stages.rows });
}

/** loadTrend from the answers already in the page, or undefined. */
export function readyTrend(f: Filters, previous: DateRange | undefined, granularity: Granularity, pre: Prefetched): { current: Row[]; previous?: Row[] } | undefined {
  const rs = readyCompared(pre, revenueTrendQuery(f, f, granularity), previous ? [f, previous] : [f]);
  if (!rs) return undefined;
  return rs[1] ? { current: rs[0], previous: rs[1] } : { current: rs[0] };
}
