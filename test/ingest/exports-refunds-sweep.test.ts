/**
 * The third sweep of real export shapes, each through `detect`'s draft and answered by a real Cube
 * over an embedded warehouse, against this test's own reading of the fixture:
 * - Shopify's orders export with order-level refunds (`Refunded Amount` on the order's first line,
 *   the later lines repeating the order): an export taken before the refunds, then one taken after,
 *   then the same again, nets each refund once per order — as loading the later export alone does;
 * - Xero invoices in several currencies (a `Currency` column): each row converted by its own
 *   currency's rate, and a currency without a rate a reject naming the line and the field;
 * - PayPal's activity download, January's then February's: a refund row names the merchant as its
 *   sender; matched to its payment by Reference Txn ID (in the same download or an earlier one) it
 *   is the buyer's credit, and a refund of a payment never loaded is a reject;
 * - QuickBooks' Sales by Customer Detail: rows grouped under customer headings, "Total for …"
 *   lines, a footer; the draft carries each heading down (csv.groupHeading) and the load does it;
 * - Mailchimp's unsubscribed-members export: each row a withdrawal of e-mail marketing consent.
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
const dir = mkdtempSync(join(tmpdir(), 'exports-refunds-'));
const drafts: Record<string, Draft> = {};
const summaries: Record<string, IngestSummary> = {};
/** Rates a user adds to the Xero draft (to EUR); GBP is left without one on purpose. */
const XERO_RATES = { NZD: 0.56, AUD: 0.61, USD: 0.92 };
const USD_TO_EUR = 0.92;
const PAYPAL = ['paypal-activity.csv', 'paypal-activity-2024-02.csv'];
/** PayPal rows that move money without selling anything (the draft's "skip" leaves them out). */
const notSale = (r: Record<string, string>): boolean => /Conversion|Withdrawal/.test(r.Type);

async function draftOf(name: string): Promise<Draft> {
  drafts[name] ??= proposeMapping(await readSample(file(name)), { baseCurrency: 'EUR' });
  return drafts[name];
}

/** What a user does: detect, save the draft (with `edit` the one change its $comment asks for, if any), load. */
async function detectAndLoad(name: string, opts: { as?: string; source?: string; draft?: Draft; edit?: (m: Draft['mapping']) => Draft['mapping'] } = {}): Promise<IngestSummary> {
  const draft = opts.draft ?? (await draftOf(name));
  const mappingFile = join(dir, `${opts.as ?? name}.mapping.json`);
  writeFileSync(mappingFile, JSON.stringify(opts.edit ? opts.edit(draft.mapping) : draft.mapping, null, 2));
  const summary = await ingestFile(tw.warehouse, { entity: draft.entity, file: file(name), mapping: mappingFile, source: opts.source, rejectsFile: false });
  assert.equal(summary.status, 'completed', `${name}: ${summary.error ?? ''}`);
  summaries[opts.as ?? name] = summary;
  return summary;
}

type Row = Record<string, string | null>;
const load = (query: object): Promise<Row[]> => loadRows<Row>(semantic, token, query);

const cents = (v: string | number): number => Math.round(Number(String(v).replace(/,/g, '')) * 100);

/** Header → value objects of a CSV text. */
function records(name: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(file(name), 'utf8')).filter((r) => r.length > 1);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

async function salesOf(source: string): Promise<{ revenue: number; net: number; orders: number; customers: number }> {
  const [r] = await load({
    measures: ['sales.revenue', 'sales.net_revenue', 'sales.orders', 'sales.active_customers'],
    filters: [{ member: 'sales.source', operator: 'equals', values: [source] }],
  });
  return { revenue: cents(r['sales.revenue']!), net: cents(r['sales.net_revenue']!), orders: Number(r['sales.orders']), customers: Number(r['sales.active_customers']) };
}

/**
 * The test's reading of a Shopify orders export: an order's lines are price × quantity; its
 * financial status and Refunded Amount are on its first line; a paid order's net is its lines less
 * what was refunded of it.
 */
