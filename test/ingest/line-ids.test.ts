/**
 * Transactions files with an order id but no line id (most shop and spreadsheet exports): with
 * orders.lineIds (detect sets it), a line's derived id depends on its order, product and place among
 * that order's equal lines only, so a re-export where an order was refunded or corrected updates it.
 * Without it (the default for existing mappings) the id hashes the whole row, as before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import type { Mapping } from '../../ingest/mapping/mapping-file.ts';
import { validateMapping } from '../../ingest/mapping/mapping-file.ts';
import { fixture } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'line-ids-'));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ids = async (file: string, mapping: Mapping): Promise<Map<string, string>> => {
  const run = await dryRun(file, 'transactions', mapping, { previewRows: 100 });
  assert.deepEqual(run.rejects, []);
  return new Map(run.preview.map((r) => [`${r.order_id}/${r.status}`, r.transaction_id]));
};

describe('orders.lineIds', () => {
  const original = readFileSync(fixture('exports/excel-serial-dates.csv'), 'utf8');
  const first = write('orders.csv', original);
  const refunded = write('orders-reexport.csv', original.replace('1001,C-01,45292,120.50,Paid', '1001,C-01,45292,120.50,Refunded'));

  it('detect sets it for a file with an order id and no line id, and says why', async () => {
    const draft = proposeMapping(await readSample(first));
    assert.equal(draft.mapping.orders?.lineIds, true);
    assert.ok(draft.mapping.$comment.some((c) => /orders\.lineIds/.test(c) && /updates the line/.test(c)));
  });

  it('a re-export with a changed status gives the line the same id (the load updates it); every other line keeps its id', async () => {
    const draft = proposeMapping(await readSample(first));
    const before = await ids(first, draft.mapping);
    const after = await ids(refunded, draft.mapping);
    assert.equal(after.get('1001/refunded'), before.get('1001/completed'));
    for (const o of ['1002/completed', '1003/refunded', '1004/completed', '1005/completed']) assert.equal(after.get(o), before.get(o), o);
  });

  it('without it the id hashes the whole row, as mappings written before it load', async () => {
    const draft = proposeMapping(await readSample(first));
    const plain = { ...draft.mapping, orders: undefined };
    const before = await ids(first, plain);
    const after = await ids(refunded, plain);
    assert.notEqual(after.get('1001/refunded'), before.get('1001/completed'));
  });

  it('two lines of one order with the same product stay two lines', async () => {
    const f = write('lines.csv', 'Order ID,Customer ID,Order Date,SKU,Total,Status\n7,C-1,2024-01-05,A,10.00,Paid\n7,C-1,2024-01-05,A,10.00,Paid\n7,C-1,2024-01-05,B,4.00,Paid\n');
    const draft = proposeMapping(await readSample(f));
    assert.equal(draft.mapping.orders?.lineIds, true);
    const run = await dryRun(f, 'transactions', draft.mapping, { previewRows: 10 });
    const got = run.preview.map((r) => r.transaction_id);
    assert.equal(new Set(got).size, 3, got.join(' '));
    assert.equal(got[0].replace(/-\d+$/, ''), got[1].replace(/-\d+$/, ''), 'same order and product: one key, occurrences 1 and 2');
  });

  it('the mapping validates it', () => {
    assert.equal(validateMapping({ orders: { lineIds: true } }).orders?.lineIds, true);
    assert.throws(() => validateMapping({ orders: { lineIds: 'yes' } }), /orders\.lineIds/);
    assert.throws(() => validateMapping({ orders: { ids: true } }), /known: by, lineIds/);
  });
});
