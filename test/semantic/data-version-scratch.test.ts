/**
 * The data version (semantic/refresh-keys.ts) on a real embedded engine: the ingest's per-load
 * scratch tables (lib/warehouse/scratch-tables.ts) created, filled and dropped leave it as it was,
 * while the same steps on a table of any other name change it (so the read does see such writes,
 * and the check can fail). One 1,000-row load made 9 fingerprint changes through them before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SCRATCH_TABLE_PREFIXES } from '../../lib/warehouse/scratch-tables.ts';
import { dataVersionSql } from '../../semantic/refresh-keys.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { rows, warehouseWithSchema } from '../ingest/helpers.ts';

let tw: TestWarehouse;
before(async () => {
  tw = await warehouseWithSchema();
});
after(async () => {
  await tw?.close();
});

const version = async (): Promise<string> => {
  const [row] = await rows<Record<string, string>>(tw.warehouse, dataVersionSql());
  return Object.values(row)[0];
};
const db = (): string => tw.config.database;
/** What a load does with a scratch table: create, fill, drop; the version after each step. */
async function scratchSteps(name: string): Promise<string[]> {
  const table = `\`${db()}\`.\`${name}\``;
  const seen: string[] = [];
  await tw.warehouse.client.command({ query: `CREATE TABLE ${table} (k1 String, k2 String) ENGINE = Memory` });
  seen.push(await version());
  await tw.warehouse.client.command({ query: `INSERT INTO ${table} SELECT toString(number), '' FROM numbers(1000)` });
  seen.push(await version());
  await tw.warehouse.client.command({ query: `DROP TABLE ${table}` });
  seen.push(await version());
  return seen;
}

test('a scratch table of either prefix, created, filled and dropped, is no data change', async () => {
  for (const prefix of Object.values(SCRATCH_TABLE_PREFIXES)) {
    const before = await version();
    const steps = await scratchSteps(`${prefix}1796641467739_51e90113_r`);
    assert.deepEqual(steps, [before, before, before], `${prefix}: the data version moved`);
  }
});

test('the same steps on a table of another name change the version at each step but the drop', async () => {
  const before = await version();
  const [created, filled, dropped] = await scratchSteps('ingest_placeholder_not_scratch');
  assert.notEqual(created, before);
  assert.notEqual(filled, created);
  // Dropped, the table's contribution is gone: the fingerprint is the one before it existed.
  assert.equal(dropped, before);
});
