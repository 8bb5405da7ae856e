import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { fixture, rows, warehouseWithSchema } from './helpers.ts';

describe('a mapping file loads a foreign export', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await warehouseWithSchema();
  });
  after(() => tw.close());

  it('German headers, latin1, semicolons, DD.MM.YYYY, 1.234,50 and EUR converted to USD', async () => {
    const s = await ingestFile(tw.warehouse, {
      entity: 'transactions',
      file: fixture('transactions-de.csv'),
      mapping: fixture('mapping-de.json'),
      rejectsFile: false,
    });
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual([s.read, s.loaded, s.rejected], [4, 4, 0]);
    assert.deepEqual(s.warnings, []); // Notiz and Kanal are ignored on purpose
    const r = await rows(
      tw.warehouse,
      `SELECT source, transaction_id, toString(order_date) AS order_date, status, amount, original_amount, original_currency, quantity, product_name, category, channel
       FROM crm.transactions FINAL ORDER BY transaction_id`,
    );
    assert.deepEqual(r, [
      // 1.234,50 EUR × 1.1 = 1357.95 USD
      { source: 'shop-de', transaction_id: 'D1', order_date: '2024-01-05 00:00:00', status: 'completed', amount: 1357.95, original_amount: 1234.5, original_currency: 'EUR', quantity: 2, product_name: 'Bürostuhl', category: 'Möbel', channel: 'store' },
      // 19,99 × 1.1 = 21.989 → 21.99; "Erstattet" → refunded; time from DD.MM.YYYY HH:mm
      { source: 'shop-de', transaction_id: 'D2', order_date: '2024-01-06 14:30:00', status: 'refunded', amount: 21.99, original_amount: 19.99, original_currency: 'EUR', quantity: 1, product_name: 'Kaffeebecher', category: 'Küche', channel: 'store' },
      { source: 'shop-de', transaction_id: 'D3', order_date: '2024-01-07 00:00:00', status: 'cancelled', amount: 0.55, original_amount: 0.5, original_currency: 'EUR', quantity: 1, product_name: 'Aufkleber', category: 'Büro', channel: 'store' },
      { source: 'shop-de', transaction_id: 'D4', order_date: '2024-01-08 00:00:00', status: 'completed', amount: 11, original_amount: 10, original_currency: 'EUR', quantity: 1, product_name: 'Lampe', category: 'Möbel', channel: 'store' },
    ]);
  });

  it('a bad mapping is refused with a readable reason, before anything loads', async () => {
    const s = await ingestFile(tw.warehouse, {
      entity: 'transactions',
      file: fixture('transactions-de.csv'),
      mapping: { columns: { Betrag: 'amount_eur' } },
      rejectsFile: false,
    });
    assert.equal(s.status, 'failed');
    assert.match(s.error ?? '', /"amount_eur" is not a field of transactions/);
  });

  it('a file without a required column fails as a whole and says which', async () => {
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file: fixture('transactions-de.csv'), rejectsFile: false });
    assert.equal(s.status, 'failed');
    // transaction_id is not among them: without a column it is derived from each row's content.
    assert.match(s.error ?? '', /no column for required fields source, customer_ref, order_date, status, amount \(/);
  });
});
