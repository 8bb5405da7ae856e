import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, fixture, one, rows, warehouseWithSchema } from './helpers.ts';

/** Everything a load leaves behind, excluding what names the load (batch id, version, time). */
async function snapshot(wh: Warehouse): Promise<Record<string, string>> {
  return one(
    wh,
    `SELECT
       (SELECT count() FROM crm.transactions) AS tx_raw,
       (SELECT count() FROM crm.transactions FINAL) AS tx_final,
       (SELECT toString(sum(cityHash64(source, transaction_id, order_id, customer_id, customer_ref, order_date, status, amount,
                original_amount, original_currency, quantity, product_id, product_name, category, channel, row_hash))) FROM crm.transactions) AS tx_sum,
       (SELECT count() FROM crm.identity_map) AS idmap_raw,
       (SELECT toString(sum(cityHash64(source, source_id, customer_id, rule))) FROM crm.identity_map) AS idmap_sum,
       (SELECT count() FROM crm.rejects) AS rejects_raw`,
  );
}

describe('idempotence and updates', () => {
  let tw: TestWarehouse;
  let dir: string;
  before(async () => {
    tw = await warehouseWithSchema();
    dir = mkdtempSync(join(tmpdir(), 'ingest-idem-'));
  });
  after(async () => {
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loading the same file twice changes nothing (counts and a checksum of the contents)', async () => {
    const first = await ingestFile(tw.warehouse, { entity: 'transactions', file: fixture('transactions.csv'), rejectsFile: false });
    assert.equal(first.loaded, 7);
    const after1 = await snapshot(tw.warehouse);
    const second = await ingestFile(tw.warehouse, { entity: 'transactions', file: fixture('transactions.csv'), rejectsFile: false });
    assert.deepEqual([second.read, second.loaded, second.updated, second.duplicates], [7, 0, 0, 7]);
    assert.deepEqual(await snapshot(tw.warehouse), after1);
    assert.equal(after1.tx_raw, '7');
  });

  it('an updated record replaces the old one; a moved one leaves no stale row; an older one does not win', async () => {
    const file = join(dir, 'transactions-update.csv');
    writeFileSync(
      file,
      [
        'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at',
        'shop,T1,O1,C100,2024-01-05 10:00:00,completed,19.99,EUR,1,P1,Notebook,office,web,2024-01-05 10:00:00', // unchanged
        'shop,T2,O1,C100,2024-01-05 10:00:00,completed,6.00,EUR,2,P2,Pen,office,web,2024-05-01 00:00:00', // amount 5 -> 6
        'shop,T6,O5,C103,2024-05-01 09:15:00,completed,1234.56,EUR,1,P6,"Poster\n(large)",decor,store,2024-05-02 00:00:00', // date moves to May
        'shop,T7,O6,C102,2024-04-02 11:00:00+02:00,completed,10,EUR,4,P7,Mug,kitchen,web,2024-05-02 00:00:00', // customer C101 -> C102
        'shop,T5,O4,C100,2024-03-15 08:00:00,completed,45.50,EUR,3,P5,"Lamp, ""deluxe""",furniture,phone,2024-03-01 00:00:00', // older than stored
        'shop,T8,O7,C104,2024-05-03 10:00:00,completed,7.00,EUR,1,P8,Pencil,office,web,2024-05-03 10:00:00', // new
      ].join('\n'),
    );
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual(
      { loaded: s.loaded, updated: s.updated, duplicates: s.duplicates, outdated: s.outdated, staleDeleted: s.staleDeleted },
      { loaded: 1, updated: 3, duplicates: 1, outdated: 1, staleDeleted: 2 },
    );
    // T2's new version shares its sort key with the old one (the engine replaces it at merge/FINAL);
    // T6 and T7 moved, their old rows were deleted: 7 + 4 written - 2 deleted = 9 physical rows.
    assert.deepEqual(await counts(tw.warehouse, 'transactions'), { raw: 9, final: 8 });
    const r = await rows<{ transaction_id: string; amount: number; order_date: string; customer_id: string; status: string }>(
      tw.warehouse,
      "SELECT transaction_id, amount, toString(order_date) AS order_date, customer_id, status FROM crm.transactions FINAL WHERE transaction_id IN ('T2', 'T5', 'T6', 'T7') ORDER BY transaction_id",
    );
    assert.deepEqual(r, [
      { transaction_id: 'T2', amount: 6, order_date: '2024-01-05 10:00:00', customer_id: customerIdFor('shop', 'C100'), status: 'completed' },
      { transaction_id: 'T5', amount: 45.5, order_date: '2024-03-15 08:00:00', customer_id: customerIdFor('shop', 'C100'), status: 'cancelled' },
      { transaction_id: 'T6', amount: 1234.56, order_date: '2024-05-01 09:15:00', customer_id: customerIdFor('shop', 'C103'), status: 'completed' },
      { transaction_id: 'T7', amount: 10, order_date: '2024-04-02 09:00:00', customer_id: customerIdFor('shop', 'C102'), status: 'completed' },
    ]);
    const totals = await one<{ n: string; ids: string; amount: number }>(tw.warehouse, 'SELECT count() AS n, uniqExact(transaction_id) AS ids, sum(amount) AS amount FROM crm.transactions_resolved');
    assert.deepEqual(totals, { n: '8', ids: '8', amount: 1443.05 }); // 1435.05 + 1 (T2) + 7 (T8)
    // And the update file is idempotent too.
    const snap = await snapshot(tw.warehouse);
    const again = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.deepEqual([again.loaded, again.updated, again.staleDeleted], [0, 0, 0]);
    assert.deepEqual(await snapshot(tw.warehouse), snap);
  });
  it('a charge exported refunded in part, then in full: net revenue loses the charge once, not the part twice', async () => {
    const mapping = join(dir, 'refunds.mapping.json');
    writeFileSync(mapping, JSON.stringify({ source: 'pay', columns: { refunded: 'refunded_amount' }, currency: { default: 'EUR' } }));
    const header = 'transaction_id,customer_ref,order_date,status,amount,refunded';
    const partFile = join(dir, 'charges-1.csv');
    const fullFile = join(dir, 'charges-2.csv');
    writeFileSync(partFile, `${header}\nR1,K1,2024-06-01,completed,100.00,30.00\nR2,K1,2024-06-02,completed,50.00,0.00\n`);
    writeFileSync(fullFile, `${header}\nR1,K1,2024-06-01,completed,100.00,100.00\nR2,K1,2024-06-02,completed,50.00,0.00\n`);
    // Net = completed lines less credit lines (semantic/model order_lines.line_net_revenue), over R1 and R2 only.
    const net = async () =>
      Number(
        (
          await one<{ net: number }>(
            tw.warehouse,
            "SELECT sumIf(amount, status = 'completed') - sumIf(amount, status = 'credit') AS net FROM crm.transactions FINAL WHERE source = 'pay' AND startsWith(transaction_id, 'R')",
          )
        ).net,
      );
    for (const [file, want] of [
      [partFile, 120], // 100 + 50 - 30
      [fullFile, 50], // R1 refunded in full: only R2 remains; the earlier 30 credit is gone
      [fullFile, 50], // again: nothing changes
    ] as const) {
      const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping, rejectsFile: false });
      assert.equal(s.status, 'completed', s.error);
      assert.equal(await net(), want, file);
    }
  });
});
