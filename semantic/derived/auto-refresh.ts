import type { ClickHouseClient } from '@clickhouse/client';
import { refreshDerived, type RefreshResult } from './refresh.ts';
import { DERIVED_DEFINITION } from './sql.ts';
import { backgroundClient } from './background-client.ts';
import { checkName, quoteIdent, rows } from '../../lib/warehouse/sql.ts';
import { describeAsOf, todayUtc, warehouseAsOf } from '../../lib/as-of.ts';
import { lineLog, partLogger } from '../../lib/log.ts';

/**
 * Keeps the derived tables in step with the data: loads arrive from the ingest CLI, the HTTP API or
 * another process, and until refreshDerived() runs the value, RFM and retention cubes answer from
 * the previous rebuild. A poller is simpler than hooks in every loader and also sees loads made by
 * other processes (a cron'd CLI, another node).
 *
 * It also follows the calendar: tables built "as of today" are out of date the next day even without
 * a load (recency, active customers), so once per UTC day it re-resolves the as-of date
 * (lib/as-of.ts) and rebuilds when it moved. Data that ends in the past keeps its as-of (its end):
 * no daily rebuild for it.
 */
export interface DerivedFreshness {
  /** Start of the newest committed rebuild (ms since epoch), 0 when there is none. */
  snapshot: number;
  /** When the newest load that changed rows finished (ms since epoch), 0 when there is none. */
  lastLoad: number;
  stale: boolean;
}

export async function derivedFreshness(client: ClickHouseClient, database: string): Promise<DerivedFreshness> {
  const db = quoteIdent(checkName(database));
  // A load counts when it changed rows; its finish time is compared with the start of the rebuild,
  // so a load that ended while a rebuild was running makes the next check rebuild again.
  const [row] = await rows<{ snapshot: string | number; last_load: string | number }>(client, {
    query: `SELECT
        (SELECT toUInt64(max(snapshot)) FROM ${db}.derived_snapshots) AS snapshot,
        (SELECT toUInt64(toUnixTimestamp64Milli(max(assumeNotNull(finished_at))))
           FROM ${db}.ingest_batches FINAL
          WHERE status = 'completed' AND rows_loaded + rows_updated > 0 AND finished_at IS NOT NULL) AS last_load`,
  });
  const snapshot = Number(row?.snapshot ?? 0);
  const lastLoad = Number(row?.last_load ?? 0);
  return { snapshot, lastLoad, stale: lastLoad > 0 && lastLoad >= snapshot };
}

/**
 * Whether a load is between its first and its last write, for the answer cache's publish hold
 * (semantic/answer-cache.ts, dataVersionReader): its batch row says `running` (written before its
 * first row and rewritten after its last; started within the last 10 minutes, as a crashed load's
 * row stays `running`). A load writes facts, customers, identities in turn: without the hold each
 * write was a data version of its own, each dropping and re-warming every shared answer. The
 * derived refresh a load triggers needs no hold: its tables count only through their commit row
 * (semantic/refresh-keys.ts). Not held for that refresh either: a dashboard would then wait up to
 * CRM_DERIVED_CHECK_SECONDS for the load's live figures (order lines, interactions, consents).
 * One row, `busy` 0 or 1. Without `database`, unqualified names: the connection's database (Cube's
 * driver reads it so, as the data version).
 */
export function writerBusySql(database?: string): string {
  const t = (name: string): string => (database ? `${quoteIdent(checkName(database))}.${name}` : name);
  return `SELECT toUInt8((SELECT count() FROM ${t('ingest_batches')} FINAL WHERE status = 'running' AND started_at > now64(3) - INTERVAL 10 MINUTE) > 0) AS busy`;
}

export interface DerivedRefresherOptions {
  client: ClickHouseClient;
  database: string;
  cluster?: string;
  /** Between checks (default 60 s; CRM_DERIVED_CHECK_SECONDS in bin/start.ts). */
  intervalMs?: number;
  /** Default: the structured log (lib/log.ts), part "worker", job "derived". */
  log?: (line: string) => void;
  /** CRM_AS_OF, when set (lib/as-of.ts). */
  configuredAsOf?: string;
  /** The clock (tests move it to a next day); default the system clock. */
  now?: () => Date;
  /**
   * `incremental` (default): a load rebuilds only the customers it changed, and everything when the
   * as-of date moved or the definitions changed (refreshDerived's rules); `full`: always everything.
   */
  mode?: 'full' | 'incremental';
  /** Engine threads per refresh statement: default WORKER_MAX_THREADS (0: the engine decides). */
  maxThreads?: number;
}

/**
 * 0: the refresher sets no thread count. On the embedded engine its statements run in the
 * endpoint's background lane, which gives a statement one engine thread while any other request
 * runs or waits, and every core when it is alone (lib/warehouse/embedded/run-request.ts,
 * backgroundSettings): a dashboard in use keeps a core, and a refresh on an idle machine is not held
 * to one (issue 17: a 1,000-row refresh at 10M took about its CPU time, ~2.6 s, with one thread
 * always). A ClickHouse server ignores the lane and keeps its own thread count.
 */
