/**
 * Invoice exports that bill hours and weights load with their decimal quantities (migration 024)
 * through `detect`'s unedited draft, and the semantic layer (a real Cube over an embedded warehouse)
 * answers revenue and quantity as this test reads them from the files itself:
 * - xero-invoices-hours.csv: Xero's invoice export, Quantity 7.5 / 0.25 / 2.3333 hours and 0.125 kg,
 *   a VOIDED invoice that is not a sale;
 * - quickbooks-sales-by-product-hours.csv: a QuickBooks report with title lines, "$" amounts, a TOTAL
 *   row and Qty up to QuickBooks Online's 7 decimals (0.3333333 h = 20 minutes).
 * Then what does not fit is a reject naming the line and `quantity`, a unit price × a decimal
 * quantity is priced to the cent, and a re-load of an unchanged export changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { proposeMapping, type Draft } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import { ingestFile, ingestRecords } from '../../ingest/load/job.ts';
import type { IngestSummary } from '../../ingest/types.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { issueToken } from '../../semantic/security/auth.ts';
import type { SemanticServer } from '../../semantic/server.ts';
import { parseCsv } from '../support/csv.ts';
import { loadRows, startSemanticOver } from '../support/semantic.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { fixture, rows } from './helpers.ts';

const XERO = 'xero-invoices-hours.csv';
const QB = 'quickbooks-sales-by-product-hours.csv';
const file = (name: string): string => fixture(`exports/${name}`);
let tw: TestWarehouse;
let semantic: SemanticServer;
let token: string;
const dir = mkdtempSync(join(tmpdir(), 'decimal-quantity-'));
const loaded: Record<string, { draft: Draft; summary: IngestSummary; mappingFile: string }> = {};

async function detectAndLoad(name: string): Promise<void> {
  const draft = proposeMapping(await readSample(file(name)), { baseCurrency: 'EUR' });
  const mappingFile = join(dir, `${name}.mapping.json`);
  writeFileSync(mappingFile, JSON.stringify(draft.mapping, null, 2));
  const summary = await ingestFile(tw.warehouse, { entity: draft.entity, file: file(name), mapping: mappingFile, rejectsFile: false });
  assert.equal(summary.status, 'completed', `${name}: ${summary.error ?? ''}`);
  loaded[name] = { draft, summary, mappingFile };
}

type Row = Record<string, string | number | null>;
const load = (query: object): Promise<Row[]> => loadRows<Row>(semantic, token, query);

/** Decimal text → integer units of 10^-8, exactly (the test's own arithmetic, no doubles). */
function units(v: string | number | null): bigint {
  const [whole, frac = ''] = String(v ?? '0').split('.');
  return BigInt(whole) * 10n ** 8n + BigInt(frac.padEnd(8, '0').slice(0, 8));
}
const cents = (v: string | number | null): number => Math.round(Number(v) * 100);

/** Header → value objects of a CSV text from its header line on. */
function records(text: string): Record<string, string>[] {
  const [header, ...body] = parseCsv(text).filter((r) => r.length > 1);
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

async function answers(source: string, orders: string[]): Promise<{ revenue: number; items: bigint; units: bigint }> {
  const [sales] = await load({ measures: ['sales.revenue', 'sales.items_sold'], filters: [{ member: 'sales.source', operator: 'equals', values: [source] }] });
  const [lines] = await load({ measures: ['product_sales.units_sold'], filters: [{ member: 'product_sales.order_id', operator: 'equals', values: orders }] });
  return { revenue: cents(sales['sales.revenue']), items: units(sales['sales.items_sold']), units: units(lines['product_sales.units_sold']) };
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  for (const name of [XERO, QB]) await detectAndLoad(name);
  await refreshDerived(tw.warehouse.client, tw.config.database);
  const secret = 'decimal-quantity-test-secret-0123456789';
  semantic = await startSemanticOver(tw, { apiSecret: secret });
  token = issueToken({ role: 'executive', name: 'Test', secret });
});

