/**
 * Real exports load through `detect`'s draft, unedited: every fixture under
 * test/fixtures/ingest/exports/ is detected, loaded with the draft into an embedded warehouse, and
 * the semantic layer (a real Cube) answers revenue, orders, customers and won/lost deal value equal
 * to what this test computes by reading the fixture itself. The CDNOW purchase log
 * (../shared/data/cdnow) goes through the CLI (`npm run ingest -- detect --out`) and must give the
 * published counts; it is skipped with a message when the data is absent.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
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
import { fixture, one } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CDNOW = join(ROOT, '../shared/data/cdnow/CDNOW_sample.txt');
const exports = (name: string): string => fixture(`exports/${name}`);

let tw: TestWarehouse;
let semantic: SemanticServer;
let token: string;
const dir = mkdtempSync(join(tmpdir(), 'detect-load-'));
const summaries: Record<string, IngestSummary> = {};

/** What a user does: detect, save the draft untouched, load with it. */
async function detectAndLoad(name: string, file = exports(name)): Promise<IngestSummary> {
  const draft = proposeMapping(await readSample(file), { baseCurrency: 'EUR' });
  const mappingFile = join(dir, `${name}.mapping.json`);
  writeFileSync(mappingFile, JSON.stringify(draft.mapping, null, 2));
  const summary = await ingestFile(tw.warehouse, { entity: draft.entity, file, mapping: mappingFile, rejectsFile: join(dir, `${name}.rejects.csv`) });
  assert.equal(summary.status, 'completed', `${name}: ${summary.error ?? ''}`);
  summaries[name] = summary;
  return summary;
}

type Row = Record<string, string | null>;
const load = (query: object): Promise<Row[]> => loadRows<Row>(semantic, token, query);

const cents = (n: number): number => Math.round(n * 100);
/** Stock codes of the Online Retail file that are not products (postage, Amazon fees, manual entries, discounts, bad-debt adjustments). */
const NON_PRODUCTS = ['POST', 'DOT', 'AMAZONFEE', 'BANK CHARGES', 'M', 'D', 'B'];

interface Sales {
  revenue: number;
  net: number;
  orders: number;
  customers: number;
}

/** Sales view answers for one source. */
async function salesOf(source: string): Promise<Sales> {
  const [r] = await load({
    measures: ['sales.revenue', 'sales.net_revenue', 'sales.orders', 'sales.active_customers'],
    filters: [{ member: 'sales.source', operator: 'equals', values: [source] }],
  });
  return { revenue: cents(Number(r['sales.revenue'])), net: cents(Number(r['sales.net_revenue'])), orders: Number(r['sales.orders']), customers: Number(r['sales.active_customers']) };
}

/** Expected sales from lines the test read itself: paid = completed or refunded (refunds counted in revenue, not in net). */
function expectSales(lines: { order: string; customer: string; amount: number; status: 'completed' | 'refunded' | 'other' }[]): Sales {
  const paid = lines.filter((l) => l.status !== 'other');
  return {
    revenue: paid.reduce((s, l) => s + cents(l.amount), 0),
    net: paid.filter((l) => l.status === 'completed').reduce((s, l) => s + cents(l.amount), 0),
    orders: new Set(paid.map((l) => l.order)).size,
    customers: new Set(paid.map((l) => l.customer)).size,
  };
}

