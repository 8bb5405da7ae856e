/**
 * Fourth security review: the churn feature export (`npm run models -- export`) writes customer ids
 * with their spend, recency and scores. It was written with the umask (0644 file, 0755 folder):
 * readable by every local user. Now 0600 in a 0700 folder it creates, also over an earlier
 * export's looser file. On the embedded engine.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { exportFeatures } from '../../models/churn/export.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

let tw: TestWarehouse;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
});
after(async () => {
  await tw?.close();
});

const modeOf = (p: string): string => (statSync(p).mode & 0o777).toString(8);

test('the feature export is its user’s only, in a folder it creates and over an old file', async () => {
  const out = join(tw.dir, 'export-new', 'features.csv');
  const made = await exportFeatures(tw.warehouse, { cutoff: '2024-09-01', out });
  assert.equal(modeOf(made.path), '600');
  assert.equal(modeOf(join(tw.dir, 'export-new')), '700');

  const old = join(tw.dir, 'export-old');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'features.csv'), 'old\n');
  chmodSync(join(old, 'features.csv'), 0o644);
  const again = await exportFeatures(tw.warehouse, { cutoff: '2024-09-01', out: join(old, 'features.csv') });
  assert.equal(modeOf(again.path), '600');
});

test('ninth review: a link planted at the export’s name (a shared folder) is refused, its target untouched', async () => {
  const shared = join(tw.dir, 'export-shared');
  mkdirSync(shared, { recursive: true });
  const victim = join(tw.dir, 'secrets.json');
  writeFileSync(victim, '{"kept":true}\n', { mode: 0o600 });
  symlinkSync(victim, join(shared, 'features.csv'));
  await assert.rejects(exportFeatures(tw.warehouse, { cutoff: '2024-09-01', out: join(shared, 'features.csv') }), /feature export .*features\.csv is a symbolic link/);
  assert.equal(readFileSync(victim, 'utf8'), '{"kept":true}\n');
});
