import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { one, rows, warehouseWithSchema } from './helpers.ts';

describe('Parquet', () => {
  let tw: TestWarehouse;
  let dir: string;
  before(async () => {
    tw = await warehouseWithSchema();
    dir = mkdtempSync(join(tmpdir(), 'ingest-parquet-'));
  });
  after(async () => {
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Has the engine write a Parquet file (small row groups, so the reader walks several). */
  async function writeParquet(file: string, select: string): Promise<void> {
    const res = await tw.warehouse.client.exec({
      query: `${select} FORMAT Parquet SETTINGS output_format_parquet_row_group_size = 1000`,
      clickhouse_settings: { output_format_parquet_string_as_string: 1 },
    });
    await pipeline(res.stream, createWriteStream(file));
  }

  it('loads transactions from a multi-row-group Parquet file written by the engine', async () => {
    const file = join(dir, 'transactions.parquet');
    // 2 500 rows: ids T0..T2499, amounts (n % 100) + 0.25, every 10th refunded, 250 customers.
    await writeParquet(
      file,
      `SELECT 'pq' AS source, concat('T', toString(number)) AS transaction_id, concat('O', toString(intDiv(number, 2))) AS order_id,
              concat('K', toString(number % 250)) AS customer_ref,
              toDateTime('2024-01-01 00:00:00', 'UTC') + number * 3600 AS order_date,
              if(number % 10 = 0, 'refunded', 'completed') AS status,
              toDecimal64((number % 100) + 0.25, 2) AS amount, 'EUR' AS currency, toUInt32(1 + number % 3) AS quantity,
              concat('P', toString(number % 7)) AS product_id, 'Thing' AS product_name, 'misc' AS category, 'web' AS channel,
              CAST(NULL, 'Nullable(DateTime)') AS updated_at, 'ignored' AS extra_column
       FROM numbers(2500)`,
    );
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual([s.read, s.loaded, s.rejected], [2500, 2500, 0]);
    assert.match(s.warnings.join(' '), /extra_column/);
    const t = await one<{ n: string; amount: number; refunded: string; qty: number; customers: string; first: string; last: string }>(
      tw.warehouse,
      `SELECT count() AS n, sum(amount) AS amount, countIf(status = 'refunded') AS refunded, sum(quantity) AS qty,
              uniqExact(customer_id) AS customers, toString(min(order_date)) AS first, toString(max(order_date)) AS last
       FROM crm.transactions FINAL`,
    );
    // sum over n < 2500 of (n % 100 + 0.25) = 25 × 4950 + 625; quantity sum: 834×1 + 833×2 + 833×3
    // qty: a sum of decimal quantities (migration 024), a JSON number like amount's.
    assert.deepEqual(t, { n: '2500', amount: 124375, refunded: '250', qty: 4999, customers: '250', first: '2024-01-01 00:00:00', last: '2024-04-14 03:00:00' });
    const again = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(again.duplicates, 2500);
  });

  it('loads interactions with nullable scores from Parquet', async () => {
    const file = join(dir, 'interactions.parquet');
    await writeParquet(
      file,
      `SELECT 'pq' AS source, concat('I', toString(number)) AS interaction_id, concat('K', toString(number % 5)) AS customer_ref,
              toDateTime('2024-02-01 12:00:00', 'UTC') + number AS occurred_at, if(number % 2 = 0, 'call', 'chat') AS type,
              if(number % 3 = 0, NULL, toUInt8(1 + number % 5)) AS csat, toUInt32(number * 10) AS duration_seconds
       FROM numbers(12)`,
    );
    const s = await ingestFile(tw.warehouse, { entity: 'interactions', file, rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.equal(s.loaded, 12);
    const r = await rows<{ nulls: string; csat_sum: string; dur_sum: string }>(
      tw.warehouse,
      "SELECT countIf(csat IS NULL) AS nulls, toString(sum(csat)) AS csat_sum, toString(sum(duration_seconds)) AS dur_sum FROM crm.interactions FINAL WHERE source = 'pq'",
    );
    // csat null for n = 0,3,6,9; else 1 + n % 5 for n = 1,2,4,5,7,8,10,11 → 2+3+5+1+3+4+1+2 = 21
    assert.deepEqual(r, [{ nulls: '4', csat_sum: '21', dur_sum: '660' }]);
  });
});