/** Header → value objects from a comma CSV (the test's own reading of the fixture). */
function records(name: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(exports(name), 'utf8')).filter((r) => r.length > 1);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  for (const name of ['headerless.csv', 'whitespace.txt', 'german-semicolon.csv', 'excel-bom-crlf.csv', 'shopify-orders.csv', 'stripe-charges.csv', 'hubspot-contacts.csv', 'hubspot-deals.csv', 'salesforce-contacts.csv', 'salesforce-opportunities.csv']) {
    await detectAndLoad(name);
  }
  // Invoice lines priced per unit, with cancelled invoices and lines without a customer: loads with rejects by design.
  await detectAndLoad('online-retail.csv');
  // The same export with its postage, fee and manual lines left out by the mapping's "skip", as another source.
  const draft = JSON.parse(readFileSync(join(dir, 'online-retail.csv.mapping.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'products.mapping.json'), JSON.stringify({ ...draft, skip: { product_id: NON_PRODUCTS } }));
  summaries.products = await ingestFile(tw.warehouse, { entity: 'transactions', file: exports('online-retail.csv'), mapping: join(dir, 'products.mapping.json'), source: 'online-retail-products', rejectsFile: false });
  // A Parquet export with its own names and types, written by the engine: 30 orders of 10 customers, every 7th refunded.
  const res = await tw.warehouse.client.exec({
    query: `SELECT concat('P-', toString(number)) AS order_number, concat('K', toString(number % 10)) AS client_id,
              toDateTime('2024-01-01 00:00:00', 'UTC') + number * 36000 AS ordered_at, toDecimal64(number * 3, 2) + toDecimal64('0.99', 2) AS total,
              if(number % 7 = 3, 'refunded', 'paid') AS payment_status
            FROM numbers(30) FORMAT Parquet`,
    clickhouse_settings: { output_format_parquet_string_as_string: 1 },
  });
  await pipeline(res.stream, createWriteStream(join(dir, 'shop-orders.parquet')));
  await detectAndLoad('shop-orders.parquet', join(dir, 'shop-orders.parquet'));
  if (existsSync(CDNOW)) {
    // The CLI as a user runs it: the draft goes to a file, nothing is edited.
    const out = join(dir, 'cdnow.mapping.json');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'ingest/cli.ts'), 'detect', CDNOW, '--out', out, '--rows', '3'], { cwd: ROOT });
    const summary = await ingestFile(tw.warehouse, { entity: 'transactions', file: CDNOW, mapping: out, rejectsFile: false });
    assert.equal(summary.status, 'completed', summary.error);
    summaries.cdnow = summary;
  }
  await refreshDerived(tw.warehouse.client, tw.config.database);
  const secret = 'detect-load-test-secret-0123456789';
  semantic = await startSemanticOver(tw, { apiSecret: secret });
  token = issueToken({ role: 'executive', name: 'Test', secret });
});

