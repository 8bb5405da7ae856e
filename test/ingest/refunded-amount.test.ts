/**
 * refunded_amount (Stripe's amount_refunded, any export's per-line refund): refunded in full, the
 * line loads as refunded whatever its status said; refunded in part, it stays a sale and the
 * refunded part loads as a credit line of its own (<id>:refund), written with 0 when refunded in
 * full (so a later full refund replaces an earlier partial one's credit); more than the line's amount, or
 * not a number, is a reject naming the record and the field. Expected rows are written out here
 * from the inline file, not computed by the code under test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import type { Mapping } from '../../ingest/mapping/mapping-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'refunded-amount-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string, csv: string, mapping: Mapping) {
  const file = join(dir, name);
  writeFileSync(file, csv);
  const r = await dryRun(file, 'transactions', mapping, { previewRows: 50 });
  assert.equal(r.error, undefined);
  return r;
}

const MAPPING: Mapping = { source: 'pay', columns: { refunded: 'refunded_amount' }, currency: { default: 'EUR' } };

describe('refunded_amount', () => {
  it('full → refunded, part → sale + credit of the part, none → as written; failed lines keep their status', async () => {
    const r = await run(
      'charges.csv',
      [
        'transaction_id,customer_ref,order_date,status,amount,refunded',
        'A,C1,2024-01-01,completed,49.00,0.00',
        'B,C1,2024-01-02,completed,49.00,49.00',
        'C,C2,2024-01-03,completed,120.00,20.50',
        'D,C2,2024-01-04,cancelled,30.00,30.00',
        'E,C3,2024-01-05,refunded,80.00,80.00',
        'F,C3,2024-01-06,refunded,80.00,10.00',
        'G,C3,2024-01-07,completed,15.00,',
      ].join('\n') + '\n',
      MAPPING,
    );
    assert.deepEqual(r.rejects, []);
    assert.deepEqual(
      r.preview.map((p) => [p.transaction_id, p.status, p.amount, p.quantity]),
      [
        ['A', 'completed', '49.00', '1'],
        ['B', 'refunded', '49.00', '1'],
        // Refunded in full, the credit line is written with 0: it replaces an earlier partial refund's.
        ['B:refund', 'credit', '0.00', '0'],
        ['C', 'completed', '120.00', '1'],
        ['C:refund', 'credit', '20.50', '0'],
        ['D', 'cancelled', '30.00', '1'],
        ['E', 'refunded', '80.00', '1'],
        ['E:refund', 'credit', '0.00', '0'],
        // A status that says refunded while only part was: the amount refunded decides.
        ['F', 'completed', '80.00', '1'],
        ['F:refund', 'credit', '10.00', '0'],
        ['G', 'completed', '15.00', '1'],
      ],
    );
    // The credit line belongs to the sale's order and customer.
    const [sale, credit] = r.preview.filter((p) => p.transaction_id.startsWith('C'));
    assert.deepEqual([credit.order_id, credit.customer_ref, credit.order_date], [sale.order_id, sale.customer_ref, sale.order_date]);
  });

  it('a line priced per unit is compared with unit price × quantity', async () => {
    const r = await run('lines.csv', 'order_id,customer_ref,order_date,status,unit_price,quantity,refunded\nO1,C1,2024-02-01,completed,2.50,4,2.50\nO2,C1,2024-02-02,completed,2.50,4,10.00\n', MAPPING);
    assert.deepEqual(r.rejects, []);
    assert.deepEqual(
      r.preview.map((p) => [p.order_id, p.status, p.amount, p.quantity]),
      [
        ['O1', 'completed', '10.00', '4'],
        ['O1', 'credit', '2.50', '0'],
        ['O2', 'refunded', '10.00', '4'],
        ['O2', 'credit', '0.00', '0'],
      ],
    );
  });

  it('more than the amount, negative or not a number: a reject naming the line, record and field; the good rows load', async () => {
    const r = await run(
      'bad.csv',
      'transaction_id,customer_ref,order_date,status,amount,refunded\nA,C1,2024-01-01,completed,49.00,60.00\nB,C1,2024-01-02,completed,49.00,-5\nC,C1,2024-01-03,completed,49.00,n/a\nD,C1,2024-01-04,completed,49.00,9.00\n',
      MAPPING,
    );
    assert.deepEqual(
      r.rejects.map((x) => [x.line, x.recordId, x.field]),
      [
        [2, 'A', 'refunded_amount'],
        [3, 'B', 'refunded_amount'],
        [4, 'C', 'refunded_amount'],
      ],
    );
    assert.match(r.rejects[0].reason, /line 2, field refunded_amount: "60\.00" is more than the line's amount \("49\.00"\)/);
    assert.match(r.rejects[1].reason, /"-5" is negative/);
    assert.match(r.rejects[2].reason, /"n\/a" is not a number/);
    assert.deepEqual(
      r.preview.map((p) => [p.transaction_id, p.status, p.amount]),
      [
        ['D', 'completed', '49.00'],
        ['D:refund', 'credit', '9.00'],
      ],
    );
  });
});
