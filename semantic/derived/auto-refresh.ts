import type { ClickHouseClient } from '@clickhouse/client';
import { refreshDerived, type RefreshResult } from './refresh.ts';
import { checkName, quoteIdent, rows } from '../../lib/warehouse/sql.ts';
import { lineLog, partLogger } from '../../lib/log.ts';

/**
 * Keeps the derived tables in step with the data: loads arrive from the ingest CLI, the HTTP API or
 * another process, and until refreshDerived() runs the value, RFM and retention cubes answer from
 * the previous rebuild. A poller is simpler than hooks in every loader and also sees loads made by
 * other processes (a cron'd CLI, another node).
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

export interface DerivedRefresherOptions {
  client: ClickHouseClient;
  database: string;
  cluster?: string;
  /** Between checks (default 60 s; CRM_DERIVED_CHECK_SECONDS in bin/start.ts). */
  intervalMs?: number;
  /** Default: the structured log (lib/log.ts), part "worker", job "derived". */
  log?: (line: string) => void;
}

export interface DerivedRefresher {
  /** Checks now and rebuilds when a load is newer than the derived tables; undefined when fresh. */
  check(): Promise<RefreshResult | undefined>;
  close(): Promise<void>;
}

export function startDerivedRefresher(opts: DerivedRefresherOptions): DerivedRefresher {
  const log = opts.log ?? lineLog(partLogger('worker', { job: 'derived' }));
  let current: Promise<RefreshResult | undefined> | undefined;
  let closed = false;

  const check = (): Promise<RefreshResult | undefined> => {
    current ??= (async () => {
      const f = await derivedFreshness(opts.client, opts.database);
      if (!f.stale) return undefined;
      log(`new data since the last rebuild (load finished ${new Date(f.lastLoad).toISOString()}): rebuilding the derived tables`);
      const r = await refreshDerived(opts.client, opts.database, { cluster: opts.cluster });
      log(`derived tables rebuilt as of ${r.asOf} in ${(r.ms / 1000).toFixed(1)} s`);
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
