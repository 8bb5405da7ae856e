/**
 * transactions_by_customer (migration 018): the customer-ordered copy of the order lines that an
 * incremental refresh reads. On a warehouse that already has lines the migration copies every month
 * once, says its progress, resumes a fill that was cut off, and until the fill is complete the
 * refresh rebuilds in full; afterwards the view keeps the copy equal to transactions (newest
 * versions) and it gets transactions' retention TTL. Real embedded engine, real migrations.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../lib/config/schema.ts';
import { migrations } from '../../lib/warehouse/migrations/index.ts';
import { reconcileTransactionsByCustomer } from '../../lib/warehouse/migrations/018-transactions-by-customer.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

let tw: TestWarehouse;
before(async () => {
  tw = await startTestWarehouse();
});
after(() => tw?.close());

const q = async <T>(query: string): Promise<T[]> => (await tw.warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>();
const run = (query: string) => tw.warehouse.client.command({ query });

const LINE_COLUMNS = 'source, transaction_id, order_id, customer_id, order_date, status, toString(amount) AS amount, quantity, channel, version';
/** Every line's newest version, in both tables. */
const newest = (table: string) => q<Record<string, unknown>>(`SELECT ${LINE_COLUMNS} FROM ${table} FINAL ORDER BY source, transaction_id, customer_id, order_date`);

/** 90 lines of 30 customers over three months (Jan–Mar 2024), version 1. */
const insertLines = (version: number, status: string, where = '1') =>
  run(`INSERT INTO transactions (source, transaction_id, order_id, customer_id, customer_ref, order_date, status, amount, original_amount,
         original_currency, quantity, product_id, product_name, category, channel, batch_id, row_hash, version)
       SELECT 'shop', concat('T', toString(number)), concat('O', toString(intDiv(number, 2))), concat('C', toString(number % 30)), '',
         toDateTime('2024-01-05 10:00:00') + toIntervalDay(number % 3 * 31), '${status}', toDecimal64(10 + number, 2), toDecimal64(10 + number, 2),
         'EUR', 1, 'P', '', 'misc', 'web', 'test', 0, ${version}
       FROM numbers(90) WHERE ${where}`);

test('on a warehouse with lines, migration 018 copies each month once, newest versions only, and says so', async () => {
  const database = tw.config.database;
  await applyMigrations(tw.warehouse.client, { database }, migrations.filter((m) => m.version < 18));
  await insertLines(1, 'completed');
  // Refunds of a third of the lines: newer versions, in the same months (both versions kept: no merge yet).
  await run('SYSTEM STOP MERGES transactions');
  await insertLines(2, 'refunded', 'number % 3 = 0');
  const logged: string[] = [];
  // Up to 018 only while merges are stopped: a later migration that changes a column's type (024)
  // waits for its mutation, which stopped merges hold back.
  await applyMigrations(tw.warehouse.client, { database }, migrations.filter((m) => m.version <= 18), (l) => logged.push(l));
  await run('SYSTEM START MERGES transactions');
  await applyMigrations(tw.warehouse.client, { database }, migrations, (l) => logged.push(l));

  const copied = logged.filter((l) => l.startsWith('transactions_by_customer: month'));
  assert.equal(copied.length, 3, logged.join('\n'));
  assert.ok(logged.some((l) => /^transactions_by_customer: merged into one part/.test(l)), logged.join('\n'));
  assert.match(copied[2]!, /month 202403 copied \(\d+ ms\), 3 of 3/);
  assert.deepEqual(await newest('transactions_by_customer'), await newest('transactions'));
  // Only the newest version of each line was copied: 90 rows, 30 of them refunded.
  const [stored] = await q<{ n: string; refunded: string }>(`SELECT toString(count()) AS n, toString(countIf(status = 'refunded')) AS refunded FROM transactions_by_customer`);
  assert.deepEqual(stored, { n: '90', refunded: '30' });
  const backfill = await q<{ partition_id: string; done: number }>('SELECT partition_id, done FROM transactions_by_customer_backfill FINAL ORDER BY partition_id');
  assert.deepEqual(backfill.map((r) => [r.partition_id, r.done]), [['202401', 1], ['202402', 1], ['202403', 1]]);

  // A second migrate copies nothing.
  const again: string[] = [];
  await applyMigrations(tw.warehouse.client, { database }, migrations, (l) => again.push(l));
  assert.deepEqual(again.filter((l) => l.startsWith('transactions_by_customer')), []);
});

test('lines written after the migration reach the copy through the view; a fill cut off resumes, and the refresh waits for it', async () => {
  const database = tw.config.database;
  // New lines in a new month and new versions of old ones, written the way a load writes them.
  await run(`INSERT INTO transactions (source, transaction_id, order_id, customer_id, customer_ref, order_date, status, amount, original_amount,
      original_currency, quantity, product_id, product_name, category, channel, batch_id, row_hash, version)
    VALUES ('shop', 'T1', 'O0', 'C1', '', '2024-02-05 10:00:00', 'refunded', 11, 11, 'EUR', 1, 'P', '', 'misc', 'web', 'test', 0, 3),
           ('shop', 'N1', 'ON1', 'C7', '', '2024-04-02 09:00:00', 'completed', 99, 99, 'EUR', 2, 'P', '', 'misc', 'store', 'test', 0, 1)`);
  assert.deepEqual(await newest('transactions_by_customer'), await newest('transactions'));

  const full = await refreshDerived(tw.warehouse.client, database, { mode: 'full', configuredAsOf: '2024-06-30' });
  assert.equal(full.rows.paid_orders, 46);
  // A fill cut off after its list of months was written: February is still to copy (its rows are there
  // already; copying them again must change nothing that FINAL shows).
  await run(`INSERT INTO transactions_by_customer_backfill (partition_id, done) VALUES ('202402', 0)`);
  const waiting = await refreshDerived(tw.warehouse.client, database, { mode: 'incremental', configuredAsOf: '2024-06-30' });
  assert.deepEqual([waiting.kind, waiting.why], ['full', 'transactions_by_customer is still being filled (1 months to copy, migration 018)']);

  const logged: string[] = [];
  await applyMigrations(tw.warehouse.client, { database }, migrations, (l) => logged.push(l));
  assert.deepEqual(logged.filter((l) => l.startsWith('transactions_by_customer')).map((l) => l.replace(/\d+ ms/, 'n ms')), [
    'transactions_by_customer: month 202402 copied (n ms), 1 of 1',
    'transactions_by_customer: merged into one part (n ms)',
  ]);
  assert.deepEqual(await newest('transactions_by_customer'), await newest('transactions'));
  const resumed = await refreshDerived(tw.warehouse.client, database, { mode: 'incremental', configuredAsOf: '2024-06-30' });
  assert.equal(resumed.kind, 'incremental', resumed.why);
});

test("the copy gets transactions' retention TTL, and loses it with it", async () => {
  const ctx = { database: tw.config.database };
  const ttlDays = async () =>
    (await q<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = '${ctx.database}' AND name = 'transactions_by_customer'`))[0]!.engine_full;
  await reconcileTransactionsByCustomer(tw.warehouse.client, ctx, () => {}, { ...loadConfig(), CRM_RETENTION_TRANSACTIONS_DAYS: 400 });
  assert.match(await ttlDays(), /TTL order_date \+ toIntervalDay\(400\)/);
  await reconcileTransactionsByCustomer(tw.warehouse.client, ctx, () => {}, { ...loadConfig(), CRM_RETENTION_TRANSACTIONS_DAYS: 0 });
  assert.doesNotMatch(await ttlDays(), /TTL/);
});
