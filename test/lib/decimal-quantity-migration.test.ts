/**
 * Migration 024 (quantities become Decimal(18, 8)) on a warehouse the code before it wrote.
 *
 * test/fixtures/migrations/pre-024-warehouse.json is what the ingest of commit 85ac083 (the last
 * before 024: UInt32 quantities, the whole-number encoder) stored when it loaded
 * test/fixtures/migrations/quantities-whole.csv — the tables as `SELECT *` dumped them, row_hash
 * included, its ingest_batches left out so that a re-load compares row hashes only (with them, an
 * earlier load of the same file defers a differing row instead of counting it). The file spells
 * whole quantities every way the old encoder accepted: `3`, `03`, `2.0`, `+2`, empty (default 1),
 * `0`, 4294967295 (the UInt32 maximum) and a unit price × 1000.
 *
 * The dump is restored into a warehouse migrated to 023, then 024 runs: every row must read as it
 * did (values, versions, row hashes), the copy and the views must carry decimals, and loading the
 * same file with today's encoder must find every row unchanged (0 updated), which holds only if
 * whole quantities hash as they did.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile } from '../../ingest/load/job.ts';
import { migrations } from '../../lib/warehouse/migrations/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { decimalQuantityStatements } from '../../lib/warehouse/migrations/024-decimal-quantity.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const FIXTURES = new URL('../fixtures/migrations/', import.meta.url);
const CSV = new URL('quantities-whole.csv', FIXTURES).pathname;
const dump = JSON.parse(readFileSync(new URL('pre-024-warehouse.json', FIXTURES), 'utf8')) as Record<string, Record<string, unknown>[]>;
const dir = mkdtempSync(join(tmpdir(), 'qty-migration-'));
let tw: TestWarehouse;

async function rows<T>(query: string): Promise<T[]> {
  const rs = await tw.warehouse.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
  return rs.json<T>();
}

/** Every stored line with every column as text, quantity included: what "unchanged" means. */
const lines = (table = 'transactions'): Promise<Record<string, string>[]> =>
  rows(`SELECT * REPLACE (toString(quantity) AS quantity) FROM ${tw.warehouse.database}.${table} ORDER BY transaction_id, version`);

before(async () => {
  tw = await startTestWarehouse();
  const { client, database } = tw.warehouse;
  await applyMigrations(client, { database }, migrations.filter((m) => m.version < 24));
  for (const [table, values] of Object.entries(dump)) {
    if (table === 'ingest_batches') continue;
    await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  }
});

after(async () => {
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the upgrade keeps every row as the old code stored it; the copy and the views carry decimals', async () => {
  const db = tw.warehouse.database;
  const before = await lines();
  assert.equal(before.length, dump.transactions.length);
  // As the old code stored them (the file's own reading: 03 → 3, 2.0 → 2, +2 → 2, empty → 1).
  assert.deepEqual(
    before.map((r) => [r.transaction_id, r.quantity]),
    [['L1', '3'], ['L10', '12'], ['L2', '3'], ['L3', '2'], ['L4', '2'], ['L5', '1'], ['L6', '0'], ['L7', '1000'], ['L8', '7'], ['L9', '4294967295']],
  );
  const copyBefore = await lines('transactions_by_customer');

  // 024 alone: later migrations have their own tests.
  const { applied } = await applyMigrations(tw.warehouse.client, { database: db }, migrations.filter((m) => m.version <= 24));
  assert.deepEqual(applied.map((m) => m.version), [24]);

  const types = await rows<{ table: string; type: string }>(
    `SELECT table, type FROM system.columns WHERE database = '${db}' AND name = 'quantity' ORDER BY table`,
  );
  assert.deepEqual(types, [
    { table: 'paid_orders', type: 'Decimal(38, 8)' },
    { table: 'paid_orders_current', type: 'Decimal(38, 8)' },
    { table: 'transactions', type: 'Decimal(18, 8)' },
    { table: 'transactions_by_customer', type: 'Decimal(18, 8)' },
    { table: 'transactions_by_customer_mv', type: 'Decimal(18, 8)' },
    { table: 'transactions_resolved', type: 'Decimal(18, 8)' },
  ]);
  // Same rows, same text in every column: keys, versions, row hashes, amounts and quantities.
  assert.deepEqual(await lines(), before);
  assert.deepEqual(await lines('transactions_by_customer'), copyBefore);

  // Idempotent: the statements again change nothing.
  for (const statement of decimalQuantityStatements({ database: db })) await tw.warehouse.client.command({ query: statement });
  assert.deepEqual(await lines(), before);
});

test('a re-load of the file with the decimal encoder finds every row unchanged; a changed quantity is one update', async () => {
  const file = join(dir, 'quantities-whole.csv');
  copyFileSync(CSV, file);
  const again = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
  assert.equal(again.status, 'completed', again.error);
  assert.deepEqual([again.read, again.loaded, again.updated, again.duplicates, again.rejected], [10, 0, 0, 10, 0]);

  // The check can fail: the same file with one line's 3 hours made 3.5 is one updated row, stored as 3.5.
  writeFileSync(file, readFileSync(CSV, 'utf8').replace('shop,L1,O1,alice,2024-01-03 10:00:00,completed,30.00,,EUR,3,P1', 'shop,L1,O1,alice,2024-01-03 10:00:00,completed,30.00,,EUR,3.5,P1'));
  const changed = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
  assert.deepEqual([changed.loaded, changed.updated, changed.duplicates], [0, 1, 9], JSON.stringify(changed));
  const db = tw.warehouse.database;
  const [stored] = await rows<{ q: string; c: string; r: string }>(
    `SELECT (SELECT toString(quantity) FROM ${db}.transactions FINAL WHERE transaction_id = 'L1') AS q,
            (SELECT toString(quantity) FROM ${db}.transactions_by_customer FINAL WHERE transaction_id = 'L1') AS c,
            (SELECT toString(quantity) FROM ${db}.transactions_resolved WHERE transaction_id = 'L1') AS r`,
  );
  assert.deepEqual(stored, { q: '3.5', c: '3.5', r: '3.5' });
});