after(async () => {
  await semantic?.close();
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('invoice exports with hours and weights load through the unedited draft', () => {
  test('Xero: 7.5, 0.25 and 2.3333 hours and 0.125 kg; revenue and quantities as the file says', async () => {
    const { draft, summary } = loaded[XERO];
    assert.equal(draft.mapping.columns?.['*Quantity'], 'quantity');
    const all = records(readFileSync(file(XERO), 'utf8'));
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [all.length, all.length, 0]);
    const sold = all.filter((r) => r.Status === 'PAID' || r.Status === 'AUTHORISED');
    assert.ok(sold.some((r) => r['*Quantity'] === '7.5') && sold.length < all.length, 'the fixture bills hours and has a line that is not a sale');
    const items = sold.reduce((t, r) => t + units(r['*Quantity']), 0n);
    assert.deepEqual(await answers('xero-invoices-hours', [...new Set(sold.map((r) => r['*InvoiceNumber']))]), {
      revenue: sold.reduce((t, r) => t + cents(r.LineAmount), 0),
      items,
      units: items,
    });
    const stored = await rows<{ p: string; q: string }>(tw.warehouse, `SELECT product_id AS p, toString(quantity) AS q FROM crm.transactions FINAL WHERE source = 'xero-invoices-hours' AND order_id = 'INV-0101' ORDER BY p`);
    assert.deepEqual(stored, [{ p: 'CONS-01', q: '7.5' }, { p: 'TRV-01', q: '0.25' }]);
  });

  test('QuickBooks: Qty with 7 decimals, "$" amounts, the TOTAL row left out', async () => {
    const { draft, summary } = loaded[QB];
    assert.equal(draft.mapping.columns?.Qty, 'quantity');
    const text = readFileSync(file(QB), 'utf8');
    const all = records(text.split(/\r?\n/).slice(4).join('\n'));
    const lines = all.filter((r) => r.Date !== 'TOTAL');
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [all.length, lines.length, 0]);
    const dollars = (v: string): number => cents(v.replace(/[$,]/g, ''));
    const items = lines.reduce((t, r) => t + units(r.Qty), 0n);
    // The report's own TOTAL row agrees with the test's reading of its lines.
    const total = all.find((r) => r.Date === 'TOTAL')!;
    assert.deepEqual([items, lines.reduce((t, r) => t + dollars(r.Amount), 0)], [units(total.Qty), dollars(total.Amount)]);
    assert.deepEqual(await answers('quickbooks-sales-by-product-hours', [...new Set(lines.map((r) => r['No.']))]), {
      revenue: lines.reduce((t, r) => t + dollars(r.Amount), 0),
      items,
      units: items,
    });
  });

  test('a re-load of each unchanged export writes nothing', async () => {
    for (const name of [XERO, QB]) {
      const again = await ingestFile(tw.warehouse, { entity: 'transactions', file: file(name), mapping: loaded[name].mappingFile, rejectsFile: false });
      assert.deepEqual([again.loaded, again.updated, again.rejected], [0, 0, 0], name);
      assert.equal(again.duplicates, loaded[name].summary.loaded, name);
    }
  });
});

