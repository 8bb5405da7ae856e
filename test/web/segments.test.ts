/**
 * Segment builder end to end (Chromium, demo data): a marketer builds an OR group of two rules; the
 * live audience count equals Cube's count for the same filters, the CSV export holds exactly those
 * members, and the segment saves to (and deletes from) the warehouse's segments table.
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';
import { segmentFilters, type SegmentDefinition } from '../../web/src/lib/segments/rules.ts';

let stack: ProductStack;
let browser: Browser;
let page: Page;
let errors: string[] = [];
const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    v = await read();
  }
  return v;
}

describe('segment builder end to end', { timeout: 1_800_000 }, () => {
  before(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(SHOTS, { recursive: true });
    stack = await startProductStack({ scale: 'small' });
    // The segments store falls back to the configured warehouse: point it at the test warehouse.
    const wh = stack.tw.warehouse;
    Object.assign(process.env, { CLICKHOUSE_URL: wh.url, CLICKHOUSE_USER: wh.user, CLICKHOUSE_PASSWORD: wh.password, CLICKHOUSE_DATABASE: stack.tw.config.database });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const watched = await watchedPage(context);
    page = watched.page;
    errors = watched.errors;
    await signIn(page, stack.baseUrl, 'marketer@demo.local', 'demo1234', '/segments');
    await settled(page);
  }, { timeout: 1_200_000 });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('live count equals the API, the CSV has exactly those members, save and delete work', async () => {
    const token = stack.token('marketer');
    const regions = await stack.load({ dimensions: ['customer_base.region'], measures: ['customer_base.customers'], order: [['customer_base.customers', 'desc']] }, token);
    const region = String(regions[0]['customer_base.region']);
    const def: SegmentDefinition = { match: 'all', groups: [{ match: 'any', rules: [{ field: 'region', op: 'is', values: [region] }, { field: 'clv', op: 'gte', values: ['1000'] }] }] };

    // Build it in the page: region rule, then a CLV rule, the group set to "any".
    await page.getByTestId('rule-field').first().selectOption('region');
    await page.getByTestId('rule-values').first().selectOption([region]);
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-field').nth(1).selectOption('clv');
    await page.getByTestId('rule-op').nth(1).selectOption('gte');
    await page.getByTestId('rule-value').first().fill('1000');
    await page.getByTestId('group-match').selectOption('any');

    const filters = segmentFilters(def);
    const [api] = await stack.load({ measures: ['customer_base.customers'], filters }, token);
    const expected = Number(api['customer_base.customers']);
    assert.ok(expected > 0, 'the demo audience is not empty');
    const shown = await waitFor(async () => Number(await page.getByTestId('audience-count').getAttribute('data-value').catch(() => 'NaN')), (v) => v === expected);
    assert.equal(shown, expected, 'live count equals the API count');

    const csv = await page.request.get(`${stack.baseUrl}/segments/export.csv?definition=${encodeURIComponent(JSON.stringify(def))}`);
    assert.equal(csv.status(), 200);
    const lines = (await csv.text()).replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
    assert.equal(lines[0].split(',')[0], 'customer_id');
    const exported = lines.slice(1).map((l) => l.split(',')[0]).sort();
    const members = (await stack.load({ dimensions: ['customer_base.customer_id'], filters, limit: 50_000 }, token)).map((r) => String(r['customer_base.customer_id'])).sort();
    assert.equal(exported.length, expected);
    assert.deepEqual(exported, members, 'CSV holds exactly the members');

    const name = `E2E segment ${Date.now()}`;
    await page.getByTestId('segment-name').fill(name);
    await page.getByTestId('save-segment').click();
    const row = page.getByTestId('saved-segment').filter({ hasText: name });
    await row.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'segments.png'), fullPage: true });
    const stored = await stack.tw.warehouse.client.query({ query: `SELECT name, deleted, definition FROM segments FINAL WHERE name = {name:String}`, query_params: { name }, format: 'JSONEachRow' });
    const [saved] = await stored.json<{ name: string; deleted: number; definition: string }>();
    assert.equal(Number(saved?.deleted), 0);
    assert.deepEqual(segmentFilters(JSON.parse(saved.definition) as SegmentDefinition), filters, 'the stored rules are the built ones');
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    const gone = await stack.tw.warehouse.client.query({ query: `SELECT deleted FROM segments FINAL WHERE name = {name:String}`, query_params: { name }, format: 'JSONEachRow' });
    assert.equal(Number((await gone.json<{ deleted: number }>())[0]?.deleted), 1, 'a delete is a new version with deleted = 1');
    assert.deepEqual(errors, [], 'no console errors');
  });
});
