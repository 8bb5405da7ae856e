/**
 * More real export shapes load through `detect`'s draft, unedited, and the semantic layer (a real
 * Cube over an embedded warehouse) answers what this test computes by reading the fixtures itself:
 * - Xero's invoice export: keyed by the contact's name (no customer id; e-mail empty for some),
 *   DD/MM/YYYY dates, statuses PAID / AUTHORISED / VOIDED / DRAFT, NZD;
 * - a QuickBooks invoice list in windows-1252: title lines above the header, "$1,250.00" in quotes,
 *   a credit memo written "($85.00)", a TOTAL row at the end, month-first dates decided by the due
 *   date column;
 * - Pipedrive deals ("Deal - Value", the organization's name as the customer, "7,200");
 * - Zendesk tickets (no type column: every row a support ticket);
 * - PayPal's activity download: Gross in each row's currency (USD and EUR), a refund as a negative
 *   row, conversions and withdrawals that sell nothing; the draft says which rates to add, the test
 *   adds them as a user would and checks the converted sums.
 * Stripe's partial refunds, the other shapes of this sweep, are in detect-load.test.ts and
 * refunded-amount.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
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
import { fixture } from './helpers.ts';

const file = (name: string): string => fixture(`exports/${name}`);
let tw: TestWarehouse;
let semantic: SemanticServer;
let token: string;
const dir = mkdtempSync(join(tmpdir(), 'exports-sweep-'));
const loaded: Record<string, { draft: Draft; summary: IngestSummary; unedited?: Awaited<ReturnType<typeof dryRun>> }> = {};
const USD_TO_EUR = 0.92;

async function detectAndLoad(name: string): Promise<void> {
  const draft = proposeMapping(await readSample(file(name)), { baseCurrency: 'EUR' });
  const mappingFile = join(dir, `${name}.mapping.json`);
  writeFileSync(mappingFile, JSON.stringify(draft.mapping, null, 2));
  const summary = await ingestFile(tw.warehouse, { entity: draft.entity, file: file(name), mapping: mappingFile, rejectsFile: false });
  assert.equal(summary.status, 'completed', `${name}: ${summary.error ?? ''}`);
  loaded[name] = { draft, summary };
}

type Row = Record<string, string | null>;
const load = (query: object): Promise<Row[]> => loadRows<Row>(semantic, token, query);

const cents = (n: number): number => Math.round(n * 100);
/** "$1,250.00" → 125000, "($85.00)" → -8500: the test's own reading of a QuickBooks amount. */
const dollars = (v: string): number => (v.startsWith('(') ? -1 : 1) * cents(Number(v.replace(/[()$,]/g, '')));

