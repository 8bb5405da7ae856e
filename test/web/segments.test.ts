/**
 * Segment builder end to end (Chromium, demo data): a marketer builds an OR group of two rules; the
 * live audience count equals Cube's count for the same filters among customers with marketing
 * e-mail consent and says how many matching customers were excluded for lack of it (issue 16), the
 * CSV export holds exactly the consented members, and the segment saves to (and deletes from) the warehouse's segments table. Then a
 * segment built on campaign responses: its live count equals plain SQL on the warehouse (consent
 * read from the consent events, the newest per purpose winning), a push
 * reaches an HMAC-checking webhook and leaves the campaign with exactly those members (a second
 * push adds none), responses loaded through ingest attach to it, and the results panel shows what
 * Cube returns for the campaign.
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';
import { segmentFilters, type SegmentDefinition } from '../../web/src/lib/segments/rules.ts';
import { consentFilter } from '../../web/src/lib/segments/consent.ts';
import { verifyWebhookSignature } from '../../lib/webhook/index.ts';
import { ingestRecords } from '../../ingest/load/job.ts';
import { DATA_VERSION_RENEWAL_SECONDS } from '../../semantic/refresh-keys.ts';

interface Delivery {
  signed: boolean;
  deliveryId: string;
  body: { campaign: { id: string; name: string }; segment: { id: string }; count: number; consent: { purpose: string; excluded: number }; members: { customer_id: string }[] };
}

/** A campaign tool's webhook: answers 503 to the first call (the push retries), 200 after; checks every signature. */
async function startReceiver(secret: string): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      calls += 1;
      const signed = verifyWebhookSignature(secret, { timestamp: req.headers['x-crm-timestamp'] as string, signature: req.headers['x-crm-signature'] as string }, raw);
      if (!signed) return void res.writeHead(401).end();
      if (calls === 1) return void res.writeHead(503).end();
      deliveries.push({ signed, deliveryId: String(req.headers['x-crm-delivery-id']), body: JSON.parse(raw) as Delivery['body'] });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/campaign-hook`, deliveries, server };
}

let stack: ProductStack;
let browser: Browser;
let page: Page;
let errors: string[] = [];
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const WEBHOOK_SECRET = 'e2e-webhook-secret';
const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

/**
 * The live audience count once the page shows `expected` (it re-counts after each rule change), or
 * what it shows when `timeoutMs` has passed, for the assertion to name. Playwright watches the
 * page for the attribute: no polling interval of ours.
 */
async function audienceCount(expected: number, timeoutMs = 30_000): Promise<number> {
  await page.locator(`[data-testid="audience-count"][data-value="${expected}"]`).waitFor({ timeout: timeoutMs }).catch(() => undefined);
  const shown = await page.getByTestId('audience-count').getAttribute('data-value', { timeout: 1000 }).catch(() => null);
  return shown === null ? Number.NaN : Number(shown);
}

describe('segment builder end to end', { timeout: 1_800_000 }, () => {
  before(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(SHOTS, { recursive: true });
    stack = await startProductStack({ scale: 'small' });
    // The push reads its webhook and secret per request; the data dir keeps secrets.json out of the repository.
    receiver = await startReceiver(WEBHOOK_SECRET);
    Object.assign(process.env, { CAMPAIGN_WEBHOOK_URL: receiver.url, CRM_WEBHOOK_SECRET: WEBHOOK_SECRET, CRM_DATA_DIR: stack.tw.dir });
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
    receiver?.server.close();
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

    const filters = [...segmentFilters(def), consentFilter('marketing_email')];
    const [api] = await stack.load({ measures: ['customer_base.customers'], filters }, token);
    const expected = Number(api['customer_base.customers']);
    const [all] = await stack.load({ measures: ['customer_base.customers'], filters: segmentFilters(def) }, token);
    const excluded = Number(all['customer_base.customers']) - expected;
    assert.ok(expected > 0, 'the demo audience is not empty');
    assert.ok(excluded > 0, 'some matching demo customers lack marketing e-mail consent');
    assert.equal(await audienceCount(expected), expected, 'live count equals the API count among consented customers');
    const line = page.locator(`[data-testid="consent-exclusion"][data-excluded="${excluded}"]`);
    await line.waitFor({ timeout: 30_000 });
    assert.equal(
      (await line.textContent())?.trim(),
      `${(expected + excluded).toLocaleString('en-GB')} match · ${excluded.toLocaleString('en-GB')} excluded for lack of consent (marketing e-mail)`,
    );

    const csv = await page.request.get(`${stack.baseUrl}/segments/export.csv?definition=${encodeURIComponent(JSON.stringify(def))}`);
    assert.equal(csv.status(), 200);
    assert.equal(csv.headers()['x-excluded-for-consent'], String(excluded), 'the export says how many it left out');
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

    // Without CAMPAIGN_WEBHOOK_URL (read per request) the push button stays, disabled, and one line
    // says what to set and where it is documented (issue 15: it used to vanish without a word).
    delete process.env.CAMPAIGN_WEBHOOK_URL;
    try {
      await page.reload();
      await settled(page);
      await row.waitFor({ timeout: 30_000 });
      assert.equal(await row.getByTestId('push-segment').isDisabled(), true, 'the push button is disabled');
      assert.equal(await row.getByTestId('push-campaign-name').count(), 0, 'no campaign name to fill in');
      assert.match((await page.getByTestId('push-off').textContent()) ?? '', /Push to campaign is off: set CAMPAIGN_WEBHOOK_URL .*\(README\.md, section “Configuration”\)/);
    } finally {
      process.env.CAMPAIGN_WEBHOOK_URL = receiver.url;
    }
    const stored = await stack.tw.warehouse.client.query({ query: `SELECT name, deleted, definition FROM segments FINAL WHERE name = {name:String}`, query_params: { name }, format: 'JSONEachRow' });
    const [saved] = await stored.json<{ name: string; deleted: number; definition: string }>();
    assert.equal(Number(saved?.deleted), 0);
    assert.deepEqual(segmentFilters(JSON.parse(saved.definition) as SegmentDefinition), segmentFilters(def), 'the stored rules are the built ones');
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    const gone = await stack.tw.warehouse.client.query({ query: `SELECT deleted FROM segments FINAL WHERE name = {name:String}`, query_params: { name }, format: 'JSONEachRow' });
    assert.equal(Number((await gone.json<{ deleted: number }>())[0]?.deleted), 1, 'a delete is a new version with deleted = 1');
    assert.deepEqual(errors, [], 'no console errors');
  });
  test('campaign-response segment: count equals SQL, push records the campaign once, results show Cube\'s numbers', async () => {
    const token = stack.token('marketer');
    const db = stack.tw.warehouse.client;
    const sql = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> => (await db.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
    const [top] = await stack.load({ dimensions: ['campaign_performance.campaign_id', 'campaign_performance.campaign_name'], measures: ['campaign_performance.responses'], order: [['campaign_performance.responses', 'desc']], limit: 1 }, token);
    const responded = String(top['campaign_performance.campaign_id']);
    const DAYS = 30;

    // Independently, in SQL: customers who responded to that campaign, or to any campaign within
    // DAYS days of the data's as-of day; of those, the ones whose newest marketing e-mail consent
    // event (by time, then load) is a grant are the audience, the rest are excluded.
    const matchingIds = (await sql<{ customer_id: string; consented: number }>(`
      WITH (SELECT argMax(as_of, snapshot) FROM derived_snapshots WHERE table_name = 'customer_value') AS as_of
      SELECT customer_id, customer_id IN (
        SELECT customer_id FROM (
          SELECT customer_id, argMax(status, (occurred_at, version)) AS newest
          FROM consent_events_resolved WHERE purpose = 'marketing_email' GROUP BY customer_id)
        WHERE newest = 'granted') AS consented
      FROM customers_resolved WHERE customer_id IN (
        SELECT customer_id FROM campaign_members_resolved
        WHERE responded_at IS NOT NULL OR status IN ('responded', 'converted')
        GROUP BY customer_id
        HAVING has(groupArray(campaign_id), {campaign:String})
            OR dateDiff('day', toDate(max(coalesce(responded_at, converted_at))), as_of) <= {days:Int32})
      ORDER BY customer_id`, { campaign: responded, days: DAYS }));
    const expectedIds = matchingIds.filter((r) => Number(r.consented) === 1).map((r) => r.customer_id);
    const excludedCount = matchingIds.length - expectedIds.length;
    assert.ok(expectedIds.length > 0, 'the demo campaign has responders with consent');
    assert.ok(excludedCount > 0, 'and responders without it');

    await page.goto(`${stack.baseUrl}/segments`);
    await settled(page);
    await page.getByTestId('rule-field').first().selectOption('campaign_response');
    await page.getByTestId('rule-op').first().selectOption('to_campaign');
    await page.getByTestId('rule-campaigns').first().locator(`option[value="${responded}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await page.getByTestId('rule-campaigns').first().selectOption([responded]);
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-field').nth(1).selectOption('campaign_response');
    await page.getByTestId('rule-op').nth(1).selectOption('within_days');
    await page.getByTestId('rule-days').first().fill(String(DAYS));
    await page.getByTestId('group-match').selectOption('any');
    assert.equal(await audienceCount(expectedIds.length), expectedIds.length, 'live count equals the SQL count');
    await page.locator(`[data-testid="consent-exclusion"][data-excluded="${excludedCount}"][data-matching="${matchingIds.length}"]`).waitFor({ timeout: 30_000 });
    const def: SegmentDefinition = { match: 'all', groups: [{ match: 'any', rules: [{ field: 'campaign_response', op: 'to_campaign', values: [responded] }, { field: 'campaign_response', op: 'within_days', values: [String(DAYS)] }] }] };
    const [api] = await stack.load({ measures: ['customer_base.customers'], filters: [...segmentFilters(def), consentFilter('marketing_email')] }, token);
    assert.equal(Number(api['customer_base.customers']), expectedIds.length, 'and Cube\'s count for the same rules');

    const name = `E2E responders ${Date.now()}`;
    await page.getByTestId('segment-name').fill(name);
    await page.getByTestId('save-segment').click();
    const row = page.getByTestId('saved-segment').filter({ hasText: name });
    await row.waitFor({ timeout: 30_000 });
    const [saved] = await sql<{ segment_id: string; definition: string }>('SELECT segment_id, definition FROM segments FINAL WHERE name = {name:String} AND deleted = 0', { name });
    assert.deepEqual(segmentFilters(JSON.parse(saved.definition) as SegmentDefinition), segmentFilters(def), 'the stored rules are the built ones');

    // Push: retried once (the receiver answers 503 first), signed, with exactly the members.
    const campaignName = `Winback ${Date.now()}`;
    const message = async (): Promise<string> => (await page.getByTestId('segment-message').textContent({ timeout: 1000 }).catch(() => '')) ?? '';
    const push = async (): Promise<string> => {
      const before = await message();
      await row.getByTestId('push-campaign-name').fill(campaignName);
      await row.getByTestId('push-segment').click();
      // Each push names its own push id, so a new message differs from the last one; the page is
      // watched for it (waitForFunction), and no new message within the bound fails the test.
      await page
        .waitForFunction(
          ([previous, name]) => {
            const text = document.querySelector('[data-testid="segment-message"]')?.textContent ?? '';
            return text !== previous && text.includes(name);
          },
          [before, campaignName] as const,
          { timeout: 60_000 },
        )
        .catch(async (err: unknown) => {
          throw new Error(`no new push message naming "${campaignName}" within 60 s; the page shows "${await message()}"`, { cause: err });
        });
      return message();
    };
    const first = await push();
    assert.match(first, new RegExp(`Pushed ${expectedIds.length.toLocaleString('en-GB')} members .*\\(${expectedIds.length.toLocaleString('en-GB')} new; ${excludedCount.toLocaleString('en-GB')} excluded for lack of marketing_email consent;`));
    assert.equal(receiver.deliveries.length, 1);
    const delivery = receiver.deliveries[0];
    assert.ok(delivery.signed, 'HMAC signature verified');
    assert.equal(delivery.body.segment.id, saved.segment_id);
    assert.equal(delivery.body.count, expectedIds.length);
    assert.deepEqual(delivery.body.consent, { purpose: 'marketing_email', excluded: excludedCount }, 'the push says how many it left out');
    assert.deepEqual(delivery.body.members.map((m) => m.customer_id).sort(), expectedIds);
    const campaignId = delivery.body.campaign.id;

    // Fresh after the push, without a reload (issue 15: the panel kept saying "No campaign has
    // targeted a saved segment yet"): the page shows the new campaign with the sends pushed.
    const freshSends = page.locator(`[data-testid="campaign-result"][data-campaign-id="${campaignId}"] [data-testid="result-sends"][data-value="${expectedIds.length}"]`);
    await freshSends.waitFor({ timeout: 120_000 }).catch(async (err: unknown) => {
      const shown = (await page.getByTestId('campaign-results').textContent({ timeout: 1000 }).catch(() => '')) ?? '';
      throw new Error(`after the push (no reload) the results panel does not show campaign ${campaignId} with ${expectedIds.length} sends: "${shown.replace(/\s+/g, ' ').trim()}"`, { cause: err });
    });

    const campaigns = await sql<{ name: string; segment_id: string }>('SELECT name, segment_id FROM campaigns FINAL WHERE campaign_id = {id:String}', { id: campaignId });
    assert.deepEqual(campaigns, [{ name: campaignName, segment_id: saved.segment_id }], 'the campaign is tied to the segment');
    const memberIds = async () => (await sql<{ customer_id: string; status: string }>('SELECT customer_id, status FROM campaign_members FINAL WHERE campaign_id = {id:String} ORDER BY customer_id', { id: campaignId }));
    assert.deepEqual((await memberIds()).map((m) => m.customer_id), expectedIds, 'exactly the segment\'s members');
    assert.ok((await memberIds()).every((m) => m.status === 'sent'));

    const second = await push();
    assert.match(second, /\(0 new;/);
    assert.equal(receiver.deliveries.length, 2);
    const [raw] = await sql<{ n: string }>('SELECT count() AS n FROM campaign_members WHERE campaign_id = {id:String}', { id: campaignId });
    assert.equal(Number(raw.n), expectedIds.length, 'pushing again added no row');
    const log = await sql<{ push_id: string; status: string; members: number; new_members: number; attempts: number; http_status: number; pushed_by_email: string }>(
      'SELECT push_id, status, members, new_members, attempts, http_status, pushed_by_email FROM campaign_pushes WHERE campaign_id = {id:String} ORDER BY pushed_at', { id: campaignId });
    assert.deepEqual(log.map((l) => [l.push_id, l.status, Number(l.members), Number(l.new_members), Number(l.http_status), l.pushed_by_email]), [
      [receiver.deliveries[0].deliveryId, 'delivered', expectedIds.length, expectedIds.length, 200, 'marketer@demo.local'],
      [receiver.deliveries[1].deliveryId, 'delivered', expectedIds.length, 0, 200, 'marketer@demo.local'],
    ]);
    assert.equal(Number(log[0].attempts), 2, 'the first push was retried after the 503');
    await row.getByTestId('last-push').filter({ hasText: campaignName }).waitFor({ timeout: 30_000 });

    // Responses come back through ingest, keyed by the campaign id the push sent.
    const responders = expectedIds.slice(0, 2);
    const refs = await sql<{ customer_id: string; source: string; source_id: string }>(
      'SELECT customer_id, any(source) AS source, any(source_id) AS source_id FROM identity_map FINAL WHERE customer_id IN {ids:Array(String)} GROUP BY customer_id', { ids: responders });
    assert.equal(refs.length, responders.length);
    const loaded = await ingestRecords(stack.tw.warehouse, 'campaign_members', refs.map((r, i) => ({
      campaign_id: campaignId, source: r.source, customer_ref: r.source_id, added_at: '2026-11-20 10:00:00',
      status: i === 0 ? 'converted' : 'responded', responded_at: '2026-11-21 09:00:00', converted_at: i === 0 ? '2026-11-22 09:00:00' : '', revenue: i === 0 ? '150.00' : '0',
    })), { batchLabel: `e2e-responses-${campaignId}` });
    assert.equal(loaded.status, 'completed', JSON.stringify(loaded));
    const after = await memberIds();
    assert.equal(after.length, expectedIds.length, 'responses replaced sent rows, they did not add members');
    assert.deepEqual(after.filter((m) => m.status !== 'sent').map((m) => m.status).sort(), ['converted', 'responded']);
    assert.match(await push(), /\(0 new;/);
    assert.deepEqual(await memberIds(), after, 'a later push reverts no response');

    // Results panel: the numbers Cube returns for that campaign.
    const measures = ['sends', 'responses', 'conversions', 'response_rate', 'conversion_rate', 'campaign_revenue'].map((m) => `campaign_performance.${m}`);
    // renewQuery runs the query again, but Cube re-reads the data-version key it depends on at most
    // every DATA_VERSION_RENEWAL_SECONDS: an answer cached just before the load may come back once
    // more. Asked until the responses show (bounded), then every number is checked.
    const askCube = async () => (await stack.load({ measures, filters: [{ member: 'campaign_performance.campaign_id', operator: 'equals', values: [campaignId] }], renewQuery: true }, token))[0];
    let cubeRow = await askCube();
    for (const deadline = Date.now() + 3 * DATA_VERSION_RENEWAL_SECONDS * 1000; Number(cubeRow['campaign_performance.responses']) !== 2 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      cubeRow = await askCube();
    }
    assert.equal(Number(cubeRow['campaign_performance.sends']), expectedIds.length);
    assert.equal(Number(cubeRow['campaign_performance.responses']), 2);
    assert.equal(Number(cubeRow['campaign_performance.conversions']), 1);
    assert.equal(Number(cubeRow['campaign_performance.campaign_revenue']), 150);
    // The page's query has its own cache entry, which Cube answers for up to ~20 s after a change
    // (10 s refresh keys, renewed in the background), so the page may need reloading before it
    // shows the new figures. Each attempt is paced by the reload and the panel's data state (no
    // delay of ours), within a 60 s bound.
    const result = page.locator(`[data-testid="campaign-result"][data-campaign-id="${campaignId}"]`);
    const panelResponses = async (): Promise<number> => {
      await page.reload();
      await settled(page);
      await page.getByTestId('campaign-results').locator('[data-state="loaded"], [data-state="empty"], [data-state="error"]').first().waitFor({ timeout: 30_000 });
      return (await result.count()) ? Number(await result.getByTestId('result-responses').getAttribute('data-value')) : -1;
    };
    const bound = Date.now() + 60_000;
    let shownResponses = await panelResponses();
    while (shownResponses !== 2 && Date.now() < bound) shownResponses = await panelResponses();
    assert.equal(shownResponses, 2, 'the panel shows the campaign with its responses');
    const cell = async (id: string) => Number(await result.getByTestId(id).getAttribute('data-value'));
    assert.equal(await cell('result-sends'), Number(cubeRow['campaign_performance.sends']));
    assert.equal(await cell('result-responses'), Number(cubeRow['campaign_performance.responses']));
    assert.equal(await cell('result-conversions'), Number(cubeRow['campaign_performance.conversions']));
    assert.equal(await cell('result-response-rate'), Number(cubeRow['campaign_performance.response_rate']));
    assert.equal(await cell('result-conversion-rate'), Number(cubeRow['campaign_performance.conversion_rate']));
    assert.equal(await cell('result-revenue'), Number(cubeRow['campaign_performance.campaign_revenue']));
    await page.screenshot({ path: join(SHOTS, 'segments-campaign.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
  });
});
