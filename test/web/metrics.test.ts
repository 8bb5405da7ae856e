/**
 * One metric dictionary (issue 15, item 1), end to end in real Chromium on the whole product
 * (test/web/stack.ts: demo data, derived tables, scoring, Cube, web server — all real):
 * - every cockpit KPI shows the label the semantic layer's /v1/meta gives its measure and the
 *   value Cube answers for that measure and the same filters, asked here by hand (retention also
 *   recomputed in SQL from the paid orders, so the new measure is checked against its definition);
 * - each card's (i) opens from the keyboard with the layer's definition, the period and the comparison;
 * - the Definitions page lists every measure the cockpit uses, and its search narrows the list;
 * - value at risk is one number for one customer on the churn page, the customer page and the
 *   owner's digest (a real alert run writing to the outbox).
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { defaultRules } from '../../alerts/rules.ts';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { runAlerts } from '../../alerts/run.ts';
import { COCKPIT_KPIS, COCKPIT_MEASURES } from '../../web/src/lib/cockpit/kpis.ts';
import { formatCurrency } from '../../web/src/lib/format/format.ts';
import { buildDictionary, type MetaAnswer, type MetricDictionary } from '../../web/src/lib/metrics/dictionary.ts';
import { textPart } from '../alerts/support.ts';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const PASSWORD = 'demo1234';
let stack: ProductStack;
let browser: Browser;
let dict: MetricDictionary;
let asOf: string;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
const outDir = mkdtempSync(join(tmpdir(), 'crm-metrics-e2e-'));
/** Screenshots to look at (git-ignored). */
const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

const iso = (d: Date): string => d.toISOString().slice(0, 10);
/** "Last 12 full months" ending on or before `day`, and the 12 months before it: computed here, not with lib/periods. */
function fullMonths(day: string, back: number): [string, string] {
  const d = new Date(`${day}T00:00:00Z`);
  const monthEnd = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
  const end = iso(monthEnd) === day ? monthEnd : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 0));
  const to = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 12 * back + 1, 0));
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 11, 1));
  return [iso(from), iso(to)];
}

async function session(email: string, path = '/'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const { page, errors } = await watchedPage(context);
  page.on('close', () => pageErrors.push(...errors.map((e) => `${email} ${page.url()}: ${e}`)));
  await signIn(page, stack.baseUrl, email, PASSWORD, path);
  await settled(page);
  return page;
}