export const WORKER_MAX_THREADS = 0;

export interface DerivedRefresher {
  /** Checks now and rebuilds when a load is newer than the derived tables; undefined when fresh. */
  check(): Promise<RefreshResult | undefined>;
  close(): Promise<void>;
}

export function startDerivedRefresher(opts: DerivedRefresherOptions): DerivedRefresher {
  const log = opts.log ?? lineLog(partLogger('worker', { job: 'derived' }));
  // The refresh runs beside people using the dashboard: in the background lane, and no statement
  // holding the embedded engine's process-wide parameter lock (background-client.ts; issue 17).
  const client = backgroundClient(opts.client, { maxThreads: opts.maxThreads ?? WORKER_MAX_THREADS });
  let current: Promise<RefreshResult | undefined> | undefined;
  let closed = false;

  const now = opts.now ?? (() => new Date());
  // The UTC day whose as-of date the committed tables were last checked against (or built for).
  let checkedDay: string | undefined;
  // The newest load a refresh that found nothing to change has covered: a refresh commits no
  // snapshot then (refreshDerived's `committed: false`), so the committed snapshot stays older than
  // that load and the freshness check alone would ask for the same empty refresh at every tick.
  let coveredLoad = 0;
  let lastLoadSeen = 0;

  /** Why a rebuild is due now, or undefined. */
  const dueBecause = async (): Promise<string | undefined> => {
    const f = await derivedFreshness(client, opts.database);
    lastLoadSeen = f.lastLoad;
    if (f.stale && f.lastLoad > coveredLoad) return `new data since the last rebuild (load finished ${new Date(f.lastLoad).toISOString()})`;
    const day = todayUtc(now());
    if (f.snapshot === 0 || day === checkedDay) return undefined;
    const committed = await committedAsOf(client, opts.database);
    const asOf = await warehouseAsOf(client, opts.database, { configured: opts.configuredAsOf, now: now() });
    checkedDay = day;
    if (committed === undefined) return undefined;
    // New code with another definition (e.g. how RFM scores are cut) must not keep showing the old
    // tables until the next load: the refresh then rebuilds everything (refreshDerived's rule).
    if (committed.definition !== DERIVED_DEFINITION) return 'the derived-table definitions changed';
    return committed.asOf !== asOf.date ? `the as-of date moved from ${committed.asOf}: now ${describeAsOf(asOf, asOf.lastFactDate)}` : undefined;
  };

  const check = (): Promise<RefreshResult | undefined> => {
    current ??= (async () => {
      const because = await dueBecause();
      if (!because) return undefined;
      log(`${because}: rebuilding the derived tables`);
      const day = todayUtc(now());
      const r = await refreshDerived(client, opts.database, { cluster: opts.cluster, configuredAsOf: opts.configuredAsOf, now: now(), mode: opts.mode ?? 'incremental' });
      checkedDay = day;
      // Every load seen before the refresh started was visible to it (it reads the changes after).
      if (!r.committed) coveredLoad = Math.max(coveredLoad, lastLoadSeen);
      const what = r.kind === 'full' ? `rebuilt (full: ${r.why})` : r.committed ? `refreshed for ${r.changedCustomers} changed customers` : 'unchanged (no customer changed: nothing committed)';
      log(`derived tables ${what} as of ${r.asOf} (${r.asOfReason}) in ${(r.ms / 1000).toFixed(1)} s`);
      return r;
    })().finally(() => {
      current = undefined;
    });
    return current;
  };

  const tick = (): void => {
    if (closed) return;
    check()
      .catch((err: Error) => log(`derived tables not rebuilt: ${err.message} (next try in ${Math.round((opts.intervalMs ?? 60_000) / 1000)} s)`))
      .finally(() => {
        if (!closed) (timer = setTimeout(tick, opts.intervalMs ?? 60_000)).unref?.();
      });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, opts.intervalMs ?? 60_000);
  timer.unref?.();

  return {
    check,
    async close() {
      closed = true;
      clearTimeout(timer);
      await current?.catch(() => undefined);
    },
  };
}

/** The as-of date of the newest committed rebuild, undefined when there is none. */
async function committedAsOf(client: ClickHouseClient, database: string): Promise<{ asOf: string; definition: string } | undefined> {
  const db = quoteIdent(checkName(database));
  const [row] = await rows<{ as_of: string; definition: string }>(client, {
    query: `SELECT toString(as_of) AS as_of, definition FROM ${db}.derived_snapshots ORDER BY snapshot DESC LIMIT 1`,
  });
  return row ? { asOf: row.as_of, definition: row.definition } : undefined;
}
