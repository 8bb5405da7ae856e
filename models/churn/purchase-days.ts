/**
 * The CLV models' input: one row per customer and purchase day (amounts of that day's completed
 * orders summed), strictly before the cutoff. Same-day purchases are one purchase in the BG/NBD
 * convention, so merging them in ClickHouse also keeps the transfer small. It lives with churn
 * because what counts as a purchase is the churn definition's, and churn's evaluation fits BG/NBD
 * on it too; scoring composes churn and CLV, so it reads it from here.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { BoundQuery } from '../../lib/warehouse/sql.ts';
import { parseDay } from './definition.ts';

export interface PurchaseDay {
  customerId: string;
  /** YYYY-MM-DD */
  date: string;
  amount: number;
}

export function buildPurchaseDaysQuery(cutoff: string, statuses: readonly string[] = ['completed']): BoundQuery {
  return {
    query: `SELECT customer_id, toString(toDate(order_date)) AS day, toFloat64(sum(amount)) AS amount
FROM transactions_resolved
WHERE order_date < {cutoff:Date} AND status IN {statuses:Array(String)}
GROUP BY customer_id, day
ORDER BY customer_id, day`,
    query_params: { cutoff: parseDay(cutoff, 'cutoff'), statuses: [...statuses] },
  };
}

export async function loadPurchaseDays(warehouse: Warehouse, cutoff: string, statuses?: readonly string[]): Promise<PurchaseDay[]> {
  const { query, query_params } = buildPurchaseDaysQuery(cutoff, statuses);
  const rs = await warehouse.client.query({ query, query_params, format: 'JSONCompactEachRow' });
  const out: PurchaseDay[] = [];
  for await (const rows of rs.stream<[string, string, number]>()) {
    for (const row of rows) {
      const [customerId, date, amount] = row.json();
      out.push({ customerId, date, amount: Number(amount) });
    }
  }
  return out;
}
