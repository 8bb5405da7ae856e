/**
 * The CDNOW sample into a warehouse's transactions table, for the real-data benchmark and tests.
 * It follows the ingest mapping (test/fixtures/ingest/cdnow/transactions.mapping.json) by hand —
 * models may not import ingest (dependency rules) — : every line is a completed purchase, the lines
 * of one customer on one day form one order, amounts in USD. Idempotent: rows carry fixed keys
 * and ReplacingMergeTree versions, so loading twice changes nothing a FINAL read sees.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { loadCdnow, type CdnowTransaction } from '../clv/cdnow.ts';

export const CDNOW_END = '1998-06-30';

export async function loadCdnowIntoWarehouse(
  warehouse: Warehouse,
  lines: CdnowTransaction[] = loadCdnow(),
): Promise<{ orders: number; customers: number }> {
  const rows = lines.map((t, i) => ({
    source: 'cdnow',
    transaction_id: `cdnow-${i + 1}`,
    order_id: `cdnow-${t.customerId}-${t.date}`,
    customer_id: `cdnow-${t.customerId}`,
    customer_ref: t.customerId,
    order_date: `${t.date} 00:00:00`,
    status: 'completed',
    amount: t.amount.toFixed(2),
    original_amount: t.amount.toFixed(2),
    original_currency: 'USD',
    quantity: t.quantity,
    product_id: '',
    product_name: '',
    category: 'music',
    channel: 'online',
    batch_id: 'cdnow-bench',
    row_hash: 0,
    version: 1,
  }));
  await warehouse.client.insert({ table: 'transactions', values: rows, format: 'JSONEachRow' });
  return { orders: new Set(rows.map((r) => r.order_id)).size, customers: new Set(rows.map((r) => r.customer_id)).size };
}
