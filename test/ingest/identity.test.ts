import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ingestFile, ingestRecords, sourceRecordsOf } from '../../ingest/index.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, fixture, one, otherDatabase, rows, warehouseWithSchema } from './helpers.ts';

// Worked out by hand from the fixtures:
//   shop 1001 Anna: founds X. shop 1005 "Anna S." shares Anna's phone (+49 (30) 123-4567) → X.
//   support S-1: Anna's e-mail in other case and spaces (and 030/1234567) → X by e-mail.
//   support S-2: external id shop:1002 → Y (Ben). S-4: 0171… = +49 171… → W (Dora).
//   support S-3 Eva: new customer V.
//   crm A-7: Carla's e-mail (shop 1003, Z) and Eva's phone (040 5550003 = +49 40 5550003, V):
//   it bridges Z and V; Z is older (shop loaded first), so V becomes an alias of Z.
//   crm A-8: a new business N.
const X = customerIdFor('shop', '1001');
const Y = customerIdFor('shop', '1002');
const Z = customerIdFor('shop', '1003');
const W = customerIdFor('shop', '1004');
const V = customerIdFor('support', 'S-3');
const N = customerIdFor('crm', 'A-8');

function csvRecords(name: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(fixture(name), 'utf8').trim().split('\n');
  const cols = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

describe('identity resolution', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await warehouseWithSchema();
    // A fact for shop 1003 arrives before any customer file: it gets a placeholder under Z's id.
    const fact = await ingestRecords(
      tw.warehouse,
      'transactions',
      [{ source: 'shop', transaction_id: 'F1', customer_ref: '1003', order_date: '2024-01-02', status: 'completed', amount: 10 }],
      { batchLabel: 'test:f1' },
    );
    assert.equal(fact.unknownCustomers, 1);
    for (const [file, expected] of [
      ['customers-shop.csv', { newCustomers: 4, matchedRecords: 1, merges: 0 }],
      ['customers-support.ndjson', { newCustomers: 1, matchedRecords: 3, merges: 0 }],
    ] as const) {
      const s = await ingestFile(tw.warehouse, { entity: 'customers', file: fixture(file), rejectsFile: false });
      assert.equal(s.status, 'completed', s.error);
      assert.deepEqual(s.identity, expected, file);
    }
    const fact2 = await ingestRecords(
      tw.warehouse,
      'transactions',
      [{ source: 'support', transaction_id: 'F2', customer_ref: 'S-3', order_date: '2024-02-02', status: 'completed', amount: 20 }],
      { batchLabel: 'test:f2' },
    );
    assert.equal(fact2.unknownCustomers, 0);
    const crm = await ingestFile(tw.warehouse, { entity: 'customers', file: fixture('customers-crm.csv'), rejectsFile: false });
    assert.equal(crm.status, 'completed', crm.error);
    assert.deepEqual(crm.identity, { newCustomers: 1, matchedRecords: 1, merges: 1 });
  });
  after(() => tw.close());

  it('maps every record to its customer with the rule, value and record that joined it', async () => {
    const r = await rows<{ source: string; source_id: string; customer_id: string; rule: string; matched_on: string; matched_record: string }>(
      tw.warehouse,
      'SELECT source, source_id, customer_id, rule, matched_on, matched_record FROM crm.identity_map FINAL ORDER BY source, source_id',
    );
    assert.deepEqual(r, [
      { source: 'crm', source_id: 'A-7', customer_id: Z, rule: 'email', matched_on: 'carla@example.it', matched_record: 'shop:1003' },
      { source: 'crm', source_id: 'A-8', customer_id: N, rule: 'new', matched_on: '', matched_record: '' },
      { source: 'shop', source_id: '1001', customer_id: X, rule: 'new', matched_on: '', matched_record: '' },
      { source: 'shop', source_id: '1002', customer_id: Y, rule: 'new', matched_on: '', matched_record: '' },
      { source: 'shop', source_id: '1003', customer_id: Z, rule: 'new', matched_on: '', matched_record: '' },
      { source: 'shop', source_id: '1004', customer_id: W, rule: 'new', matched_on: '', matched_record: '' },
      { source: 'shop', source_id: '1005', customer_id: X, rule: 'phone', matched_on: '+49301234567', matched_record: 'shop:1001' },
      { source: 'support', source_id: 'S-1', customer_id: X, rule: 'email', matched_on: 'anna.schmidt@example.com', matched_record: 'shop:1001' },
      { source: 'support', source_id: 'S-2', customer_id: Y, rule: 'external_id', matched_on: 'shop:1002', matched_record: 'shop:1002' },
      { source: 'support', source_id: 'S-3', customer_id: V, rule: 'new', matched_on: '', matched_record: '' },
      { source: 'support', source_id: 'S-4', customer_id: W, rule: 'phone', matched_on: '+491715550001', matched_record: 'shop:1004' },
    ]);
  });

  it('the bridging record merged the younger customer into the older one', async () => {
    const a = await rows(tw.warehouse, 'SELECT from_id, to_id, rule FROM crm.customer_aliases FINAL');
    assert.deepEqual(a, [{ from_id: V, to_id: Z, rule: 'phone' }]);
  });

  it('builds one golden record per customer by the survivorship rule', async () => {
    const g = await rows<Record<string, unknown>>(
      tw.warehouse,
      'SELECT customer_id, name, email, phone, company, city, region, owner_id, toString(signup_date) AS signup, source_records, sources FROM crm.customers FINAL ORDER BY customer_id',
    );
    assert.deepEqual(g.map((x) => x.customer_id).sort(), [X, Y, Z, W, N].sort());
    const by = new Map(g.map((x) => [x.customer_id, x]));
    assert.deepEqual(by.get(X), {
      customer_id: X, name: 'anna schmidt', email: 'anna.schmidt@example.com', phone: '+49301234567', company: '', city: 'Berlin',
      region: 'north', owner_id: 'OWN-1', signup: '2023-01-10', source_records: 3, sources: ['shop', 'support'],
    });
    assert.deepEqual(by.get(Z), {
      customer_id: Z, name: 'Carla Rossi', email: 'carla@example.it', phone: '+49405550003', company: 'Rossi SRL', city: 'Rome',
      region: '', owner_id: 'OWN-1', signup: '2022-12-24', source_records: 3, sources: ['crm', 'shop', 'support'],
    });
    assert.equal((by.get(N) as { source_records: number }).source_records, 1);
  });

  it('facts keep their id; the resolved view maps merged customers', async () => {
    const f = await rows(tw.warehouse, 'SELECT transaction_id, customer_id FROM crm.transactions FINAL ORDER BY transaction_id');
    assert.deepEqual(f, [
      { transaction_id: 'F1', customer_id: Z }, // the placeholder id became the real customer's id
      { transaction_id: 'F2', customer_id: V },
    ]);
    const v = await rows(tw.warehouse, 'SELECT transaction_id, customer_id FROM crm.transactions_resolved ORDER BY transaction_id');
    assert.deepEqual(v, [
      { transaction_id: 'F1', customer_id: Z },
      { transaction_id: 'F2', customer_id: Z },
    ]);
  });

  it('sourceRecordsOf lists every record of a customer, following merges', async () => {
    for (const asked of [Z, V]) {
      const recs = await sourceRecordsOf(tw.warehouse.client, asked);
      assert.deepEqual(
        recs.map((r) => `${r.source}:${r.sourceId}:${r.rule}`),
        ['crm:A-7:email', 'shop:1003:new', 'support:S-3:new'],
      );
      assert.equal(recs.find((r) => r.sourceId === 'A-7')?.record?.company, 'Rossi SRL');
    }
    const x = await sourceRecordsOf(tw.warehouse.client, X, { database: 'crm' });
    assert.deepEqual(x.map((r) => `${r.source}:${r.sourceId}`), ['shop:1001', 'shop:1005', 'support:S-1']);
  });

  it('loading a customer file again writes nothing', async () => {
    const before = { m: await counts(tw.warehouse, 'identity_map'), c: await counts(tw.warehouse, 'customers'), r: await counts(tw.warehouse, 'customer_records'), a: await counts(tw.warehouse, 'customer_aliases') };
    for (const file of ['customers-shop.csv', 'customers-support.ndjson', 'customers-crm.csv']) {
      const s = await ingestFile(tw.warehouse, { entity: 'customers', file: fixture(file), rejectsFile: false });
      assert.equal(s.loaded + s.updated, 0, file);
      assert.deepEqual(s.identity, { newCustomers: 0, matchedRecords: 0, merges: 0 });
    }
    assert.deepEqual(
      { m: await counts(tw.warehouse, 'identity_map'), c: await counts(tw.warehouse, 'customers'), r: await counts(tw.warehouse, 'customer_records'), a: await counts(tw.warehouse, 'customer_aliases') },
      before,
    );
  });

  it('ids do not depend on the order of rows in a file', async () => {
    const shuffled = await otherDatabase(tw, 'shuffled');
    const recs = csvRecords('customers-shop.csv');
    const reversed = [...recs].reverse();
    const mixed = [recs[2], recs[4], recs[0], recs[3], recs[1]];
    const results: string[] = [];
    for (const [i, order] of [reversed, mixed].entries()) {
      const db = i === 0 ? shuffled : await otherDatabase(tw, 'mixed');
      const s = await ingestRecords(db, 'customers', order, { batchLabel: `shuffle-${i}` });
      assert.equal(s.status, 'completed', s.error);
      const m = await rows<{ k: string }>(db, `SELECT concat(source_id, '>', customer_id, '>', rule, '>', matched_record) AS k FROM ${db.database}.identity_map FINAL ORDER BY source_id`);
      results.push(m.map((x) => x.k).join(' '));
    }
    const original = await rows<{ k: string }>(tw.warehouse, "SELECT concat(source_id, '>', customer_id, '>', rule, '>', matched_record) AS k FROM crm.identity_map FINAL WHERE source = 'shop' ORDER BY source_id");
    assert.equal(results[0], original.map((x) => x.k).join(' '));
    assert.equal(results[1], results[0]);
    const c = await one<{ n: string }>(shuffled, 'SELECT count() AS n FROM shuffled.customers FINAL');
    assert.equal(c.n, '4'); // X (1001 + 1005), Y, Z, W
  });
});
