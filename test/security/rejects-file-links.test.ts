/**
 * Ninth security review: the rejects file beside a loaded file (`<file>.rejects.csv`) is written in
 * whatever folder the export sits in — a shared import folder, where a colleague can create names.
 * A colleague who plants `<file>.rejects.csv` as a symbolic link (or a hard link) to a file of the
 * loading user's — `.data/secrets.json`, `~/.bashrc` — had the load truncate that file and write
 * the rejected rows (the colleague's own text, if they supplied the export) into it: `openSync(path,
 * 'w')` follows links and truncates before any check, and the fourth review's "another user's file
 * is refused" came from fchmod failing, which never happens for root (containers) nor for a link
 * to the loader's own file. On the real engine, through the ingest job.
 */
import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { warehouseWithSchema } from '../ingest/helpers.ts';

const HEADER = 'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel';
const bad = (id: string): string => `shop,${id},O${id},C1,2024-01-05 10:00:00,completed,not-an-amount,EUR,1,P1,Widget,office,web`;
const PRECIOUS = '{"adminPassword":"kept"}\n';

let tw: TestWarehouse;
let dir: string;

before(async () => {
  tw = await warehouseWithSchema();
  dir = mkdtempSync(join(tmpdir(), 'rejects-links-'));
});
after(async () => {
  await tw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The load's outcome as one text: an ingest job reports a failure in `error` or throws. */
async function load(file: string): Promise<{ text: string; rejected?: number }> {
  try {
    const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file });
    return { text: summary.error ?? '', rejected: summary.rejected };
  } catch (err) {
    return { text: (err as Error).message };
  }
}

test('a rejects file name planted as a symbolic link: the target is not touched, the load says why', async () => {
  const victim = join(dir, 'secrets.json');
  writeFileSync(victim, PRECIOUS, { mode: 0o600 });
  const file = join(dir, 'sym.csv');
  writeFileSync(file, `${HEADER}\n${bad('S1')}\n`, { mode: 0o600 });
  symlinkSync(victim, `${file}.rejects.csv`);

  const outcome = await load(file);
  assert.equal(readFileSync(victim, 'utf8'), PRECIOUS, 'the link target was overwritten');
  assert.match(outcome.text, /rejects file .*sym\.csv\.rejects\.csv.*link/i, `the outcome names neither the file nor the link: ${outcome.text}`);
  assert.ok(lstatSync(`${file}.rejects.csv`).isSymbolicLink(), 'the planted link is left for its owner to see');
});

test('a rejects file name planted as a hard link to another file: that file is not touched', async () => {
  const victim = join(dir, 'bashrc');
  writeFileSync(victim, PRECIOUS, { mode: 0o600 });
  const file = join(dir, 'hard.csv');
  writeFileSync(file, `${HEADER}\n${bad('H1')}\n`, { mode: 0o600 });
  linkSync(victim, `${file}.rejects.csv`);

  const outcome = await load(file);
  assert.equal(readFileSync(victim, 'utf8'), PRECIOUS, 'the hard-linked file was overwritten');
  assert.match(outcome.text, /rejects file .*hard\.csv\.rejects\.csv/i, `the outcome does not name the file: ${outcome.text}`);
});

test("the load's own earlier rejects file is still rewritten (not a link)", async () => {
  const file = join(dir, 'plain.csv');
  writeFileSync(file, `${HEADER}\n${bad('P1')}\n`, { mode: 0o600 });
  writeFileSync(`${file}.rejects.csv`, 'an earlier run\nwith two lines and more text than the new file has\n'.repeat(50), { mode: 0o644 });

  const outcome = await load(file);
  assert.equal(outcome.rejected, 1, outcome.text);
  const text = readFileSync(`${file}.rejects.csv`, 'utf8');
  assert.ok(!text.includes('an earlier run'), 'the old content was not truncated away');
  assert.equal(text.trim().split('\n').length, 2, `header and one rejected row expected:\n${text}`);
  assert.match(text, /OP1|P1/);
  assert.equal((lstatSync(`${file}.rejects.csv`).mode & 0o777).toString(8), '600');
});
