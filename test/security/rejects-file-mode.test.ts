/**
 * Fourth security review: the rejects file beside a loaded file (`<file>.rejects.csv`) holds the
 * rejected lines as read — names, e-mails, phones. It was created with the default umask (0644), so
 * a colleague on the same machine read what a 0600 source file kept from them. Now it is 0600,
 * also when an earlier run's file was looser. On the real engine, through the ingest job.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { warehouseWithSchema } from '../ingest/helpers.ts';

const HEADER = 'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel';
const BAD = 'shop,R1,O1,C1,2024-01-05 10:00:00,completed,not-an-amount,EUR,1,P1,Jane Doe jane@example.com,office,web';

let tw: TestWarehouse;
let dir: string;

before(async () => {
  tw = await warehouseWithSchema();
  dir = mkdtempSync(join(tmpdir(), 'rejects-mode-'));
});
after(async () => {
  await tw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const modeOf = (p: string): number => statSync(p).mode & 0o777;

test('a new rejects file is readable by its owner only', async () => {
  const file = join(dir, 'new.csv');
  writeFileSync(file, `${HEADER}\n${BAD}\n`, { mode: 0o600 });
  const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file });
  assert.equal(summary.rejected, 1, summary.error);
  assert.equal(modeOf(`${file}.rejects.csv`).toString(8), '600');
});

test("an earlier run's 0644 rejects file is made 0600 when written again", async () => {
  const file = join(dir, 'again.csv');
  writeFileSync(file, `${HEADER}\n${BAD.replace('R1', 'R2')}\n`, { mode: 0o600 });
  writeFileSync(`${file}.rejects.csv`, 'old\n');
  chmodSync(`${file}.rejects.csv`, 0o644);
  const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file });
  assert.equal(summary.rejected, 1, summary.error);
  assert.equal(modeOf(`${file}.rejects.csv`).toString(8), '600');
});
