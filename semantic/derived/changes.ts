import type { ClickHouseClient } from '@clickhouse/client';
import { checkName, quoteIdent, rows, type BoundQuery } from '../../lib/warehouse/sql.ts';
import type { CustomerScope } from './sql.ts';

/**
 * Which customers' derived rows changed since the last committed refresh: the input of an
 * incremental refresh.
 *
 * Loads do not list the customers they touched, so they are read back from the data, by time:
 * every row the ingest writes is stamped when written (`ingested_at` on facts, `updated_at` on
 * golden records, `merged_at` on aliases). A customer is changed when, since the window opened,
 * - a transaction line of it was written (new line, update, refund: a new version of the line);
 * - its golden record was written (new customer, changed owner/region/…, a merge's survivor);
 * - an alias was written from or to it (a merge by e-mail, phone, …): the merged-away id, its new
 *   survivor and every survivor it pointed at before, so both the old and the new id are rebuilt;
 * - it owned, in the committed snapshot, an order that a written line belongs to: a line that moved
 *   to another customer is deleted under the old one (ingest's stale-row delete), and that delete
 *   leaves no stamp — the order's old owner is found in the committed paid_orders (the base full
 *   rebuild's rows and the last overlay's, by the stored order_key of migration 017) instead.
 * Then each changed id is also resolved through the aliases (facts stored under a merged-away id
 * count for its survivor).
 *
 * The window opens at the last committed refresh's start (`since`: the full rebuild, or the last
 * incremental refresh, whose rows are exact up to then), or earlier at the start of any load that
 * was still running then (its rows, stamped before, may have been written after that refresh read
 * the data). Only customers changed since then are rebuilt; the last overlay's other customers are
 * carried over as they are (refresh.ts).
 *
 * Not seen: an order line that moves to another customer *and* to another order in one update (its
 * old order keeps no trace of it), and orders whose lines name different customers (the overlay
 * regroups only the changed customers' lines). Neither is a shape the ingest produces on purpose;
 * the next full rebuild (a new as-of day, changed definitions, too many changes, mode 'full')
 * repairs either.
 */
export interface ChangedSince {
  /** The full rebuild the committed snapshot rests on (itself after a full rebuild). */
  base: number;
  /** The committed snapshot (ms since epoch when its refresh started): the window opens there. */
  since: number;
}

export function changedCustomersQuery(database: string, { base, since }: ChangedSince): BoundQuery {
  const db = quoteIdent(checkName(database));
  return {
    query: `WITH
  fromUnixTimestamp64Milli(toInt64({since:UInt64})) AS window_start,
  -- minOrNull: min() of no rows is 1970, which would count every row as changed. A load that never
  -- finished (a crash) stops holding the window open after a day.
  (SELECT least(window_start, ifNull(minOrNull(started_at), window_start))
     FROM ${db}.ingest_batches FINAL
    WHERE (finished_at IS NULL OR finished_at >= window_start) AND started_at >= window_start - INTERVAL 1 DAY) AS since,
  aliases AS (SELECT from_id, argMax(to_id, version) AS to_id FROM ${db}.customer_aliases GROUP BY from_id),
  changed AS (
    SELECT customer_id AS id FROM ${db}.transactions WHERE ingested_at >= since
    UNION DISTINCT SELECT customer_id FROM ${db}.customers WHERE updated_at >= since
    UNION DISTINCT SELECT from_id FROM ${db}.customer_aliases WHERE merged_at >= since
    UNION DISTINCT SELECT to_id FROM ${db}.customer_aliases
      WHERE from_id IN (SELECT from_id FROM ${db}.customer_aliases WHERE merged_at >= since) AND to_id != ''
    UNION DISTINCT SELECT customer_id FROM ${db}.paid_orders
      WHERE snapshot IN ({base:UInt64}, {since:UInt64})
        AND order_key IN (SELECT cityHash64(source, order_id) FROM ${db}.transactions WHERE ingested_at >= since)
  )
SELECT DISTINCT id FROM (
  SELECT id FROM changed
  UNION ALL SELECT a.to_id FROM changed AS c INNER JOIN aliases AS a ON a.from_id = c.id WHERE a.to_id != ''
)`,
    query_params: { base, since },
  };
}

/**
 * The changed customers and every id their facts are stored under: themselves and the ids whose
 * current alias points at one of them.
 */
export async function changedCustomers(
  client: ClickHouseClient,
  database: string,
  since: ChangedSince,
): Promise<CustomerScope> {
  const customers = (await rows<{ id: string }>(client, changedCustomersQuery(database, since))).map((r) => r.id);
  if (customers.length === 0) return { customers, raw: [] };
  const db = quoteIdent(checkName(database));
  const merged = await rows<{ from_id: string }>(client, {
    query: `SELECT from_id FROM (SELECT from_id, argMax(to_id, version) AS to_id FROM ${db}.customer_aliases GROUP BY from_id)
WHERE to_id IN {customers:Array(String)}`,
    query_params: { customers },
  });
  return { customers, raw: [...new Set([...customers, ...merged.map((r) => r.from_id)])] };
}