const num = (v: unknown): number => Number(v);
/** Equal up to the last bits: the engine adds floats in parallel, so a sum's last digit varies between two asks. */
function same(actual: number, expected: number, message: string): void {
  assert.ok(Number.isFinite(actual) && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${message}: expected ${expected}, got ${actual}`);
}

describe('one metric dictionary (Chromium, demo data)', { timeout: 1_800_000 }, () => {
  before(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(SHOTS, { recursive: true });
    stack = await startProductStack({ scale: 'small', log: (l) => process.env.WEB_E2E_LOG && process.stderr.write(`${l}\n`) });
    browser = await launchChromium();
    const exec = stack.token('executive');
    const res = await fetch(`${stack.semantic.url}/v1/meta`, { headers: { authorization: exec } });
    dict = buildDictionary((await res.json()) as MetaAnswer);
    const rows = await stack.load({ dimensions: ['customer_base.value_as_of'], filters: [{ member: 'customer_base.value_as_of', operator: 'set' }], limit: 1 }, exec);
    asOf = String(rows[0]['customer_base.value_as_of']).slice(0, 10);
  }, { timeout: 1_200_000 });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stack?.close();
    rmSync(outDir, { recursive: true, force: true });
    assert.deepEqual(pageErrors, [], 'console errors on the pages');
  });

  test('every cockpit KPI: the dictionary’s label, and the value Cube gives its measure for the same period', async () => {
    const exec = stack.token('executive');
    const [from, to] = fullMonths(asOf, 0);
    const [prevFrom, prevTo] = fullMonths(asOf, 1);
    const [basePrevFrom, basePrevTo] = fullMonths(asOf, 2);
    /** The expected value of a measure, asked of Cube by hand for the cockpit's default filters. */
    const expected = async (measure: string, range: [string, string] = [from, to], base: [string, string] = [prevFrom, prevTo]): Promise<number> => {
      const view = measure.split('.')[0];
      let q: Record<string, unknown> = { measures: [measure] };
      if (view === 'sales') q = { ...q, timeDimensions: [{ dimension: 'sales.order_date', dateRange: range }] };
      if (measure === 'pipeline.win_rate' || measure === 'pipeline.lost_value') q = { ...q, timeDimensions: [{ dimension: 'pipeline.closed_at', dateRange: range }] };
      if (measure === 'pipeline.pipeline_value') q = { ...q, filters: [{ member: 'pipeline.deal_status', operator: 'equals', values: ['open'] }] };
      if (view === 'customer_retention') q = { ...q, timeDimensions: [{ dimension: 'customer_retention.period', dateRange: range }, { dimension: 'customer_retention.base_period', dateRange: base }] };
      const [row] = await stack.load(q, exec);
      return num(row[measure]);
    };

    const page = await session('exec@demo.local');
    assert.equal(COCKPIT_KPIS.length, 13);
    for (const k of COCKPIT_KPIS) {
      const card = `[data-testid="${k.testid}"]`;
      const label = (await page.textContent(`${card} .label`))?.trim();
      const metric = dict.byName.get(k.measure);
      assert.ok(metric, `${k.measure} is in the semantic layer's /meta`);
      assert.equal(label, metric.label, `${k.testid}: the label is the dictionary's`);
      const shown = await page.getAttribute(card, 'data-value');
      assert.ok(shown !== null && shown !== '', `${k.testid} shows a value`);
      same(num(shown), await expected(k.measure), `${k.testid}: the value of ${k.measure}`);
    }
    // The words the issue asked for, as the layer defines them.
    assert.equal((await page.textContent('[data-testid="kpi-retention"] .label'))?.trim(), 'Retention');
    assert.equal((await page.textContent('[data-testid="kpi-repeat-purchase"] .label'))?.trim(), 'Repeat-purchase rate');
    assert.equal((await page.textContent('[data-testid="kpi-value-at-risk"] .label'))?.trim(), 'Value at risk');
    assert.equal((await page.textContent('[data-testid="kpi-aov"] .label'))?.trim(), 'Average order value');
    // The 180-day figure is dormant, not "lapsed" (the churn model's state, its own window).
    assert.equal((await page.textContent('[data-testid="kpi-churn-rate"] .label'))?.trim(), 'Dormancy rate (no order in 180 days)');
    assert.doesNotMatch((await page.textContent('[data-testid="kpis"]')) ?? '', /Revenue at risk/);

    // The comparison values: the 12 months before (retention: of the customers active the 12 months before those).
    for (const [id, measure] of [['kpi-revenue', 'sales.revenue'], ['kpi-aov', 'sales.average_order_value'], ['kpi-retention', 'customer_retention.retention_rate']] as const) {
      const prev = await page.getAttribute(`[data-testid="${id}"]`, 'data-previous');
      same(num(prev), await expected(measure, [prevFrom, prevTo], [basePrevFrom, basePrevTo]), `${id}: previous period`);
    }

    // Retention recomputed from the paid orders in SQL: customers with a paid order in the 12 months
    // before the period, and the share of them with one in the period.
    const db = stack.tw.config.database;
    const r = await stack.tw.warehouse.client.query({
      query: `SELECT countIf(b AND p) AS retained, countIf(b) AS base FROM (
                SELECT customer_id, max(toDate(order_date) BETWEEN {bf:Date} AND {bt:Date}) AS b, max(toDate(order_date) BETWEEN {pf:Date} AND {pt:Date}) AS p
                FROM ${db}.paid_orders_current GROUP BY customer_id)`,
      query_params: { bf: prevFrom, bt: prevTo, pf: from, pt: to },
      format: 'JSONEachRow',
    });
    const [{ retained, base }] = (await r.json()) as { retained: string; base: string }[];
    assert.ok(num(base) > 0 && num(retained) > 0 && num(retained) < num(base), `a real retention (${retained} of ${base})`);
    assert.equal(num(await page.getAttribute('[data-testid="kpi-retention"]', 'data-value')), num(retained) / num(base), 'retention = retained ÷ active in the previous period');
    // Not the repeat-purchase rate any more (the "Retention 96.6%").
    assert.notEqual(num(await page.getAttribute('[data-testid="kpi-retention"]', 'data-value')), num(await page.getAttribute('[data-testid="kpi-repeat-purchase"]', 'data-value')));
  });

  test('each card’s (i) opens from the keyboard with the definition, the period and the comparison', async () => {
    const page = await session('exec@demo.local');
    const [from, to] = fullMonths(asOf, 0);
    const day = (d: string): string => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    for (const k of COCKPIT_KPIS) {
      const info = page.getByTestId(`${k.testid}-info`);
      const help = page.getByTestId(`${k.testid}-help`);
      assert.equal(await help.isVisible(), false, `${k.testid}: closed at first`);
      await info.focus();
      await page.keyboard.press('Enter');
      assert.ok(await help.isVisible(), `${k.testid}: Enter opens the (i)`);
      const text = (await help.textContent()) ?? '';
      assert.ok(text.includes(dict.byName.get(k.measure)!.description), `${k.testid}: the layer's definition in "${text}"`);
      if (k.compare) {
        assert.ok(text.includes(`${day(from)} – ${day(to)}`), `${k.testid}: the period in "${text}"`);
        assert.match(text, /Compared with: (The previous period, |No data before)/, k.testid);
      } else assert.match(text, /snapshot as of/i, k.testid);
      if (k.testid === 'kpi-retention') await page.screenshot({ path: join(SHOTS, 'metrics-cockpit-retention-help.png') });
      await page.keyboard.press('Escape');
      assert.equal(await help.isVisible(), false, `${k.testid}: Escape closes it`);
    }
    // Reachable with Tab: the (i) buttons are in the tab order.
    assert.equal(await page.getByTestId('kpi-revenue-info').getAttribute('tabindex'), null);
    assert.equal(await page.getByTestId('kpi-revenue-info').evaluate((b) => (b as HTMLButtonElement).tabIndex), 0);
  });

  test('the Definitions page lists every measure the cockpit uses, in the layer’s words, and searches', async () => {
    const page = await session('owner01@demo.local', '/definitions');
    await page.waitForSelector('[data-testid="definition"]');
    for (const m of COCKPIT_MEASURES) {
      const entry = page.locator(`[data-testid="definition"][data-measure="${m}"]`);
      assert.equal(await entry.count(), 1, `${m} is listed once`);
      const text = (await entry.textContent()) ?? '';
      assert.ok(text.includes(dict.byName.get(m)!.label) && text.includes(dict.byName.get(m)!.description), `${m}: label and definition in "${text}"`);
    }
    await page.screenshot({ path: join(SHOTS, 'metrics-definitions.png') });
    const all = await page.locator('[data-testid="definition"]').count();
    assert.equal(all, dict.groups.reduce((n, g) => n + g.metrics.length, 0), 'every measure of the layer');
    await page.getByTestId('definitions-search').fill('value at risk');
    await page.waitForURL(/q=value/);
    const found = await page.locator('[data-testid="definition"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.measure));
    assert.ok(found.includes('customer_base.value_at_risk') && found.includes('customer_risk.value_at_risk'), found.join(', '));
    assert.ok(!found.includes('sales.revenue'), 'revenue does not mention value at risk');
    assert.ok(found.length < all);
  });

  test('value at risk: one number for one customer on the churn page, the customer page and the digest', async () => {
    // A real alert run (no SMTP: the digests are .eml files in an outbox).
    const dataDir = join(outDir, 'alerts');
    const run = await runAlerts({
      warehouse: stack.tw.warehouse,
      dataDir,
      config: { dataDir, outboxDir: join(dataDir, 'outbox'), from: 'alerts@crm.test', webhookSecret: 's', publicUrl: stack.baseUrl },
      rules: { ...defaultRules({}), owners: 'all', minValueAtRisk: 0, maxCustomersPerDigest: 500 },
      today: asOf,
      rescore: false,
    });
    const inDigest = new Map(run.deliveries.flatMap((d) => d.customers.map((c) => [c.customerId, { value: c.valueAtRisk, path: d.path! }] as const)));
    assert.ok(inDigest.size > 0, 'the run alerts someone');

    // The churn page, largest value at risk first: the first customer who is in a digest.
    const page = await session('exec@demo.local', '/churn-risk');
    const rows = await page.$$eval('[data-testid="risk-table"] tbody tr', (trs) =>
      trs.map((tr) => ({
        href: tr.querySelector('td[data-key="customer_risk.customer_name"] a')?.getAttribute('href') ?? '',
        var: tr.querySelector('td[data-key="customer_risk.churn_value_at_risk"]')?.textContent?.trim() ?? '',
      })),
    );
    const pick = rows.map((r) => ({ ...r, id: decodeURIComponent(/\/customers\/([^/?#]+)/.exec(r.href)?.[1] ?? '') })).find((r) => inDigest.has(r.id));
    assert.ok(pick, `a customer of the churn page's first page is in a digest (${rows.length} rows)`);
    const { value, path } = inDigest.get(pick.id)!;

    // The layer's number for that customer.
    const [cube] = await stack.load({ dimensions: ['customer_risk.customer_id', 'customer_risk.churn_value_at_risk'], filters: [{ member: 'customer_risk.customer_id', operator: 'equals', values: [pick.id] }] }, stack.token('executive'));
    const layer = num(cube['customer_risk.churn_value_at_risk']);
    assert.ok(layer > 0);
    assert.ok(Math.abs(value - layer) <= 1e-9 * layer, `digest ${value} = layer ${layer}`);
    const money = formatCurrency(layer);
    assert.equal(pick.var, money, 'churn page');

    // The customer page.
    await page.goto(`${stack.baseUrl}/customers/${encodeURIComponent(pick.id)}`);
    await settled(page);
    same(num(await page.getAttribute('[data-testid="c360-value-at-risk"]', 'data-value')), layer, 'customer page');
    assert.equal((await page.textContent('[data-testid="c360-value-at-risk"]'))?.trim(), money);

    // The digest the owner receives: the customer's line, then their value at risk and its definition.
    const eml = textPart(readFileSync(path, 'utf8'));
    const at = eml.indexOf(`(${pick.id})`);
    assert.ok(at > 0, `the digest names ${pick.id}`);
    const line = eml.slice(at).split('\n')[1] ?? '';
    assert.ok(line.includes(`value at risk ${money} (churn probability × 12-month CLV of`), `digest line: ${line}`);
  });
});
