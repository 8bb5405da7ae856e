/**
 * Line-level exports that repeat the order's total on every line (Xero's Total, QuickBooks' Total,
 * Shopify's Total, WooCommerce's order_total, a generic "Order Total") load through `detect`'s
 * unedited draft with each line counted once: the semantic layer (a real Cube over an embedded
 * warehouse) answers the revenue this test sums from the files' own line amounts (a line whose
 * amount cell is empty: its unit price × quantity). Then what the load does with an empty line
 * amount: the priced line when the mapping has a unit price, else a reject naming record and field.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { proposeMapping, type Draft } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import { ingestFile } from '../../ingest/load/job.ts';
import type { IngestSummary } from '../../ingest/types.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { issueToken } from '../../semantic/security/auth.ts';
import type { SemanticServer } from '../../semantic/server.ts';
import { parseCsv } from '../support/csv.ts';
import { loadRows, startSemanticOver } from '../support/semantic.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { fixture, rows } from './helpers.ts';

/** Each export: its order column, its order total column and the cents of each line as the file says them. */
interface Export {
  file: string;
  order: string;
  total: string;
  line: (r: Record<string, string>) => bigint;
}

/** Decimal text → integer units of 10^-8 (the test's own arithmetic, no doubles). */
function units(v: string): bigint {
  const neg = v.trim().startsWith('-');
  const [whole, frac = ''] = v.trim().replace(/^-/, '').replace(/,/g, '').split('.');
  const u = BigInt(whole || '0') * 10n ** 8n + BigInt(frac.padEnd(8, '0').slice(0, 8));
  return neg ? -u : u;
}
/** Cents of a price × quantity, rounded half away from zero (prices here are ≥ 0). */
const priced = (price: string, qty: string): bigint => (units(price) * units(qty) + 5n * 10n ** 13n) / 10n ** 14n;
const cents = (v: string): bigint => units(v) / 10n ** 6n;
const lineOr = (amount: string, price: string, qty: string): bigint => (amount.trim() === '' ? priced(price, qty) : cents(amount));

const EXPORTS: Export[] = [
  { file: 'xero-invoices-empty-line-amount.csv', order: '*InvoiceNumber', total: 'Total', line: (r) => lineOr(r.LineAmount, r['*UnitAmount'], r['*Quantity']) },
  { file: 'quickbooks-invoice-lines.csv', order: 'InvoiceNo', total: 'Total', line: (r) => lineOr(r.ItemAmount, r.ItemRate, r.ItemQuantity) },
  { file: 'shopify-orders-lines.csv', order: 'Name', total: 'Total', line: (r) => priced(r['Lineitem price'], r['Lineitem quantity']) },
  { file: 'woocommerce-order-items.csv', order: 'order_number', total: 'order_total', line: (r) => lineOr(r.item_total, r.item_price, r.item_quantity) },
  { file: 'generic-order-lines.csv', order: 'Order Ref', total: 'Order Total', line: (r) => priced(r['Unit Price'], r.Qty) },
];

let tw: TestWarehouse;
let semantic: SemanticServer;
let token: string;
const dir = mkdtempSync(join(tmpdir(), 'order-totals-load-'));
const loaded: Record<string, { draft: Draft; summary: IngestSummary }> = {};

function records(file: string): Record<string, string>[] {
  const [header, ...body] = parseCsv(readFileSync(file, 'utf8')).filter((r) => r.length > 1);
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

async function revenueOf(source: string): Promise<bigint> {
  const [row] = await loadRows<Record<string, string | number | null>>(semantic, token, {
    measures: ['sales.revenue'],
    filters: [{ member: 'sales.source', operator: 'equals', values: [source] }],
  });
  return cents(String(row?.['sales.revenue'] ?? '0'));
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  for (const x of EXPORTS) {
    const draft = proposeMapping(await readSample(fixture(`exports/${x.file}`)), { baseCurrency: 'EUR' });
    const mapping = join(dir, `${x.file}.mapping.json`);
    writeFileSync(mapping, JSON.stringify(draft.mapping, null, 2));
    const summary = await ingestFile(tw.warehouse, { entity: draft.entity, file: fixture(`exports/${x.file}`), mapping, rejectsFile: false });
    assert.equal(summary.status, 'completed', `${x.file}: ${summary.error ?? ''}`);
    loaded[x.file] = { draft, summary };
  }
  await refreshDerived(tw.warehouse.client, tw.config.database);
  const secret = 'order-totals-load-test-secret-0123456789';
  semantic = await startSemanticOver(tw, { apiSecret: secret });
  token = issueToken({ role: 'executive', name: 'Test', secret });
});