/** Header → value objects of a CSV text from its header line on. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text).filter((r) => r.length > 1);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

async function salesOf(source: string): Promise<{ revenue: number; net: number; orders: number; customers: number }> {
  const [r] = await load({
    measures: ['sales.revenue', 'sales.net_revenue', 'sales.orders', 'sales.active_customers'],
    filters: [{ member: 'sales.source', operator: 'equals', values: [source] }],
  });
  return { revenue: cents(Number(r['sales.revenue'])), net: cents(Number(r['sales.net_revenue'])), orders: Number(r['sales.orders']), customers: Number(r['sales.active_customers']) };
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  for (const name of ['xero-invoices.csv', 'quickbooks-invoice-list.csv', 'pipedrive-deals.csv', 'zendesk-tickets.csv']) await detectAndLoad(name);
  // PayPal: two currencies; the draft names the rate it needs and the user adds it (the one edit).
  const paypal = proposeMapping(await readSample(file('paypal-activity.csv')), { baseCurrency: 'EUR' });
  const unedited = await dryRun(file('paypal-activity.csv'), 'transactions', paypal.mapping, { previewRows: 0 });
  const mappingFile = join(dir, 'paypal.mapping.json');
  writeFileSync(mappingFile, JSON.stringify({ ...paypal.mapping, currency: { rates: { USD: USD_TO_EUR } } }, null, 2));
  const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file: file('paypal-activity.csv'), mapping: mappingFile, rejectsFile: false });
  assert.equal(summary.status, 'completed', summary.error);
  loaded['paypal-activity.csv'] = { draft: paypal, summary, unedited };
  await refreshDerived(tw.warehouse.client, tw.config.database);
  const secret = 'exports-sweep-test-secret-0123456789';
  semantic = await startSemanticOver(tw, { apiSecret: secret });
  token = issueToken({ role: 'executive', name: 'Test', secret });
});

after(async () => {
  await semantic?.close();
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export shapes of the second sweep load through the unedited detect draft', () => {
  test('Xero invoices: keyed by contact name, DD/MM/YYYY, AUTHORISED is a sale, VOIDED and DRAFT are not', async () => {
    const { draft, summary } = loaded['xero-invoices.csv'];
    assert.equal(draft.mapping.columns?.['*ContactName'], 'customer_ref');
    assert.ok(draft.mapping.$comment.some((c) => /"\*ContactName" names the customer/.test(c)));
    assert.deepEqual(draft.mapping.dates, { order_date: 'DD/MM/YYYY' });
    const rows = records(readFileSync(file('xero-invoices.csv'), 'utf8'));
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [rows.length, rows.length, 0]);
    const sold = rows.filter((r) => r.Status === 'PAID' || r.Status === 'AUTHORISED');
    const revenue = sold.reduce((t, r) => t + cents(Number(r.LineAmount)), 0);
    assert.deepEqual(await salesOf('xero-invoices'), {
      revenue,
      net: revenue,
      orders: new Set(sold.map((r) => r['*InvoiceNumber'])).size,
      customers: new Set(sold.map((r) => r['*ContactName'])).size,
    });
    // The day is the first number: 14/01/2024 is 14 January.
    const [jan] = await load({ measures: ['sales.orders'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month', dateRange: ['2024-01-01', '2024-01-31'] }], filters: [{ member: 'sales.source', operator: 'equals', values: ['xero-invoices'] }] });
    assert.equal(Number(jan['sales.orders']), new Set(sold.filter((r) => r['*InvoiceDate'].slice(3, 5) === '01').map((r) => r['*InvoiceNumber'])).size);
  });

  test('QuickBooks invoice list: title lines, windows-1252, "$1,250.00", "($85.00)" a credit, the TOTAL row left out', async () => {
    const { draft, summary } = loaded['quickbooks-invoice-list.csv'];
    assert.equal(draft.mapping.csv?.skipLines, 4);
    assert.equal(draft.mapping.csv?.encoding, 'windows-1252');
    assert.deepEqual(draft.mapping.skip, { order_date: ['TOTAL'] });
    assert.deepEqual(draft.mapping.dates, { order_date: 'MM/DD/YYYY' });
    assert.ok(draft.mapping.$comment.some((c) => /month first in every date column, as "Due date" shows/.test(c)));
    const text = new TextDecoder('windows-1252').decode(readFileSync(file('quickbooks-invoice-list.csv')));
    const all = records(text.split(/\r?\n/).slice(4).join('\n'));
    const rows = all.filter((r) => r.Date !== 'TOTAL');
    assert.equal(all.length - rows.length, 1);
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [all.length, rows.length, 0]);
    const sales = rows.filter((r) => !r.Amount.startsWith('('));
    const credited = rows.filter((r) => r.Amount.startsWith('(')).reduce((t, r) => t - dollars(r.Amount), 0);
    const revenue = sales.reduce((t, r) => t + dollars(r.Amount), 0);
    // The file's own TOTAL row is the net of its lines: the test's reading agrees with it.
    assert.equal(revenue - credited, dollars(all.find((r) => r.Date === 'TOTAL')!.Amount));
    assert.deepEqual(await salesOf('quickbooks-invoice-list'), {
      revenue,
      net: revenue - credited,
      orders: new Set(sales.map((r) => r['No.'])).size,
      customers: new Set(sales.map((r) => r.Customer)).size,
    });
    // Names read as windows-1252 arrive as the text the test decoded.
    const names = await load({ dimensions: ['customer_base.source_ids'], filters: [{ member: 'customer_base.source_id', operator: 'equals', values: ['Café Zoë'] }] });
    assert.equal(names.length, 1);
  });

  test('Pipedrive deals: the organization is the customer, "7,200" is 7200, won/lost/open from the status', async () => {
    const { draft } = loaded['pipedrive-deals.csv'];
    assert.equal(draft.entity, 'opportunities');
    assert.equal(draft.mapping.columns?.['Deal - Organization'], 'customer_ref');
    const rows = records(readFileSync(file('pipedrive-deals.csv'), 'utf8'));
    const value = (r: Record<string, string>): number => cents(Number(r['Deal - Value'].replace(/,/g, '')));
    const sum = (status: string): number => rows.filter((r) => r['Deal - Status'] === status).reduce((t, r) => t + value(r), 0);
    const [got] = await load({
      measures: ['pipeline.deals', 'pipeline.won_deals', 'pipeline.lost_deals', 'pipeline.won_value', 'pipeline.lost_value', 'pipeline.pipeline_value'],
      filters: [{ member: 'pipeline.opportunity_id', operator: 'equals', values: rows.map((r) => r['Deal - ID']) }],
    });
    assert.deepEqual(
      [Number(got['pipeline.deals']), Number(got['pipeline.won_deals']), Number(got['pipeline.lost_deals']), cents(Number(got['pipeline.won_value'])), cents(Number(got['pipeline.lost_value'])), cents(Number(got['pipeline.pipeline_value']))],
      [rows.length, rows.filter((r) => r['Deal - Status'] === 'Won').length, rows.filter((r) => r['Deal - Status'] === 'Lost').length, sum('Won'), sum('Lost'), sum('Open')],
    );
  });

  test('Zendesk tickets: every row a support ticket of its requester', async () => {
    const { draft, summary } = loaded['zendesk-tickets.csv'];
    assert.equal(draft.entity, 'interactions');
    assert.equal(draft.mapping.constants?.type, 'support_ticket');
    const rows = records(readFileSync(file('zendesk-tickets.csv'), 'utf8'));
    assert.deepEqual([summary.loaded, summary.rejected], [rows.length, 0]);
    const [got] = await load({
      measures: ['engagement.interactions', 'engagement.interacting_customers'],
      dimensions: ['engagement.interaction_type'],
      filters: [{ member: 'engagement.interaction_id', operator: 'equals', values: rows.map((r) => r.Id) }],
    });
    assert.deepEqual(
      [got['engagement.interaction_type'], Number(got['engagement.interactions']), Number(got['engagement.interacting_customers'])],
      ['support_ticket', rows.length, new Set(rows.map((r) => r['Requester id'])).size],
    );
  });

  test('PayPal activity: Gross per currency, a refund row a credit, conversions and withdrawals left out', async () => {
    const { draft, summary, unedited } = loaded['paypal-activity.csv'];
    assert.equal(draft.mapping.source, 'paypal');
    assert.deepEqual([draft.mapping.columns?.Gross, draft.mapping.columns?.['From Email Address'], draft.mapping.orders], ['amount', 'customer_ref', { by: 'line' }]);
    assert.ok(draft.mapping.$comment.some((c) => /currency: several \(USD, EUR\); add currency\.rates for USD to EUR/.test(c)));
    const rows = records(readFileSync(file('paypal-activity.csv'), 'utf8'));
    const notSales = (r: Record<string, string>): boolean => /Conversion|Withdrawal/.test(r.Type);
    const kept = rows.filter((r) => !notSales(r));
    // Unedited: every USD row is a reject that names its line and the currency; the EUR rows load.
    const usdLines = rows.map((r, i) => ({ r, line: i + 2 })).filter(({ r }) => !notSales(r) && r.Currency === 'USD').map(({ line }) => line);
    assert.deepEqual(unedited!.rejects.map((x) => [x.line, x.field]), usdLines.map((l) => [l, 'currency']));
    assert.deepEqual([unedited!.valid, unedited!.skipped], [kept.length - usdLines.length, rows.length - kept.length]);
    // With the rate: the test's own conversion, cents × rate rounded half away from zero per row.
    const eur = (r: Record<string, string>): number => {
      const c = Math.abs(cents(Number(r.Gross.replace(/,/g, ''))));
      return r.Currency === 'USD' ? Math.round(c * USD_TO_EUR) : c;
    };
    const sales = kept.filter((r) => r.Status === 'Completed' && !r.Gross.startsWith('-'));
    const refunds = kept.filter((r) => r.Gross.startsWith('-'));
    assert.deepEqual([sales.length, refunds.length], [4, 1]);
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [rows.length, kept.length, 0]);
    const revenue = sales.reduce((t, r) => t + eur(r), 0);
    assert.deepEqual(await salesOf('paypal'), {
      revenue,
      net: revenue - refunds.reduce((t, r) => t + eur(r), 0),
      orders: sales.length,
      customers: new Set(sales.map((r) => r['From Email Address'])).size,
    });
  });
});