describe('what a quantity cannot be, and priced lines', () => {
  const line = (id: string, quantity: unknown, extra: Record<string, unknown> = { amount: '10.00' }): Record<string, unknown> => ({
    source: 'api', transaction_id: id, order_id: `O-${id}`, customer_ref: 'C1', order_date: '2024-05-01 10:00:00', status: 'completed', currency: 'EUR', quantity, ...extra,
  });

  test('too many decimals, too large, negative, NaN, 1e400, text: rejects naming the line and quantity; the rest load', async () => {
    const summary = await ingestRecords(
      tw.warehouse,
      'transactions',
      [
        line('Q1', '7.5'),
        line('Q2', 7.25), // a JSON number
        line('Q3', '0.123456789'),
        line('Q4', '10000000000'),
        line('Q5', '-2'),
        line('Q6', 'NaN'),
        line('Q7', '1e400'),
        line('Q8', '7,5 h'),
        line('Q9', '0.12345678'),
        // JSON numbers with all their digits: QuickBooks' API writes Qty 0.3333333 (rounding every
        // JSON number to 6 decimals made it 0.333333); 0.1 + 0.2's binary noise is not a digit.
        line('Q10', 0.3333333),
        line('Q11', 0.1 + 0.2),
        line('Q12', 7.123456789),
      ],
      { batchLabel: 'decimal-quantity-rejects' },
    );
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [12, 5, 7]);
    assert.deepEqual(
      summary.rejects.map((r) => [r.line, r.recordId, r.field, r.reason]),
      [
        [3, 'Q3', 'quantity', 'line 3, field quantity: "0.123456789" has more than 8 decimals, the most a quantity keeps (it is not rounded): round it in the export'],
        [4, 'Q4', 'quantity', 'line 4, field quantity: "10000000000" is above the largest quantity 9999999999.99999999'],
        [5, 'Q5', 'quantity', line5(summary)],
        [6, 'Q6', 'quantity', 'line 6, field quantity: "NaN" is not a number (decimal separator "."; a quantity such as 3 or 7.5)'],
        [7, 'Q7', 'quantity', 'line 7, field quantity: "1e400" is not a number (decimal separator "."; a quantity such as 3 or 7.5)'],
        [8, 'Q8', 'quantity', 'line 8, field quantity: "7,5 h" is not a number (decimal separator "."; a quantity such as 3 or 7.5)'],
        [12, 'Q12', 'quantity', 'line 12, field quantity: "7.123456789" has more than 8 decimals, the most a quantity keeps (it is not rounded): round it in the export'],
      ],
    );
    const stored = await rows<{ id: string; q: string }>(tw.warehouse, "SELECT transaction_id AS id, toString(quantity) AS q FROM crm.transactions FINAL WHERE source = 'api' ORDER BY id");
    assert.deepEqual(stored, [
      { id: 'Q1', q: '7.5' },
      { id: 'Q10', q: '0.3333333' },
      { id: 'Q11', q: '0.3' },
      { id: 'Q2', q: '7.25' },
      { id: 'Q9', q: '0.12345678' },
    ]);
  });

  test('unit price × a decimal quantity, rounded half away from zero to the cent', async () => {
    // By hand: 150 × 0.3333333 = 49.999995 → 50.00; 0.065 × 1000.5 = 65.0325 → 65.03; 19.99 × 2.5 = 49.975 → 49.98.
    const summary = await ingestRecords(
      tw.warehouse,
      'transactions',
      [line('P1', '0.3333333', { source: 'priced', unit_price: '150' }), line('P2', '1000.5', { source: 'priced', unit_price: '0.065' }), line('P3', '2.5', { source: 'priced', unit_price: '19.99' })],
      { batchLabel: 'decimal-quantity-priced' },
    );
    assert.equal(summary.loaded, 3, JSON.stringify(summary.rejects));
    const stored = await rows<{ id: string; a: string; q: string }>(tw.warehouse, "SELECT transaction_id AS id, toString(amount) AS a, toString(quantity) AS q FROM crm.transactions FINAL WHERE source = 'priced' ORDER BY id");
    assert.deepEqual(stored, [{ id: 'P1', a: '50', q: '0.3333333' }, { id: 'P2', a: '65.03', q: '1000.5' }, { id: 'P3', a: '49.98', q: '2.5' }]);
  });
});

/** Line 5's reason: a negative quantity is a return/credit line (the message ingest gives any credit sign). */
function line5(summary: IngestSummary): string {
  const r = summary.rejects.find((x) => x.line === 5)!.reason;
  assert.match(r, /^line 5, field quantity: "-2" is negative: a return or credit line/);
  return r;
}
