/**
 * detect in line-level exports (an order id repeated over rows): a column that holds one value per
 * order and at least the sum of the order's lines is the order's total, never the line `amount`
 * (a three-line invoice would count its total three times). Drafts of small files written here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { judgeAmount } from '../../ingest/detect/order-totals.ts';
import { proposeMapping, type Draft } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'order-totals-detect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function draftOf(name: string, text: string): Promise<Draft> {
  const file = join(dir, name);
  writeFileSync(file, text);
  return proposeMapping(await readSample(file), { baseCurrency: 'EUR' });
}
const fieldOf = (d: Draft, column: string): string | undefined => d.mapping.columns?.[column];
const POINT = { decimal: '.', thousands: '' } as const;

describe('order totals in line-level exports', () => {
  test('an order total beside a unit price and quantity: the lines are priced, the total is not used', async () => {
    const d = await draftOf(
      'shop-lines.csv',
      'order_id,order_date,email,sku,quantity,unit_price,total\nA1,2024-05-02,a@example.org,P1,3,6.40,30.15\nA1,2024-05-02,a@example.org,P2,1,7.95,30.15\nA2,2024-05-03,b@example.org,P3,2,14.20,28.40\n',
    );
    assert.equal(fieldOf(d, 'total'), undefined);
    assert.ok(d.mapping.ignore?.includes('total'));
    assert.equal(fieldOf(d, 'unit_price'), 'unit_price');
    assert.ok(d.mapping.$comment.some((c) => c.startsWith('amount: "total" holds one value per order (e.g. order_id "A1": 30.15 on its 2 lines, which are worth 27.15 together)')), d.mapping.$comment.join('\n'));
  });

  test('a line amount with empty cells beats the order total when a unit price fills them', async () => {
    // As Xero's export: LineAmount empty on a line, Total the invoice's (with tax).
    const d = await draftOf(
      'invoices.csv',
      'InvoiceNumber,InvoiceDate,ContactName,Description,Quantity,UnitAmount,LineAmount,Total\nINV-1,2024-04-08,Harbour Ltd,Consulting,7.5,150.00,1125.00,1336.88\nINV-1,2024-04-08,Harbour Ltd,Travel,0.25,150.00,,1336.88\nINV-2,2024-04-09,Kowhai Ltd,Support,2,90.00,180.00,207.00\n',
    );
    assert.equal(fieldOf(d, 'LineAmount'), 'amount');
    assert.equal(fieldOf(d, 'UnitAmount'), 'unit_price');
    assert.equal(fieldOf(d, 'Total'), undefined);
    assert.ok(d.mapping.$comment.some((c) => c.includes('"LineAmount" is empty on 1 sampled row; that line is priced by "UnitAmount"')));
  });

  test('the order total named like the line amount is still found by its values (no unit price under a known name: the other amount column)', async () => {
    // "Amount" is the order's here and "Net Sales" the line's: the header alone would pick Amount.
    const d = await draftOf(
      'sales.csv',
      'Order,Date,Customer,Product,Net Sales,Amount\nS1,2024-01-02,C1,Hoodie,45.00,63.50\nS1,2024-01-02,C1,Cap,18.50,63.50\nS2,2024-01-03,C2,Bundle,80.91,80.91\n',
    );
    assert.equal(fieldOf(d, 'Amount'), undefined);
    assert.equal(fieldOf(d, 'Net Sales'), 'amount');
  });

  test('one value per order and nothing to price the lines: not mapped, and the draft says why (the load then refuses)', async () => {
    const d = await draftOf(
      'orders.csv',
      'order_id,order_date,customer,product,total\nB1,2024-05-02,c1@example.org,P1,99.00\nB1,2024-05-02,c1@example.org,P2,99.00\nB2,2024-05-03,c2@example.org,P3,40.00\n',
    );
    assert.equal(fieldOf(d, 'total'), undefined);
    assert.ok(d.mapping.$comment.some((c) => c.includes('detect cannot tell a line amount from an order total, so it is not used') && c.includes('"columns": {"total": "amount"}')));
    assert.ok(d.mapping.$comment.some((c) => c.startsWith('MISSING required: amount')));
  });

  test('line amounts that differ within an order, and orders of one line each, stay the amount', async () => {
    const lines = await draftOf('lines.csv', 'order_id,order_date,customer,product,amount\nB1,2024-05-02,c1@example.org,P1,99.00\nB1,2024-05-02,c1@example.org,P2,12.00\nB2,2024-05-03,c2@example.org,P3,40.00\n');
    assert.equal(fieldOf(lines, 'amount'), 'amount');
    const single = await draftOf('single.csv', 'order_id,order_date,customer,product,amount\nB1,2024-05-02,c1@example.org,P1,99.00\nB2,2024-05-03,c2@example.org,P3,40.00\n');
    assert.equal(fieldOf(single, 'amount'), 'amount');
  });

  test('without an order id a customer and order time key the order; two equal payments alone decide nothing', async () => {
    const priced = await draftOf('no-id.csv', 'order_date,email,sku,qty,unit_price,order_total\n2024-05-02,a@example.org,P1,3,6.40,27.15\n2024-05-02,a@example.org,P2,1,7.95,27.15\n2024-05-03,b@example.org,P3,2,14.20,28.40\n');
    assert.equal(fieldOf(priced, 'order_total'), undefined);
    assert.equal(fieldOf(priced, 'unit_price'), 'unit_price');
    // Two equal sales of a customer's day beside a smaller net figure: no order id, no unit price, two lines.
    const sales = await draftOf('sales-net.csv', 'date,email,amount,net_sales\n2024-05-02,a@example.org,20.00,5.00\n2024-05-02,a@example.org,20.00,5.00\n2024-05-03,b@example.org,9.99,2.00\n');
    assert.equal(fieldOf(sales, 'amount'), 'amount');
    const payments = await draftOf('payments.csv', 'date,email,amount\n2024-05-02,a@example.org,9.99\n2024-05-02,a@example.org,9.99\n2024-05-03,b@example.org,9.99\n');
    assert.equal(fieldOf(payments, 'amount'), 'amount');
  });

  test('judgeAmount: a total on the first line only, a discount, a total below its lines', () => {
    // order id, unit price, quantity, candidate
    const rows = [
      ['O1', '10.00', '2', '25.00'],
      ['O1', '5.00', '1', ''],
      ['O2', '8.00', '1', '8.00'],
    ];
    assert.deepEqual(judgeAmount(rows, 3, [0], { unitPrice: 1, quantity: 2 }, POINT), { kind: 'order-total', order: 'O1', value: 25, lines: 2, sum: 25 });
    // A line amount filled on one line of an order, the other priced: 20 < 25, a line's.
    const line = [
      ['O1', '10.00', '2', '20.00'],
      ['O1', '5.00', '1', ''],
    ];
    assert.deepEqual(judgeAmount(line, 3, [0], { unitPrice: 1, quantity: 2 }, POINT), { kind: 'line' });
    // A discounted order total below its lines, on lines that differ: still the order's.
    const discounted = [
      ['O1', '10.00', '2', '22.00'],
      ['O1', '5.00', '1', '22.00'],
    ];
    assert.equal(judgeAmount(discounted, 3, [0], { unitPrice: 1, quantity: 2 }, POINT).kind, 'order-total');
  });
});
