/**
 * Issue 13, "Done when" (ingest part): the CDNOW purchase log exactly as published — no header,
 * columns separated by runs of spaces and one tab, CRLF, dates YYYYMMDD, no order or line id — loads
 * with the hand-written mapping test/fixtures/ingest/cdnow/transactions.mapping.json into a real
 * embedded warehouse, and the warehouse's counts equal what this test computes from the file with
 * its own parsing: lines, customer-day orders, customers and revenue. Loading it again adds nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ingestFile } from '../../ingest/index.ts';
import type { IngestSummary } from '../../ingest/types.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, one, warehouseWithSchema } from './helpers.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CDNOW = process.env.CRM_CDNOW_FILE || resolve(ROOT, '../shared/data/cdnow/CDNOW_sample.txt');
const MAPPING = join(ROOT, 'test/fixtures/ingest/cdnow/transactions.mapping.json');
const skip = existsSync(CDNOW)
  ? false
  : `the CDNOW sample is not at ${CDNOW} (../shared/data beside the repository, or set CRM_CDNOW_FILE)`;

/** The file parsed independently of the ingest code: whitespace split of each non-blank line. */
function expected(): { lines: number; orders: number; customers: number; cents: number; identicalLines: number } {
  const lines = readFileSync(CDNOW, 'latin1')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/[ \t]+/));
  const orders = new Set(lines.map(([customer, , ymd]) => `${customer}|${ymd}`));
  const customers = new Set(lines.map(([customer]) => customer));
  // Dollars in cents: 6,919 two-decimal additions stay exact.
  const cents = lines.reduce((s, [, , , , dollars]) => s + Math.round(Number(dollars) * 100), 0);
  const distinct = new Set(lines.map((l) => l.join(' ')));
  return {
    lines: lines.length,
    orders: orders.size,
    customers: customers.size,
    cents,
    identicalLines: lines.length - distinct.size,
  };
}

describe('the unchanged CDNOW sample loads with the hand-written mapping', { skip }, () => {
  let tw: TestWarehouse;
  let first: IngestSummary;
  let want: ReturnType<typeof expected>;
  before(async () => {
    want = expected();
    tw = await warehouseWithSchema();
    first = await ingestFile(tw.warehouse, {
      entity: 'transactions',
      file: CDNOW,
      mapping: MAPPING,
      rejectsFile: false,
    });
  });
  after(() => tw?.close());

  it('reads the numbers the literature gives (6,919 lines, 6,696 customer-days, 2,357 customers, $244,091.94)', () => {
    // A check on the independent parse itself, so a truncated or changed file is noticed here.
    assert.deepEqual([want.lines, want.orders, want.customers, want.cents], [6919, 6696, 2357, 24_409_194]);
    // Lines identical in every column are separate purchases: the row count below keeps them apart.
    assert.ok(want.identicalLines > 0, 'the sample has identical lines');
  });

  it('loads every line, rejects none, and says how ids and orders were formed', () => {
    assert.equal(first.status, 'completed', first.error);
    assert.deepEqual([first.read, first.loaded, first.rejected], [want.lines, want.lines, 0]);
    assert.deepEqual(first.warnings, []);
    assert.equal(
      first.derivedIds,
      'transaction ids derived from row content (no transaction_id column); orders: one per customer and day (no order_id column)',
    );
  });

  it('the warehouse holds one row per line, one order per customer-day, every customer, the revenue to the cent', async () => {
    const r = await one<{
      n: string;
      ids: string;
      orders: string;
      customers: string;
      refs: string;
      cents: string;
      first: string;
      last: string;
    }>(
      tw.warehouse,
      `SELECT count() AS n, uniqExact(transaction_id) AS ids, uniqExact(order_id) AS orders, uniqExact(customer_id) AS customers,
              uniqExact(customer_ref) AS refs, toString(sum(toInt64(round(amount * 100)))) AS cents,
              toString(min(toDate(order_date))) AS first, toString(max(toDate(order_date))) AS last
       FROM crm.transactions FINAL WHERE source = 'cdnow' AND status = 'completed'`,
    );
    assert.deepEqual(
      [Number(r.n), Number(r.ids), Number(r.orders), Number(r.customers), Number(r.refs), Number(r.cents)],
      [want.lines, want.lines, want.orders, want.customers, want.customers, want.cents],
    );
    assert.deepEqual([r.first, r.last], ['1997-01-01', '1998-06-30']);
  });

  it('amounts are dollars as written, with quantities', async () => {
    const r = await one<{ amount: number; original_currency: string; quantity: number; order_id: string }>(
      tw.warehouse,
      "SELECT amount, original_currency, quantity, order_id FROM crm.transactions FINAL WHERE source = 'cdnow' AND customer_ref = '00004' AND toDate(order_date) = '1997-01-01'",
    );
    // First line of the file: " 00004 0001 19970101  2\t  29.33"
    assert.deepEqual(r, { amount: 29.33, original_currency: 'USD', quantity: 2, order_id: '00004@1997-01-01' });
  });

  it('loading the unchanged file again adds nothing, not even raw rows', async () => {
    const before = await counts(tw.warehouse, 'transactions');
    const again = await ingestFile(tw.warehouse, {
      entity: 'transactions',
      file: CDNOW,
      mapping: MAPPING,
      rejectsFile: false,
    });
    assert.equal(again.status, 'completed', again.error);
    assert.deepEqual([again.read, again.loaded, again.updated, again.rejected], [want.lines, 0, 0, 0]);
    assert.deepEqual(await counts(tw.warehouse, 'transactions'), before);
  });

  it('a transactions-only load creates its customers: one per customer id of the file', async () => {
    assert.equal(first.customersCreated, want.customers);
    const r = await one<{ n: string; ids: string }>(
      tw.warehouse,
      'SELECT count() AS n, uniqExact(customer_id) AS ids FROM crm.customers FINAL',
    );
    assert.deepEqual([Number(r.n), Number(r.ids)], [want.customers, want.customers]);
  });
});