after(async () => {
  await semantic?.close();
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("detect's unedited draft counts each line once, never the order's total per line", () => {
  for (const x of EXPORTS) {
    test(x.file, async () => {
      const { draft, summary } = loaded[x.file];
      const all = records(fixture(`exports/${x.file}`));
      assert.notEqual(draft.mapping.columns?.[x.total], 'amount', `${x.total} is the order's total`);
      assert.deepEqual([summary.read, summary.loaded, summary.rejected], [all.length, all.length, 0]);
      const lines = all.reduce((t, r) => t + x.line(r), 0n);
      // The fixture can tell the two apart: its totals counted per line are more than its lines.
      const perLine = all.reduce((t, r) => t + (r[x.total].trim() === '' ? 0n : cents(r[x.total])), 0n);
      const orders = new Set(all.map((r) => r[x.order]));
      assert.ok(perLine > lines && all.length > orders.size, 'multi-line orders whose total is repeated');
      assert.equal(await revenueOf(String(draft.mapping.source)), lines);
    });
  }
});

describe('a line-level export with an empty line amount', () => {
  const csv = 'order_id,order_date,customer_ref,product_id,quantity,unit_price,line_amount\nE1,2024-06-01 10:00:00,C1,P1,2,12.50,25.00\nE1,2024-06-01 10:00:00,C1,P2,1.5,8.00,\nE2,2024-06-02 11:00:00,C2,P3,1,30.00,30.00\nE3,2024-06-03 12:00:00,C3,P4,2,,\n';
  const base = { format: 'csv', columns: { line_amount: 'amount' }, constants: { status: 'completed' }, orders: { lineIds: true }, currency: { default: 'EUR' } };

  test('priced by unit price × quantity when the mapping has a unit price', async () => {
    const file = join(dir, 'lines-priced.csv');
    writeFileSync(file, csv);
    const mapping = join(dir, 'priced.json');
    writeFileSync(mapping, JSON.stringify({ ...base, source: 'lines-priced' }));
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping, rejectsFile: false });
    assert.deepEqual([s.loaded, s.rejected], [3, 1], s.error ?? JSON.stringify(s.rejects));
    assert.deepEqual(
      s.rejects.map((r) => [r.line, r.field, r.reason]),
      [[5, 'amount', 'line 5, field amount: required value is missing, and the line has no unit_price to price it (× the quantity)']],
    );
    const stored = await rows<{ p: string; a: string }>(tw.warehouse, "SELECT product_id AS p, toString(amount) AS a FROM crm.transactions FINAL WHERE source = 'lines-priced' ORDER BY p");
    assert.deepEqual(stored, [{ p: 'P1', a: '25' }, { p: 'P2', a: '12' }, { p: 'P3', a: '30' }]);
  });

  test('a reject naming the line and amount when nothing prices it, never a 0', async () => {
    const file = join(dir, 'lines-unpriced.csv');
    writeFileSync(file, csv);
    const mapping = join(dir, 'unpriced.json');
    writeFileSync(mapping, JSON.stringify({ ...base, source: 'lines-unpriced', ignore: ['unit_price'] }));
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping, rejectsFile: false });
    assert.deepEqual([s.loaded, s.rejected], [2, 2], s.error);
    assert.deepEqual(
      s.rejects.map((r) => [r.line, r.field, r.reason]),
      [3, 5].map((line) => [line, 'amount', `line ${line}, field amount: required value is missing, and the line has no unit_price to price it (× the quantity)`]),
    );
    const stored = await rows<{ p: string }>(tw.warehouse, "SELECT product_id AS p FROM crm.transactions FINAL WHERE source = 'lines-unpriced' ORDER BY p");
    assert.deepEqual(stored, [{ p: 'P1' }, { p: 'P3' }]);
  });

  test("detect's draft for a file it cannot tell about is refused by the load, naming amount", async () => {
    const file = join(dir, 'orders-unknown.csv');
    writeFileSync(file, 'order_id,order_date,customer_id,product_id,total\nU1,2024-06-01 10:00:00,C1,P1,99.00\nU1,2024-06-01 10:00:00,C1,P2,99.00\nU2,2024-06-02 11:00:00,C2,P3,40.00\n');
    const draft = proposeMapping(await readSample(file), { baseCurrency: 'EUR' });
    const mapping = join(dir, 'unknown.json');
    writeFileSync(mapping, JSON.stringify(draft.mapping));
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping, rejectsFile: false }).catch((e: Error) => ({ status: 'failed', error: e.message, loaded: 0 }));
    assert.equal(s.status, 'failed');
    assert.match(String(s.error), /amount/);
    assert.equal(s.loaded, 0);
  });
});
