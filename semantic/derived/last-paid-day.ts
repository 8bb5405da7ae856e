import type { ClickHouseClient } from '@clickhouse/client';
import { PAID_STATUSES, resolveAsOf, todayUtc, warehouseAsOf, type AsOf } from '../../lib/as-of.ts';
import { bound, checkName, quoteIdent, rows } from '../../lib/warehouse/sql.ts';

/**
 * The as-of date for a derived refresh: lib/as-of.ts's rule, with its input (the last paid order's
 * day) read from the newest monthly partition of `transactions` that has a paid line instead of a
 * FINAL pass over all of them. warehouseAsOf() reads the whole fact table with FINAL (the largest
 * step of an incremental refresh at 10M lines: ≈11 s of 41 s under load); here one month is read.
 *
 * Exact: transactions is partitioned by toYYYYMM(order_date) and a line's versions share their
 * order_date (a sort key column), so FINAL within a month sees each line's newest version, and the
 * newest month holding a paid line holds the newest paid day. With no paid line at all (a new or
 * interactions-only warehouse), or on a cluster (partitions live on the shards), the library's own
 * reading decides.
 */
export async function derivedAsOf(
  client: ClickHouseClient,
  database: string,
  opts: { configured?: string; now?: Date; cluster?: string } = {},
): Promise<AsOf & { lastFactDate?: string }> {
  if (opts.cluster) return warehouseAsOf(client, database, opts);
  const lastPaid = await lastPaidDay(client, database);
  if (lastPaid === undefined) return warehouseAsOf(client, database, opts);
  return {
    ...resolveAsOf({ configured: opts.configured, today: todayUtc(opts.now), lastFactDate: lastPaid }),
    lastFactDate: lastPaid,
  };
}

/** The newest day with a paid order line (its newest version), or undefined when there is none. */
export async function lastPaidDay(client: ClickHouseClient, database: string): Promise<string | undefined> {
  const db = quoteIdent(checkName(database));
  const months = await rows<{ m: string }>(
    client,
    bound(
      `SELECT DISTINCT partition AS m FROM system.parts
       WHERE database = {database:String} AND table = 'transactions' AND active AND rows > 0
       ORDER BY m DESC`,
      { database },
    ),
  );
  for (const { m } of months) {
    if (!/^\d{6}$/.test(m)) continue;
    const [row] = await rows<{ day: string; n: string }>(
      client,
      bound(
        `SELECT toString(max(toDate(order_date))) AS day, toString(count()) AS n
         FROM ${db}.transactions FINAL
         WHERE toYYYYMM(order_date) = {month:UInt32} AND status IN {paid:Array(String)}
         SETTINGS do_not_merge_across_partitions_select_final = 1`,
        { month: Number(m), paid: [...PAID_STATUSES] },
      ),
    );
    if (row && Number(row.n) > 0) return row.day;
  }
  return undefined;
}