after(async () => {
  await semantic?.close();
  await tw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('exports load through the detect draft and the semantic layer agrees with the files', () => {
  test('every fixture loads without a reject', () => {
    for (const [name, s] of Object.entries(summaries)) {
      if (name === 'cdnow' || name === 'online-retail.csv' || name === 'products') continue;
      assert.deepEqual([s.rejected, s.loaded > 0], [0, true], `${name}: ${s.rejects.map((r) => r.reason).join('; ')}`);
    }
  });

  test('headerless CSV: one order per customer and time', async () => {
    const lines = readFileSync(exports('headerless.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const want = expectSales(lines.map(([customer, at, , , amount]) => ({ order: `${customer}@${at}`, customer, amount: Number(amount), status: 'completed' as const })));
    assert.equal(want.orders, 10); // 12 lines: C-1002 bought two lines at once, C-1004 the same line twice at once
    assert.deepEqual(await salesOf('headerless'), want);
  });

  test('whitespace-separated: identical lines stay two purchases', async () => {
    const [, ...lines] = readFileSync(exports('whitespace.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/));
    const want = expectSales(lines.map(([customer, date, , amount]) => ({ order: `${customer}@${date}`, customer, amount: Number(amount), status: 'completed' as const })));
    assert.deepEqual(await salesOf('whitespace'), want);
    const stored = await one<{ n: string }>(tw.warehouse, `SELECT count() AS n FROM ${tw.config.database}.transactions FINAL WHERE source = 'whitespace'`);
    assert.equal(Number(stored.n), lines.length);
  });

  test('German semicolons, decimal commas, windows-1252', async () => {
    const text = new TextDecoder('windows-1252').decode(readFileSync(exports('german-semicolon.csv')));
    const [, ...lines] = text.trim().split(/\r?\n/).map((l) => l.split(';'));
    const status = (s: string) => (s === 'Abgeschlossen' ? 'completed' : s === 'Erstattet' ? 'refunded' : 'other') as 'completed' | 'refunded' | 'other';
    const want = expectSales(lines.map(([order, customer, , st, amount]) => ({ order, customer, amount: Number(amount.replace(/\./g, '').replace(',', '.')), status: status(st) })));
    assert.deepEqual(await salesOf('german-semicolon'), want);
    // Umlauts read as windows-1252 arrive as the same text the test decoded.
    const products = await load({ dimensions: ['product_sales.product_name'], filters: [{ member: 'product_sales.product_name', operator: 'equals', values: lines.map((l) => l[7]) }] });
    assert.deepEqual(products.map((r) => r['product_sales.product_name']).sort(), [...new Set(lines.map((l) => l[7]))].sort());
  });

  test('Excel CSV with BOM and CR LF, thousands separators and M/D/YYYY times', async () => {
    const rows = records('excel-bom-crlf.csv');
    const status = (s: string) => (s === 'Completed' ? 'completed' : s === 'Refunded' ? 'refunded' : 'other') as 'completed' | 'refunded' | 'other';
    const want = expectSales(rows.map((r) => ({ order: r['Order ID'], customer: r['Customer ID'], amount: Number(r.Amount.replace(/,/g, '')), status: status(r.Status) })));
    assert.deepEqual(await salesOf('excel-bom-crlf'), want);
    const [first] = await load({ measures: ['sales.orders'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month' }], filters: [{ member: 'sales.source', operator: 'equals', values: ['excel-bom-crlf'] }], order: { 'sales.order_date': 'asc' } });
    assert.equal(String(first['sales.order_date.month']).slice(0, 7), '2024-01');
  });

  test('Shopify orders: lines grouped by order Name, the order status and refunded amount on its first line only', async () => {
    const rows = records('shopify-orders.csv');
    const orderStatus = new Map<string, string>();
    for (const r of rows) if (r['Financial Status']) orderStatus.set(r.Name, r['Financial Status']);
    const status = (s: string | undefined) => (s === 'paid' || s === 'partially_refunded' ? 'completed' : s === 'refunded' ? 'refunded' : 'other') as 'completed' | 'refunded' | 'other';
    const want = expectSales(rows.map((r) => ({ order: r.Name, customer: r.Email, amount: Number(r['Lineitem price']) * Number(r['Lineitem quantity']), status: status(orderStatus.get(r.Name)) })));
    // A partially refunded order's "Refunded Amount" (on its first line) leaves net revenue once.
    const partly = rows.filter((r) => r['Financial Status'] === 'partially_refunded').reduce((t, r) => t + cents(Number(r['Refunded Amount'])), 0);
    assert.ok(partly > 0);
    assert.deepEqual(await salesOf('shopify'), { ...want, net: want.net - partly });
  });

  test('invoice lines priced per unit (UCI Online Retail shape): amount = UnitPrice × Quantity; cancelled invoices are credits that reduce net revenue and are not orders', async () => {
    const rows = records('online-retail.csv');
    // The test's own reading: a price in millionths (no float), × quantity, rounded half away from zero to cents.
    const micros = (p: string): bigint => {
      const [whole, frac = ''] = p.replace('-', '').split('.');
      return BigInt(whole) * 1_000_000n + BigInt((frac + '000000').slice(0, 6));
    };
    const lineCents = (r: Record<string, string>): number => {
      const m = micros(r.UnitPrice) * BigInt(r.Quantity.replace('-', ''));
      return Number(m / 10_000n + (m % 10_000n >= 5_000n ? 1n : 0n));
    };
    const withCustomer = rows.filter((r) => r.CustomerID !== '');
    const isCredit = (r: Record<string, string>): boolean => r.Quantity.startsWith('-') || r.UnitPrice.startsWith('-');
    const sales = withCustomer.filter((r) => !isCredit(r));
    const credits = withCustomer.filter(isCredit);
    assert.deepEqual([sales.length, credits.length], [28, 6]);
    const s = summaries['online-retail.csv'];
    assert.deepEqual([s.read, s.loaded, s.rejected], [rows.length, withCustomer.length, rows.length - withCustomer.length]);
    assert.ok(!s.warnings.some((w) => /return\/credit/.test(w)), s.warnings.join('; '));
    const gross = sales.reduce((t, r) => t + lineCents(r), 0);
    const credited = credits.reduce((t, r) => t + lineCents(r), 0);
    // Orders and active customers are purchases only: C536391's customer (17548) returned goods and bought nothing here.
    const want = { revenue: gross, net: gross - credited, orders: new Set(sales.map((r) => r.InvoiceNo)).size, customers: new Set(sales.map((r) => r.CustomerID)).size };
    assert.deepEqual(await salesOf('online-retail'), want);
    // The cockpit's orders drill lists purchases the way sales.orders counts them (web/src/lib/drills.ts).
    const listed = await load({ dimensions: ['sales.order_id'], filters: [{ member: 'sales.source', operator: 'equals', values: ['online-retail'] }, { member: 'sales.order_lines', operator: 'gt', values: ['0'] }] });
    assert.deepEqual(listed.map((r) => r['sales.order_id']).sort(), [...new Set(sales.map((r) => r.InvoiceNo))].sort());
    const [refunds] = await load({ measures: ['sales.refunds', 'sales.items_sold'], filters: [{ member: 'sales.source', operator: 'equals', values: ['online-retail'] }] });
    assert.deepEqual(
      [cents(Number(refunds['sales.refunds'])), Number(refunds['sales.items_sold'])],
      [credited, sales.reduce((t, r) => t + Number(r.Quantity), 0)],
    );
    // Quantity above 1 is priced per unit: 0.065 × 1000 is 65.00 (a price rounded to cents first would give 70.00).
    const line = await one<{ amount: string; n: string }>(
      tw.warehouse,
      `SELECT toString(sum(amount)) AS amount, toString(count()) AS n FROM ${tw.config.database}.transactions FINAL WHERE source = 'online-retail' AND product_id = '21166'`,
    );
    assert.deepEqual([line.amount, line.n], ['65', '1']);
    // Two identical lines of one invoice stay two lines; a credit line is stored with status credit and positive amount and quantity.
    const twice = await one<{ n: string }>(tw.warehouse, `SELECT toString(count()) AS n FROM ${tw.config.database}.transactions FINAL WHERE source = 'online-retail' AND product_id = '22927'`);
    assert.equal(twice.n, '2');
    const credit = await one<{ status: string; amount: string; quantity: string }>(
      tw.warehouse,
      `SELECT status, toString(amount) AS amount, toString(quantity) AS quantity FROM ${tw.config.database}.transactions FINAL WHERE source = 'online-retail' AND order_id = 'C537810'`,
    );
    assert.deepEqual(credit, { status: 'credit', amount: '72', quantity: '100' });

    // "skip": the non-product lines are neither loaded nor rejected, and the summary counts them.
    const isProduct = (r: Record<string, string>): boolean => !NON_PRODUCTS.includes(r.StockCode);
    const p = summaries.products;
    assert.equal(p.status, 'completed', p.error);
    const left = rows.filter((r) => !isProduct(r)).length;
    assert.deepEqual([p.read, p.loaded, p.rejected], [rows.length, withCustomer.filter(isProduct).length, rows.filter((r) => isProduct(r) && r.CustomerID === '').length]);
    assert.ok(p.warnings.includes(`${left} rows left out by the mapping's "skip" (neither loaded nor rejected)`), p.warnings.join('; '));
    const pSales = sales.filter(isProduct);
    const pCredited = credits.filter(isProduct).reduce((t, r) => t + lineCents(r), 0);
    const pGross = pSales.reduce((t, r) => t + lineCents(r), 0);
    assert.deepEqual(await salesOf('online-retail-products'), {
      revenue: pGross,
      net: pGross - pCredited,
      orders: new Set(pSales.map((r) => r.InvoiceNo)).size,
      customers: new Set(pSales.map((r) => r.CustomerID)).size,
    });

    // The line cube agrees: net = completed lines less credit lines (both loads share the invoice numbers).
    const invoices = [...new Set(withCustomer.map((r) => r.InvoiceNo))];
    const [lines] = await load({ measures: ['product_sales.line_revenue', 'product_sales.line_net_revenue'], filters: [{ member: 'product_sales.order_id', operator: 'equals', values: invoices }] });
    assert.deepEqual(
      [cents(Number(lines['product_sales.line_revenue'])), cents(Number(lines['product_sales.line_net_revenue']))],
      [gross + pGross, gross - credited + pGross - pCredited],
    );
  });

  test('Stripe charges: paid and refunded charges are sales, failed ones are not; a partial refund lowers net revenue by its amount', async () => {
    const rows = records('stripe-charges.csv');
    const status = (s: string) => (s === 'Paid' ? 'completed' : s === 'Refunded' ? 'refunded' : 'other') as 'completed' | 'refunded' | 'other';
    const want = expectSales(rows.map((r) => ({ order: r['Invoice ID'], customer: r['Customer ID'], amount: Number(r.Amount), status: status(r.Status) })));
    // Refunded in part: the charge stays a sale (gross, orders) and only its refunded part leaves net revenue.
    const partial = rows.filter((r) => r.Status === 'Paid' && Number(r['Amount Refunded']) > 0);
    assert.equal(partial.length, 1);
    want.net -= partial.reduce((t, r) => t + cents(Number(r['Amount Refunded'])), 0);
    assert.deepEqual(await salesOf('stripe'), want);
    // Refunded in full: the line is refunded and its credit line is written with 0 (it replaces an earlier partial refund's).
    const full = rows.filter((r) => ['Paid', 'Refunded'].includes(r.Status) && Number(r['Amount Refunded']) > 0 && Number(r['Amount Refunded']) === Number(r.Amount));
    assert.deepEqual([summaries['stripe-charges.csv'].read, summaries['stripe-charges.csv'].loaded], [rows.length, rows.length + partial.length + full.length]);
  });

  test('Parquet with its own column names and types', async () => {
    const lines = Array.from({ length: 30 }, (_, n) => ({ order: `P-${n}`, customer: `K${n % 10}`, amount: n * 3 + 0.99, status: (n % 7 === 3 ? 'refunded' : 'completed') as 'completed' | 'refunded' }));
    assert.deepEqual(await salesOf('shop-orders'), expectSales(lines));
  });

  for (const [name, ids, stage] of [
    ['hubspot-deals.csv', 'Record ID', 'Deal Stage'],
    ['salesforce-opportunities.csv', 'Id', 'StageName'],
  ] as const) {
    test(`${name}: deals, won and lost value`, async () => {
      const rows = records(name);
      const sum = (re: RegExp) => rows.filter((r) => re.test(r[stage])).reduce((s, r) => s + cents(Number(r.Amount)), 0);
      const [got] = await load({
        measures: ['pipeline.deals', 'pipeline.won_deals', 'pipeline.lost_deals', 'pipeline.won_value', 'pipeline.lost_value', 'pipeline.pipeline_value'],
        filters: [{ member: 'pipeline.opportunity_id', operator: 'equals', values: rows.map((r) => r[ids]) }],
      });
      assert.deepEqual(
        [Number(got['pipeline.deals']), Number(got['pipeline.won_deals']), Number(got['pipeline.lost_deals']), cents(Number(got['pipeline.won_value'])), cents(Number(got['pipeline.lost_value'])), cents(Number(got['pipeline.pipeline_value']))],
        [rows.length, rows.filter((r) => /Won/.test(r[stage])).length, rows.filter((r) => /Lost/.test(r[stage])).length, sum(/Won/), sum(/Lost/), sum(/^(?!Closed)/)],
      );
    });
  }

  for (const [name, created, toDay] of [
    ['hubspot-contacts.csv', 'Create Date', (v: string) => v.slice(0, 10)],
    ['salesforce-contacts.csv', 'Created Date', (v: string) => { const [m, d, y] = v.split('/'); return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`; }],
  ] as const) {
    test(`${name}: one customer per contact, with its sign-up day and its deals' customer`, async () => {
      const rows = records(name);
      const got = await load({
        dimensions: ['customer_base.email', 'customer_base.signup_date'],
        measures: ['customer_base.customers'],
        filters: [{ member: 'customer_base.email', operator: 'equals', values: rows.map((r) => r.Email) }],
      });
      const byEmail = Object.fromEntries(got.map((r) => [String(r['customer_base.email']), String(r['customer_base.signup_date']).slice(0, 10)]));
      assert.deepEqual(byEmail, Object.fromEntries(rows.map((r) => [r.Email, toDay(r[created])])));
      assert.ok(got.every((r) => Number(r['customer_base.customers']) === 1));
    });
  }

  test('deals find the contacts they name: same source, the contact\'s customer', async () => {
    const db = tw.config.database;
    const r = await one<{ deals: string; linked: string }>(
      tw.warehouse,
      `SELECT count() AS deals, countIf(c.customer_id = o.customer_id) AS linked
       FROM ${db}.opportunities AS o FINAL
       LEFT JOIN (SELECT source, source_id, customer_id FROM ${db}.customer_records FINAL) AS c ON c.source = o.source AND c.source_id = o.customer_ref
       WHERE o.source IN ('hubspot', 'salesforce')`,
    );
    const deals = records('hubspot-deals.csv').length + records('salesforce-opportunities.csv').length;
    assert.deepEqual([Number(r.deals), Number(r.linked)], [deals, deals]);
  });
});

describe('CDNOW purchase log through `ingest detect`', { skip: existsSync(CDNOW) ? false : `${CDNOW} is absent (../shared/data beside the repository)` }, () => {
  test('the draft loads 6,919 lines, 6,696 orders, 2,357 customers, revenue 244,091.94', async () => {
    // The test's own reading: whitespace-separated, customer, (unused), YYYYMMDD, CDs, dollars.
    const lines = readFileSync(CDNOW, 'utf8').split(/\r?\n/).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/));
    const want = {
      lines: lines.length,
      orders: new Set(lines.map(([c, , d]) => `${c}@${d}`)).size,
      customers: new Set(lines.map(([c]) => c)).size,
      revenue: lines.reduce((s, l) => s + cents(Number(l[4])), 0),
    };
    assert.deepEqual(want, { lines: 6919, orders: 6696, customers: 2357, revenue: 24409194 });
    const stored = await one<{ lines: string; orders: string; customers: string; revenue: string }>(
      tw.warehouse,
      `SELECT count() AS lines, uniqExact(order_id) AS orders, uniqExact(customer_id) AS customers, toString(sum(amount)) AS revenue
       FROM ${tw.config.database}.transactions FINAL WHERE source = 'cdnow-sample'`,
    );
    assert.deepEqual({ lines: Number(stored.lines), orders: Number(stored.orders), customers: Number(stored.customers), revenue: cents(Number(stored.revenue)) }, want);
    assert.deepEqual(await salesOf('cdnow-sample'), { revenue: want.revenue, net: want.revenue, orders: want.orders, customers: want.customers });
  });
});