function shopifyExpected(name: string): { revenue: number; net: number; orders: number; customers: number } {
  const orders = new Map<string, { status: string; refunded: number; lines: number; customer: string }>();
  for (const r of records(name)) {
    let o = orders.get(r.Name);
    if (!o) orders.set(r.Name, (o = { status: r['Financial Status'], refunded: cents(r['Refunded Amount']), lines: 0, customer: r.Email }));
    o.lines += cents(r['Lineitem price']) * Number(r['Lineitem quantity']);
  }
  const paid = [...orders.values()].filter((o) => ['paid', 'partially_refunded', 'refunded'].includes(o.status));
  return {
    revenue: paid.reduce((t, o) => t + o.lines, 0),
    net: paid.reduce((t, o) => t + o.lines - o.refunded, 0),
    orders: paid.length,
    customers: new Set(paid.map((o) => o.customer)).size,
  };
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  // Shopify: the export before the refunds, the one after, the one after again (source "shopify");
  // and the one after alone as another source: both must answer the same.
  await detectAndLoad('shopify-orders-before-refunds.csv');
  await detectAndLoad('shopify-orders-after-refunds.csv');
  await detectAndLoad('shopify-orders-after-refunds.csv', { as: 'shopify-again' });
  await detectAndLoad('shopify-orders-after-refunds.csv', { as: 'shopify-after-only', source: 'shopify-after-only' });
  // Xero in several currencies: the draft asks for rates; the user adds those of NZD, AUD and USD.
  await detectAndLoad('xero-invoices-multicurrency.csv', { edit: (m) => ({ ...m, currency: { ...m.currency, rates: XERO_RATES } }) });
  // PayPal: two currencies; the draft names the rate it needs and the user adds it (the one edit).
  for (const name of PAYPAL) await detectAndLoad(name, { edit: (m) => ({ ...m, currency: { rates: { USD: USD_TO_EUR } } }) });
  await detectAndLoad('quickbooks-sales-by-customer-detail.csv');
  // Mailchimp: the audience export as customers (detect --entity customers), then as consents.
  drafts['mailchimp-members'] = proposeMapping(await readSample(file('mailchimp-unsubscribed-members.csv')), { baseCurrency: 'EUR', entity: 'customers' });
  await detectAndLoad('mailchimp-unsubscribed-members.csv', { as: 'mailchimp-members', draft: drafts['mailchimp-members'] });
  await detectAndLoad('mailchimp-unsubscribed-members.csv');
  await detectAndLoad('mailchimp-unsubscribed-members.csv', { as: 'mailchimp-again' });
  await refreshDerived(tw.warehouse.client, tw.config.database);
  const secret = 'exports-refunds-test-secret-0123456789';
  semantic = await startSemanticOver(tw, { apiSecret: secret });
  token = issueToken({ role: 'executive', name: 'Test', secret });
});

