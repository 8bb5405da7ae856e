/**
 * reference_id (PayPal's Reference Txn ID) acts the same however it arrives: renamed by a mapping
 * (exports-refunds-sweep.test.ts), or named so by the input itself — a CSV column `reference_id`
 * or `Reference ID`, an NDJSON key, an HTTP record's key. Before, only a rename was followed: a
 * refund listed by the merchant's address stayed the merchant's, a customer of the shop's own
 * mailbox, and the buyer's net revenue never fell. Each input below has a sale and, listed before
 * it, a refund row sent from the merchant that names the sale; the expected rows are written out
 * here, not computed by the code under test. Real embedded engine, real ingest job.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ingestFile, ingestRecords } from '../../ingest/load/job.ts';
import type { Mapping } from '../../ingest/mapping/mapping-file.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const MERCHANT = 'shop@merchant.example';
const dir = mkdtempSync(join(tmpdir(), 'reference-id-'));
let tw: TestWarehouse;

const mappingFor = (source: string): Mapping => ({ source, credits: { sign: true }, currency: { default: 'EUR', base: 'EUR' } });

/** The stored lines of a source (newest versions), as [id, customer_ref, order_id, status, amount]. */
async function linesOf(source: string): Promise<string[][]> {
  const rs = await tw.warehouse.client.query({
    query: `SELECT transaction_id, customer_ref, order_id, status, toString(amount) AS amount
      FROM ${tw.warehouse.database}.transactions FINAL WHERE source = {source:String} ORDER BY transaction_id`,
    query_params: { source },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ transaction_id: string; customer_ref: string; order_id: string; status: string; amount: string }>();
  return rows.map((r) => [r.transaction_id, r.customer_ref, r.order_id, r.status, r.amount]);
}

/** Customer records a source has for the merchant's own address (a refund kept as the merchant's creates one). */
async function merchantCustomers(source: string): Promise<number> {
  const rs = await tw.warehouse.client.query({
    query: `SELECT count() AS n FROM ${tw.warehouse.database}.transactions FINAL WHERE source = {source:String} AND customer_ref = {m:String}`,
    query_params: { source, m: MERCHANT },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0].n);
}

/** The refund (R1, 20.00 of S1's 50.00) is the buyer's credit in S1's order; S2 is another sale, untouched. */
const EXPECTED = [
  ['R1', 'buyer@example.com', 'O-1', 'credit', '20'],
  ['S1', 'buyer@example.com', 'O-1', 'completed', '50'],
  ['S2', 'other@example.com', 'O-2', 'completed', '30'],
];

async function loadCsv(source: string, header: string): Promise<void> {
  const file = join(dir, `${source}.csv`);
  writeFileSync(
    file,
    [
      `transaction_id,order_id,customer_ref,order_date,status,amount,${header}`,
      `R1,R-1,${MERCHANT},2024-01-20 10:00:00,completed,-20.00,S1`,
      'S1,O-1,buyer@example.com,2024-01-05 09:00:00,completed,50.00,',
      'S2,O-2,other@example.com,2024-01-06 09:00:00,completed,30.00,',
    ].join('\n') + '\n',
  );
  const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping: mappingFor(source), rejectsFile: false });
  assert.equal(summary.status, 'completed', summary.error);
  assert.deepEqual(summary.rejects, []);
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
});
after(async () => {
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reference_id named by the input itself', () => {
  test('a CSV column literally named reference_id: the refund is the buyer\'s credit in the sale\'s order', async () => {
    await loadCsv('csv-literal', 'reference_id');
    assert.deepEqual(await linesOf('csv-literal'), EXPECTED);
    assert.equal(await merchantCustomers('csv-literal'), 0);
  });

  test('a header spelled "Reference ID" matches the field like any other header', async () => {
    await loadCsv('csv-spaced', 'Reference ID');
    assert.deepEqual(await linesOf('csv-spaced'), EXPECTED);
  });

  test('an NDJSON key reference_id', async () => {
    const file = join(dir, 'refunds.ndjson');
    writeFileSync(
      file,
      [
        { transaction_id: 'R1', order_id: 'R-1', customer_ref: MERCHANT, order_date: '2024-01-20 10:00:00', status: 'completed', amount: -20, reference_id: 'S1' },
        { transaction_id: 'S1', order_id: 'O-1', customer_ref: 'buyer@example.com', order_date: '2024-01-05 09:00:00', status: 'completed', amount: 50 },
        { transaction_id: 'S2', order_id: 'O-2', customer_ref: 'other@example.com', order_date: '2024-01-06 09:00:00', status: 'completed', amount: 30 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping: mappingFor('ndjson'), rejectsFile: false });
    assert.equal(summary.status, 'completed', summary.error);
    assert.deepEqual(await linesOf('ndjson'), EXPECTED);
    assert.equal(await merchantCustomers('ndjson'), 0);
  });

  test('an NDJSON key spelled with a JSON escape (\\u0072eference_id) is still reference_id', async () => {
    const file = join(dir, 'escaped.ndjson');
    const rows = [
      `{"transaction_id":"R1","order_id":"R-1","customer_ref":"${MERCHANT}","order_date":"2024-01-20 10:00:00","status":"completed","amount":-20,"\\u0072eference_id":"S1"}`,
      '{"transaction_id":"S1","order_id":"O-1","customer_ref":"buyer@example.com","order_date":"2024-01-05 09:00:00","status":"completed","amount":50}',
      '{"transaction_id":"S2","order_id":"O-2","customer_ref":"other@example.com","order_date":"2024-01-06 09:00:00","status":"completed","amount":30}',
    ];
    assert.equal((JSON.parse(rows[0]) as Record<string, string>).reference_id, 'S1');
    writeFileSync(file, rows.join('\n') + '\n');
    const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping: mappingFor('ndjson-escaped'), rejectsFile: false });
    assert.equal(summary.status, 'completed', summary.error);
    assert.deepEqual(await linesOf('ndjson-escaped'), EXPECTED);
  });

  test('HTTP records: a refund in a later batch finds the sale loaded before; one naming a sale never loaded is a reject naming reference_id', async () => {
    const sales = await ingestRecords(
      tw.warehouse,
      'transactions',
      [
        { transaction_id: 'S1', order_id: 'O-1', customer_ref: 'buyer@example.com', order_date: '2024-01-05 09:00:00', status: 'completed', amount: '50.00' },
        { transaction_id: 'S2', order_id: 'O-2', customer_ref: 'other@example.com', order_date: '2024-01-06 09:00:00', status: 'completed', amount: '30.00' },
      ],
      { batchLabel: 'http:sales', mapping: mappingFor('http') },
    );
    assert.equal(sales.status, 'completed', sales.error);
    const refunds = await ingestRecords(
      tw.warehouse,
      'transactions',
      [
        { transaction_id: 'R1', order_id: 'R-1', customer_ref: MERCHANT, order_date: '2024-01-20 10:00:00', status: 'completed', amount: '-20.00', reference_id: 'S1' },
        { transaction_id: 'R9', order_id: 'R-9', customer_ref: MERCHANT, order_date: '2024-01-21 10:00:00', status: 'completed', amount: '-5.00', reference_id: 'NEVER-LOADED' },
      ],
      { batchLabel: 'http:refunds', mapping: mappingFor('http') },
    );
    assert.equal(refunds.status, 'completed', refunds.error);
    assert.deepEqual(
      refunds.rejects.map((r) => [r.line, r.field]),
      [[2, 'reference_id']],
    );
    assert.deepEqual(await linesOf('http'), EXPECTED);
    assert.equal(await merchantCustomers('http'), 0);
  });
});
