/**
 * Customers known from facts alone (ingest/identity/placeholders.ts) on a hand-made warehouse: which
 * references get a golden row, its first-seen day, what a second run writes, and that the step's
 * scratch tables are gone afterwards, also when it fails. Real embedded engine; every expected row
 * is written out here from the fixture below, not copied from a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WarehouseIO } from '../../ingest/core/warehouse-io.ts';
import { createPlaceholderCustomers, type FactTime } from '../../ingest/identity/placeholders.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, rows, warehouseWithSchema } from './helpers.ts';

const FACTS: FactTime[] = [
  { table: 'transactions', column: 'order_date', type: 'datetime' },
  { table: 'opportunities', column: 'created_at', type: 'date' },
];

describe('customers from facts alone', () => {
  let tw: TestWarehouse;
  let io: WarehouseIO;
  const insert = (table: string, values: Record<string, unknown>[]): Promise<unknown> =>
    tw.warehouse.client.insert({ table: `crm.${table}`, values, format: 'JSONEachRow' });
  const golden = async (): Promise<Map<string, Record<string, unknown>>> => {
    const list = await rows<Record<string, unknown> & { customer_id: string }>(
      tw.warehouse,
      `SELECT customer_id, customer_type, name, email, phone, company, region, country, city, acquisition_channel, owner_id,
              toString(signup_date) AS signup, source_records, sources, toString(version) AS version
       FROM crm.customers FINAL ORDER BY customer_id`,
    );
    return new Map(list.map((r) => [r.customer_id, r]));
  };
  const leftovers = async (): Promise<number> =>
    Number((await rows<{ n: string }>(tw.warehouse, "SELECT count() AS n FROM system.tables WHERE database = 'crm' AND startsWith(name, 'ingest_placeholders_')"))[0].n);

  before(async () => {
    tw = await warehouseWithSchema();
    io = new WarehouseIO(tw.warehouse.client, 'crm');
    const stub = (source: string, source_id: string, customer_id: string, rule = 'unmatched', version = 1): Record<string, unknown> => ({ source, source_id, customer_id, rule, version });
    await insert('identity_map', [
      stub('shop', 'n1', 'P1'), // new: first seen is its earliest fact over both tables
      stub('shop', 'u1', 'P3'), // placeholder whose first seen moves earlier
      stub('shop', 's1', 'P4'), // placeholder already right
      stub('shop', 'a1', 'P5'), // merged into another customer
      stub('shop', 'm1', 'P6'),
      stub('shop', 'm1', 'R2', 'email', 2), // matched by a later record
      stub('shop', 'r1', 'P7'), // has a real golden row
      stub('shop', 'g1', 'P8'), // no facts
      stub('shop', 'n3', 'P10'), // new, outside the listed refs
      stub('crm', 'n1', 'P9'), // another source
    ]);
    await insert('customer_aliases', [{ from_id: 'P5', to_id: 'R1', rule: 'email', version: 1 }]);
    await insert('customers', [
      { customer_id: 'P3', signup_date: '2024-05-01', source_records: 0, sources: ['shop'], version: 1 },
      { customer_id: 'P4', signup_date: '2024-02-02', source_records: 0, sources: ['shop'], version: 1 },
      { customer_id: 'P7', name: 'Real', signup_date: '2024-06-01', source_records: 1, sources: ['shop'], version: 1 },
    ]);
    const tx = (transaction_id: string, customer_id: string, order_date: string): Record<string, unknown> => ({ source: 'shop', transaction_id, customer_id, order_date, version: 1 });
    await insert('transactions', [
      tx('T1', 'P1', '2024-03-05 12:00:00'),
      tx('T2', 'P1', '2024-03-09 12:00:00'),
      tx('T3', 'P3', '2024-04-01 12:00:00'),
      tx('T4', 'P4', '2024-02-02 12:00:00'),
      tx('T5', 'P5', '2024-01-01 12:00:00'),
      tx('T6', 'P6', '2024-01-01 12:00:00'),
      tx('T7', 'P7', '2024-01-01 12:00:00'),
      tx('T9', 'P9', '2024-01-01 12:00:00'),
      tx('T10', 'P10', '2024-07-07 12:00:00'),
    ]);
    await insert('opportunities', [{ source: 'shop', opportunity_id: 'O1', customer_id: 'P1', created_at: '2024-03-04', version: 1 }]);
  });
  after(() => tw?.close());

  const blank = { customer_type: '', name: '', email: '', phone: '', company: '', region: '', country: '', city: '', acquisition_channel: '', owner_id: '', source_records: 0, sources: ['shop'] };

  it('writes a golden row for new references and moves a placeholder\'s first seen earlier, nothing else', async () => {
    const created = await createPlaceholderCustomers(io, [{ source: 'shop', refs: ['n1', 'u1', 's1', 'a1', 'm1', 'r1', 'g1'] }], FACTS, 100);
    assert.equal(created, 1); // P1; P3 is an update
    const g = await golden();
    assert.deepEqual(g.get('P1'), { customer_id: 'P1', ...blank, signup: '2024-03-04', version: '100' });
    assert.deepEqual(g.get('P3'), { customer_id: 'P3', ...blank, signup: '2024-04-01', version: '100' });
    assert.equal(g.get('P4')?.version, '1');
    assert.equal(g.get('P7')?.name, 'Real');
    assert.equal(g.get('P7')?.version, '1');
    assert.deepEqual([...g.keys()].sort(), ['P1', 'P3', 'P4', 'P7']);
    assert.deepEqual(await counts(tw.warehouse, 'customers'), { raw: 5, final: 4 });
    assert.equal(await leftovers(), 0);
  });

  it('all references of a source: only the one left out before; a third run writes nothing', async () => {
    assert.equal(await createPlaceholderCustomers(io, [{ source: 'shop' }], FACTS, 200), 1);
    const g = await golden();
    assert.deepEqual(g.get('P10'), { customer_id: 'P10', ...blank, signup: '2024-07-07', version: '200' });
    assert.deepEqual([...g.keys()].sort(), ['P1', 'P10', 'P3', 'P4', 'P7']);
    assert.equal(await createPlaceholderCustomers(io, [{ source: 'shop' }], FACTS, 300), 0);
    assert.deepEqual(await counts(tw.warehouse, 'customers'), { raw: 6, final: 5 });
    assert.equal(await leftovers(), 0);
  });

  it('a failing step leaves no scratch tables behind', async () => {
    await assert.rejects(createPlaceholderCustomers(io, [{ source: 'crm' }], [{ table: 'no_such_facts', column: 'd', type: 'date' }], 400));
    assert.equal(await leftovers(), 0);
  });
});