after(async () => {
  await semantic?.close();
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export shapes of the third sweep load through the unedited detect draft', () => {
  test('Shopify order-level refunds: the draft reads "Refunded Amount" as the order\'s', async () => {
    const draft = await draftOf('shopify-orders-after-refunds.csv');
    assert.equal(draft.mapping.source, 'shopify');
    assert.equal(draft.mapping.columns?.['Refunded Amount'], 'order_refunded_amount');
    assert.ok(draft.mapping.$comment.some((c) => /"Refunded Amount" is the whole order's/.test(c)));
    // Dry run: one credit line per refunded order beside the file's lines, nothing rejected.
    const preview = await dryRun(file('shopify-orders-after-refunds.csv'), 'transactions', draft.mapping, { previewRows: 0 });
    assert.equal(preview.rejects.length, 0);
  });

  test('Shopify: before, after and after again net each order\'s refund once, as the later export alone does', async () => {
    const rows = records('shopify-orders-after-refunds.csv');
    const refundedOrders = new Set(rows.filter((r) => cents(r['Refunded Amount'] || '0') > 0).map((r) => r.Name)).size;
    // The second load of the later export changes nothing.
    const again = summaries['shopify-again'];
    assert.deepEqual([again.read, again.loaded, again.updated, again.rejected], [rows.length, 0, 0, 0]);
    assert.deepEqual([summaries['shopify-after-only'].read, summaries['shopify-after-only'].loaded], [rows.length, rows.length + refundedOrders]);
    const want = shopifyExpected('shopify-orders-after-refunds.csv');
    // The before export's own reading differs (no refunds yet but #2004's price adjustment): the later export replaced it.
    assert.notDeepEqual(shopifyExpected('shopify-orders-before-refunds.csv').net, want.net);
    assert.deepEqual(await salesOf('shopify'), want);
    assert.deepEqual(await salesOf('shopify-after-only'), want);
  });

  test('Xero in several currencies: each row converted by its own rate; a currency without one is a reject naming line and field', async () => {
    const name = 'xero-invoices-multicurrency.csv';
    const draft = await draftOf(name);
    assert.ok(draft.mapping.$comment.some((c) => /currency: several \(NZD, AUD, USD, GBP\); add currency\.rates for NZD, AUD, USD, GBP to EUR/.test(c)), draft.mapping.$comment.join('\n'));
    const rows = records(name);
    const summary = summaries[name];
    const gbp = rows.map((r, i) => ({ r, line: i + 2 })).filter(({ r }) => r.Currency === 'GBP');
    assert.equal(gbp.length, 1);
    assert.deepEqual(
      summary.rejects.map((x) => [x.line, x.field]),
      gbp.map(({ line }) => [line, 'currency']),
    );
    assert.match(summary.rejects[0].reason, /line \d+, field currency: .*GBP/);
    assert.ok(summary.rejects[0].recordId !== '', 'the reject names the record');
    const rate = (code: string): number => XERO_RATES[code as keyof typeof XERO_RATES];
    const sold = rows.filter((r) => r.Currency !== 'GBP' && (r.Status === 'PAID' || r.Status === 'AUTHORISED'));
    const revenue = sold.reduce((t, r) => t + Math.round(cents(r.LineAmount) * rate(r.Currency)), 0);
    assert.deepEqual(await salesOf('xero-invoices-multicurrency'), {
      revenue,
      net: revenue,
      orders: new Set(sold.map((r) => r['*InvoiceNumber'])).size,
      customers: new Set(sold.map((r) => r['*ContactName'])).size,
    });
  });

  test('PayPal refunds: matched to their payment by Reference Txn ID, in the same download or an earlier one, they are the buyer\'s credits', async () => {
    const draft = await draftOf('paypal-activity.csv');
    assert.equal(draft.mapping.columns?.['Reference Txn ID'], 'reference_id');
    assert.ok(draft.mapping.$comment.some((c) => /credit line of the buyer/.test(c)));
    const files = PAYPAL.map((name) => records(name).map((r, i) => ({ r, line: i + 2, name })));
    const all = files.flat().filter(({ r }) => !notSale(r));
    const eur = (r: Record<string, string>): number => {
      const c = Math.abs(cents(r.Gross));
      return r.Currency === 'USD' ? Math.round(c * USD_TO_EUR) : c;
    };
    const sales = all.filter(({ r }) => r.Status === 'Completed' && !r.Gross.startsWith('-'));
    const saleById = new Map(sales.map(({ r }) => [r['Transaction ID'], r]));
    const refunds = all.filter(({ r }) => r.Gross.startsWith('-'));
    // A refund whose payment is in neither download: the reject names its line and the field.
    const orphans = refunds.filter(({ r }) => !saleById.has(r['Reference Txn ID']));
    assert.deepEqual(orphans.map(({ name }) => name), ['paypal-activity-2024-02.csv']);
    const feb = summaries['paypal-activity-2024-02.csv'];
    assert.deepEqual(
      feb.rejects.map((x) => [x.line, x.field]),
      orphans.map(({ line }) => [line, 'reference_id']),
    );
    assert.match(feb.rejects[0].reason, /"0AB12345CD678901E" is the sale this credit reverses, and it is neither in this input nor loaded for source "paypal"/);
    // Each buyer's refunds: the matched refunds of the payments they made (one of them a January payment refunded in February).
    const matched = refunds.filter(({ r }) => saleById.has(r['Reference Txn ID']));
    const january = new Set(records(PAYPAL[0]).map((r) => r['Transaction ID']));
    assert.ok(matched.some(({ r, name }) => name === PAYPAL[1] && january.has(r['Reference Txn ID'])), 'a February refund of a January payment');
    const refundsOf = new Map<string, number>();
    // Every payer is a customer (a denied payment's too: customers come from facts), the merchant is not.
    for (const { r } of all) if (!r.Gross.startsWith('-')) refundsOf.set(r['From Email Address'], 0);
    for (const { r } of matched) {
      const buyer = saleById.get(r['Reference Txn ID'])!['From Email Address'];
      refundsOf.set(buyer, refundsOf.get(buyer)! + eur(r));
    }
    const customers = await load({
      dimensions: ['customer_base.source_id', 'customer_base.lifetime_refunds'],
      filters: [{ member: 'customer_base.source_system', operator: 'equals', values: ['paypal'] }],
    });
    // The merchant's own address is no customer: every customer is a payer, with the refunds of their payments.
    assert.deepEqual(
      Object.fromEntries(customers.map((c) => [c['customer_base.source_id'], cents(c['customer_base.lifetime_refunds'] ?? 0)])),
      Object.fromEntries(refundsOf),
    );
    const revenue = sales.reduce((t, { r }) => t + eur(r), 0);
    assert.deepEqual(await salesOf('paypal'), {
      revenue,
      net: revenue - matched.reduce((t, { r }) => t + eur(r), 0),
      orders: sales.length,
      customers: new Set(sales.map(({ r }) => r['From Email Address'])).size,
    });
  });

  test('QuickBooks Sales by Customer Detail: each customer heading carried down to its rows; headings, totals and the footer are not records', async () => {
    const name = 'quickbooks-sales-by-customer-detail.csv';
    const draft = await draftOf(name);
    assert.equal(draft.mapping.csv?.groupHeading, 'customer_ref');
    assert.equal(draft.mapping.csv?.skipLines, 4);
    // The "$" is written on the total lines only: it still says the currency.
    assert.deepEqual([draft.mapping.numbers?.currencySymbol, draft.mapping.currency?.default], ['$', 'USD']);
    // The test's own reading: after the title lines and the header, a line with its first cell alone
    // is a heading, one with the first cell empty a row of the last heading, "Total for X" X's net.
    const lines = parseCsv(readFileSync(file(name), 'utf8')).slice(5);
    const money = (v: string): number => cents(v.replace(/[$,]/g, ''));
    const byCustomer = new Map<string, { gross: number; refunds: number; total?: number }>();
    const orders = new Set<string>();
    let heading = '';
    let dataRows = 0;
    for (const cells of lines) {
      const [first, ...rest] = cells;
      if (first?.startsWith('Total for ')) byCustomer.get(first.slice('Total for '.length))!.total = money(cells[8]);
      else if (first && rest.every((c) => c === '')) byCustomer.set((heading = first), { gross: 0, refunds: 0 });
      else if (!first && rest.some((c) => c !== '')) {
        dataRows++;
        const c = byCustomer.get(heading)!;
        const amount = money(cells[8]);
        if (amount < 0) c.refunds -= amount;
        else {
          c.gross += amount;
          orders.add(cells[3]);
        }
      }
    }
    // The footer's timestamp reads like a heading with no rows: no customer of it.
    for (const [k, v] of byCustomer) if (v.total === undefined) byCustomer.delete(k);
    const summary = summaries[name];
    assert.deepEqual([summary.read, summary.loaded, summary.rejected], [dataRows, dataRows, 0]);
    assert.ok(summary.warnings.some((w) => /heading, total or empty rows of a grouped report left out/.test(w)));
    const got = await load({
      dimensions: ['customer_base.source_id', 'customer_base.lifetime_gross_revenue', 'customer_base.lifetime_refunds'],
      filters: [{ member: 'customer_base.source_system', operator: 'equals', values: ['quickbooks-sales-by-customer-detail'] }],
    });
    assert.deepEqual(
      Object.fromEntries(got.map((r) => [r['customer_base.source_id'], [cents(r['customer_base.lifetime_gross_revenue'] ?? 0), cents(r['customer_base.lifetime_refunds'] ?? 0)]])),
      Object.fromEntries([...byCustomer].map(([k, v]) => [k, [v.gross, v.refunds]])),
    );
    // Each customer's net is the report's own "Total for" line.
    for (const [k, v] of byCustomer) assert.equal(v.gross - v.refunds, v.total, k);
    const sales = await salesOf('quickbooks-sales-by-customer-detail');
    const gross = [...byCustomer.values()].reduce((t, v) => t + v.gross, 0);
    assert.deepEqual(sales, { revenue: gross, net: gross - [...byCustomer.values()].reduce((t, v) => t + v.refunds, 0), orders: orders.size, customers: byCustomer.size });
  });

  test('Mailchimp unsubscribed members: each address has withdrawn e-mail marketing consent, at UNSUB_TIME', async () => {
    const name = 'mailchimp-unsubscribed-members.csv';
    const draft = await draftOf(name);
    assert.equal(draft.entity, 'consents');
    assert.deepEqual(draft.mapping.constants, { status: 'withdrawn', purpose: 'marketing_email', channel: 'email_link' });
    assert.equal(draft.mapping.columns?.EUID, 'customer_ref');
    const members = drafts['mailchimp-members'].mapping;
    assert.deepEqual([members.columns?.EUID, members.columns?.['Email Address']], ['source_id', 'email']);
    const rows = records(name);
    assert.deepEqual([summaries[name].read, summaries[name].loaded, summaries[name].rejected], [rows.length, rows.length, 0]);
    assert.deepEqual([summaries['mailchimp-again'].loaded, summaries['mailchimp-again'].updated], [0, 0]);
    const got = await load({
      dimensions: ['customer_base.email', 'customer_base.granted_consents', 'customer_base.withdrawn_consents', 'customer_base.consent_changed_at'],
      filters: [{ member: 'customer_base.source_system', operator: 'equals', values: ['mailchimp'] }],
    });
    assert.deepEqual(
      Object.fromEntries(got.map((r) => [r['customer_base.email'], [r['customer_base.granted_consents'], r['customer_base.withdrawn_consents'], String(r['customer_base.consent_changed_at']).slice(0, 19)]])),
      Object.fromEntries(rows.map((r) => [r['Email Address'], ['||', '|marketing_email|', r.UNSUB_TIME.replace(' ', 'T')]])),
    );
  });
});
