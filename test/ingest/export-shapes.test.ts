/**
 * The pieces of the second export sweep, table-tested without a warehouse: accounting negatives
 * "(12.50)", title lines above a report's table (csv.skipLines), total rows at the end (also past
 * the sampled bytes), day/month order decided by one value above 12 or by another date column,
 * "7,200" as a thousands separator, a name as the customer reference. Expected values are written
 * out here, not computed by the code under test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import { guessDateFormat } from '../../ingest/detect/guess-date.ts';
import { guessNumberFormat, withMinusForParens } from '../../ingest/detect/guess-number.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { preambleLines, readSample } from '../../ingest/detect/read-sample.ts';
import { validateMapping } from '../../ingest/mapping/mapping-file.ts';
import { parseCents } from '../../ingest/validate/parse-number.ts';
import { fixture } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-shapes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('accounting negatives', () => {
  const point = { decimal: 46, thousands: 44 };
  const dollar = { ...point, symbol: Buffer.from('$') };
  const cases: [string, typeof point, number][] = [
    ['(12.50)', point, -1250],
    ['(1,234.00)', point, -123400],
    ['($1,234.00)', dollar, -123400],
    ['$(85.00)', dollar, -8500],
    ['-$5.00', dollar, -500],
    ['(-5)', point, Number.NaN],
    ['(-$5)', dollar, Number.NaN],
    ['()', point, Number.NaN],
    ['(12.50', point, Number.NaN],
  ];
  for (const [text, fmt, want] of cases) it(`${text} → ${want}`, () => assert.deepEqual(parseCents(Buffer.from(text), 0, Buffer.byteLength(text), fmt), want));
  it('detect reads them as minus amounts; other parentheses stay text', () => {
    assert.deepEqual(['(12.50)', '($1,234.00)', '(n/a)', '(see note)', 'Maintenance (quarterly)'].map(withMinusForParens), ['-12.50', '-$1,234.00', '(n/a)', '(see note)', 'Maintenance (quarterly)']);
  });
  it('with credits.sign a "(12.50)" line loads as a credit of 12.50; without it, a reject that says what it is', async () => {
    const f = write('credits.csv', 'order_id,customer_ref,order_date,amount\nI1,C1,2024-01-02,40.00\nCM1,C1,2024-01-09,(12.50)\n');
    const run = await dryRun(f, 'transactions', { source: 'shop', constants: { status: 'completed' }, credits: { sign: true } });
    assert.deepEqual(run.rejects, []);
    assert.deepEqual(run.preview.map((p) => [p.order_id, p.status, p.amount]), [['I1', 'completed', '40.00'], ['CM1', 'credit', '12.50']]);
    const refused = await dryRun(f, 'transactions', { source: 'shop', constants: { status: 'completed' } });
    assert.deepEqual(refused.rejects.map((r) => [r.line, r.field]), [[3, 'amount']]);
    assert.match(refused.rejects[0].reason, /"\(12\.50\)" is negative: a return or credit line/);
  });
});

describe('title lines above the table (csv.skipLines)', () => {
  it('finds the header below a report title, company and date range', () => {
    const text = 'Invoice List\nAcme Ltd\n"January 1 - March 31, 2024"\n\nDate,No.,Customer,Amount\n01/05/2024,1,A,5\n01/06/2024,2,B,6\n';
    assert.equal(preambleLines(text, ',', '"', 4), 4);
    assert.equal(preambleLines('Date,No.,Customer,Amount\n01/05/2024,1,A,5\n', ',', '"', 4), 0);
    // A header one short of rows that end in a delimiter is not a title: nothing is skipped.
    assert.equal(preambleLines('Date,No.,Customer,Amount,Note\n01/05/2024,1,A,5,x,\n01/06/2024,2,B,6,y,\n', ',', '"', 6), 0);
  });
  it('the load leaves them out and names lines as the file numbers them', async () => {
    const f = write('report.csv', 'Sales report\n\norder_id,customer_ref,order_date,amount\nI1,C1,2024-01-02,40.00\nI2,C2,not a date,5.00\n');
    const run = await dryRun(f, 'transactions', { source: 'shop', csv: { skipLines: 2 }, constants: { status: 'completed' } });
    assert.deepEqual(run.preview.map((p) => p.order_id), ['I1']);
    assert.deepEqual(run.rejects.map((r) => [r.line, r.field]), [[5, 'order_date']]);
  });
  it('the mapping key is a whole number', () => {
    assert.equal(validateMapping({ csv: { skipLines: 3 } }).csv?.skipLines, 3);
    assert.throws(() => validateMapping({ csv: { skipLines: -1 } }), /csv\.skipLines/);
    assert.throws(() => validateMapping({ csv: { skipLines: '3' } }), /csv\.skipLines/);
  });
});

describe('total rows', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `O${i},Customer ${i % 7},2024-01-${String((i % 28) + 1).padStart(2, '0')},${(i % 9) + 1}.50`);
  it('a TOTAL row is left out by "skip" in the draft, also past the sampled bytes; a product called "Total Gym" is not a total', async () => {
    const f = write('orders.csv', ['Order,Customer,Date,Amount', 'X1,Total Gym Co,2024-01-01,9.00', ...lines, 'Grand Total,,,4200.00', ''].join('\n'));
    const sample = await readSample(f, { maxBytes: 2048 });
    assert.ok(sample.tail && sample.rows.length < 402);
    const draft = proposeMapping(sample);
    assert.deepEqual(draft.mapping.skip, { order_id: ['Grand Total'] });
    const run = await dryRun(f, 'transactions', draft.mapping, { checkRows: 1000 });
    assert.deepEqual([run.valid, run.skipped, run.rejects.length], [401, 1, 0]);
  });
});

describe('day and month', () => {
  it('one value above 12 decides, even where the other order would tolerate it as a bad value', () => {
    const values = ['01/02/2024', '02/03/2024', '03/04/2024', '04/05/2024', '05/06/2024', '06/07/2024', '07/08/2024', '08/09/2024', '09/10/2024', '10/11/2024', '11/12/2024', '12/01/2024', '01/13/2024'];
    assert.deepEqual(guessDateFormat(values), { format: 'MM/DD/YYYY', hasTime: false, sure: 'high' });
  });
  it('a due date column decides the order date column whose values fit both', async () => {
    const f = write('invoices.csv', 'Invoice,Customer,Date,Due,Amount\nI1,A,03/04/2024,17/04/2024,10.00\nI2,B,05/06/2024,19/06/2024,20.00\n');
    const draft = proposeMapping(await readSample(f));
    assert.deepEqual(draft.mapping.dates, { order_date: 'DD/MM/YYYY' });
    assert.ok(draft.mapping.$comment.some((c) => /day first in every date column, as "Due" shows/.test(c)));
    assert.ok(!draft.mapping.$comment.some((c) => /— check/.test(c)));
  });
  it('nothing decides: the draft says it chose and what else fits', async () => {
    const f = write('ambiguous.csv', 'Invoice,Customer,Date,Amount\nI1,A,03/04/2024,10.00\nI2,B,05/06/2024,20.00\n');
    const draft = proposeMapping(await readSample(f));
    assert.ok(draft.mapping.$comment.some((c) => /fits MM\/DD\/YYYY and DD\/MM\/YYYY; chose MM\/DD\/YYYY .* check/.test(c)));
  });
});

describe('thousands separators and names as references', () => {
  it('"7,200" beside whole numbers is a thousands comma, and the draft says how to read it otherwise', () => {
    assert.deepEqual(guessNumberFormat(['12500', '7,200', '4800']), { decimal: '.', thousands: ',', evidence: 0, loneGroups: '7,200' });
    assert.deepEqual(guessNumberFormat(['12,50', '7.200']), { decimal: ',', thousands: '.', evidence: 1, loneGroups: '7.200' });
    assert.deepEqual(guessNumberFormat(['12.50', '7200']), { decimal: '.', thousands: '', evidence: 1 });
  });
  it('a company name is the customer reference when there is no id, and an e-mail empty on some rows loses to a name filled on all', async () => {
    const f = write('b2b-orders.csv', 'Invoice,Company,Email,Date,Amount\nI1,Acme Ltd,ap@acme.test,2024-01-02,10.00\nI2,Globex,,2024-01-03,20.00\nI3,Acme Ltd,ap@acme.test,2024-01-04,5.00\n');
    const draft = proposeMapping(await readSample(f));
    assert.equal(draft.entity, 'transactions');
    assert.equal(draft.mapping.columns?.Company, 'customer_ref');
    assert.ok(draft.mapping.$comment.some((c) => /"Company" names the customer .* two spellings of one company are two customers/.test(c)));
    const withIds = write('orders-ids.csv', 'Invoice,Customer ID,Company,Date,Amount\nI1,K1,Acme Ltd,2024-01-02,10.00\nI2,K2,Globex,2024-01-03,20.00\n');
    assert.equal(proposeMapping(await readSample(withIds)).mapping.columns?.['Customer ID'], 'customer_ref');
  });

  it('WooCommerce orders (Analytics export): Net Sales, Items sold, the customer by name, statuses as WooCommerce spells them', async () => {
    const f = fixture('exports/woocommerce-orders.csv');
    const draft = proposeMapping(await readSample(f));
    assert.deepEqual(draft.mapping.columns, { Date: 'order_date', 'Order #': 'order_id', Status: 'status', Customer: 'customer_ref', 'Product(s)': 'product_name', 'Items sold': 'quantity', 'Net Sales': 'amount' });
    assert.ok(draft.mapping.$comment.some((c) => /"Customer" names the customer/.test(c)));
    const run = await dryRun(f, draft.entity, draft.mapping, { previewRows: 50 });
    assert.deepEqual(run.rejects, []);
    assert.deepEqual(
      run.preview.map((p) => [p.order_id, p.status, p.amount, p.quantity]),
      [
        ['1041', 'completed', '58.50', '2'],
        ['1042', 'pending', '80.91', '1'],
        ['1043', 'refunded', '1150.00', '1'],
        ['1044', 'completed', '36.00', '3'],
        ['1045', 'cancelled', '45.00', '1'],
        ['1046', 'pending', '39.00', '1'],
      ],
    );
  });
});
