/**
 * The rejects file (<file>.rejects.csv) is made to be opened in a spreadsheet, and bad rows are
 * where a planted formula lands: no cell of it may start with = + - @ tab or CR (a plain number
 * excepted), while the rejects table keeps each raw line exactly and restoreCell() recovers it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile, type IngestSummary } from '../../ingest/index.ts';
import { restoreCell } from '../../lib/csv/escape-cell.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { rows, warehouseWithSchema } from './helpers.ts';
import { parseCsv } from '../support/csv.ts';

const HEADER = 'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel';
const LINES = [
  'shop,F1,O1,C1,2024-01-05 10:00:00,completed,10.00,EUR,1,P1,Good one,office,web', // line 2: loads
  "=cmd|' /C calc'!A0,F2,O2,C1,2024-01-05 10:00:00,completed,abc,EUR,1,P1,dde,office,web", // 3: bad amount
  'shop,@SUM(1+1),O3,C1,2024-01-05 10:00:00,completed,oops,EUR,1,P1,at,office,web', // 4: bad amount
  '+1+1,F4,O4,C1,2024-01-05 10:00:00,shipped,10.00,EUR,1,P1,plus,office,web', // 5: bad status
  '-1+1,F5,O5,C1,2024-01-05 10:00:00,completed,10.00,EUR,x,P1,minus,office,web', // 6: bad quantity
  '\t=1+1,F6,O6,C1,2024-13-45,completed,10.00,EUR,1,P1,tab,office,web', // 7: bad date
  'shop,-5,O7,C1,2024-01-05 10:00:00,lost,10.00,EUR,1,P1,negative id,office,web', // 8: bad status, id a plain number
];

let tw: TestWarehouse;
let dir: string;
let file: string;
let summary: IngestSummary;

before(async () => {
  tw = await warehouseWithSchema();
  dir = mkdtempSync(join(tmpdir(), 'ingest-formula-'));
  file = join(dir, 'transactions.csv');
  writeFileSync(file, `${[HEADER, ...LINES].join('\n')}\n`);
  summary = await ingestFile(tw.warehouse, { entity: 'transactions', file });
});
after(async () => {
  await tw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the bad rows are rejected, the good one loads', () => {
  assert.equal(summary.status, 'completed', summary.error);
  assert.deepEqual([summary.loaded, summary.rejected], [1, 6]);
});

test('no cell of the rejects file starts a formula', () => {
  const [header, ...cells] = parseCsv(readFileSync(`${file}.rejects.csv`, 'utf8'));
  assert.deepEqual(header, ['source_file', 'line', 'record_id', 'field', 'reason', 'raw']);
  assert.equal(cells.length, 6);
  const formulas = cells.flat().filter((c) => /^[=+\-@\t\r]/.test(c) && !/^[+-]?\d+(\.\d+)?$/.test(c));
  assert.deepEqual(formulas, []);
  const byLine = new Map(cells.map((c) => [Number(c[1]), c]));
  assert.equal(byLine.get(3)![5], `'${LINES[1]}`);
  assert.equal(byLine.get(4)![2], "'@SUM(1+1)");
  assert.equal(byLine.get(8)![2], '-5', 'a plain number stays a number');
});

test('the rejects table keeps the raw lines, and restoreCell recovers them from the file', async () => {
  const table = await rows<{ line: string; raw: string }>(tw.warehouse, 'SELECT line, raw FROM crm.rejects FINAL ORDER BY line');
  const [, ...cells] = parseCsv(readFileSync(`${file}.rejects.csv`, 'utf8'));
  assert.deepEqual(table.map((r) => r.raw), LINES.slice(1));
  assert.deepEqual(cells.map((c) => restoreCell(c[5])), LINES.slice(1));
  assert.deepEqual(cells.map((c) => restoreCell(c[2])), ['F2', '@SUM(1+1)', 'F4', 'F5', 'F6', '-5']);
});
