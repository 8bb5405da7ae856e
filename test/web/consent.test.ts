/**
 * Consent end to end (issue 16, item 1) on the whole product (demo data with its consent events,
 * embedded warehouse, Cube, the built web app, Chromium):
 *
 * - an admin grants a customer's marketing e-mail consent on the 360 page: exactly one consent
 *   event (channel dashboard, recorded by the admin) and exactly one audit row consent.change;
 *   the customer joins the consented audience the segments use;
 * - the customer's owner withdraws it again (one event, one row); an owner of other customers is
 *   refused (404, one `denied` row, no event) and a marketer cannot post at all (403, no row);
 * - churn scoring followed profiling consent: no customer whose newest profiling event is a
 *   withdrawal has a score, while the other buyers do (checked against the events in SQL).
 *
 * Live count, export and push exclusion: test/web/segments.test.ts. Needs /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AuditRow } from '../../lib/audit/log.ts';
import { consentFilter } from '../../web/src/lib/segments/consent.ts';
import { postForm, signInCookie } from '../security/http.ts';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';
import { DATA_VERSION_RENEWAL_SECONDS } from '../../semantic/refresh-keys.ts';

const PASSWORD = 'demo1234';

let stack: ProductStack;
let browser: Browser;
let page: Page;
let errors: string[] = [];

const sql = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> =>
  (await stack.tw.warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

/** The newest marketing e-mail event of a customer, computed here from the events (not the view). */
const newestEmailConsent = async (customerId: string): Promise<string | undefined> =>
  (
    await sql<{ s: string }>(
      "SELECT argMax(status, (occurred_at, version)) AS s FROM consent_events_resolved WHERE customer_id = {id:String} AND purpose = 'marketing_email' GROUP BY customer_id",
      { id: customerId },
    )
  )[0]?.s;

const eventsOf = (customerId: string) =>
  sql<{ status: string; channel: string; recorded_by: string; source: string }>(
    "SELECT status, channel, recorded_by, source FROM consent_events FINAL WHERE customer_id = {id:String} AND channel = 'dashboard' ORDER BY version",
    { id: customerId },
  );

const auditOf = (customerId: string) =>
  sql<AuditRow>(
    "SELECT *, toString(at) AS at FROM audit_log WHERE action = 'consent.change' AND has(target_ids, {id:String}) ORDER BY at",
    { id: customerId },
  );

const userId = async (email: string): Promise<string> =>
  (await sql<{ user_id: string }>('SELECT user_id FROM users FINAL WHERE email = {e:String}', { e: email }))[0].user_id;

describe('consent on the 360 page, and profiling consent in scoring', { timeout: 1_800_000 }, () => {
  let customerId: string;
  let ownerEmail: string;
  let otherOwnerEmail: string;

  before(
    async () => {
      const missing = chromiumMissing();
      if (missing) throw new Error(missing);
      stack = await startProductStack({ scale: 'small' });
      // A customer with an owner whose newest marketing e-mail event is not a grant (or who has none).
      const owners = stack.demoUsers.filter((u) => u.role === 'owner');
      const candidates = await sql<{ customer_id: string; owner_id: string }>(
        `SELECT customer_id, owner_id FROM customers_resolved
       WHERE owner_id IN {owners:Array(String)}
         AND customer_id NOT IN (SELECT customer_id FROM consent_current WHERE purpose = 'marketing_email' AND status = 'granted')
       ORDER BY customer_id LIMIT 1`,
        { owners: owners.map((o) => o.ownerId) },
      );
      assert.equal(candidates.length, 1, 'the demo has an owned customer without marketing e-mail consent');
      customerId = candidates[0].customer_id;
      ownerEmail = owners.find((o) => o.ownerId === candidates[0].owner_id)!.email;
      otherOwnerEmail = owners.find((o) => o.ownerId !== candidates[0].owner_id)!.email;
      browser = await launchChromium();
      const watched = await watchedPage(await browser.newContext({ viewport: { width: 1366, height: 900 } }));
      page = watched.page;
      errors = watched.errors;
    },
    { timeout: 1_200_000 },
  );

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const consentedInCube = async (): Promise<number> => {
    const [r] = await stack.load(
      {
        measures: ['customer_base.customers'],
        filters: [
          { member: 'customer_base.customer_id', operator: 'equals', values: [customerId] },
          consentFilter('marketing_email'),
        ],
        renewQuery: true,
      },
      stack.token('admin'),
    );
    return Number(r['customer_base.customers']);
  };
  // Cube re-reads its data-version key at most every DATA_VERSION_RENEWAL_SECONDS, so a change shows
  // within a few renewals, not at once: ask again until it does (bounded), then assert.
  const consentedInCubeOnceRenewed = async (want: number): Promise<number> => {
    const deadline = Date.now() + 6 * DATA_VERSION_RENEWAL_SECONDS * 1000;
    for (;;) {
      const n = await consentedInCube();
      if (n === want || Date.now() > deadline) return n;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  test('an admin grants marketing e-mail consent: one event, one audit row, and the segments count the customer', async () => {
    assert.notEqual(await newestEmailConsent(customerId), 'granted');
    assert.equal(await consentedInCube(), 0, 'not in the consented audience before');
    const admin = stack.demoUsers.find((u) => u.role === 'admin')!;
    await signIn(page, stack.baseUrl, admin.email, PASSWORD, `/customers/${encodeURIComponent(customerId)}`);
    await settled(page);
    const row = page.locator('[data-testid="consent-row"][data-purpose="marketing_email"]');
    assert.equal(await row.getAttribute('data-consented'), 'false');
    await row.getByTestId('consent-grant').click();
    await page
      .locator('[data-testid="consent-row"][data-purpose="marketing_email"][data-consented="true"]')
      .waitFor({ timeout: 60_000 });
    assert.match(
      (await page.getByTestId('consent-message').textContent()) ?? '',
      /Consent for marketing email granted/,
    );

    const adminId = await userId(admin.email);
    assert.deepEqual(
      (await eventsOf(customerId)).map((e) => [e.status, e.channel, e.recorded_by]),
      [['granted', 'dashboard', adminId]],
    );
    assert.equal(await newestEmailConsent(customerId), 'granted');
    const rows = await auditOf(customerId);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual(
      [rows[0].actor, rows[0].actor_role, rows[0].outcome, rows[0].detail, rows[0].target_kind],
      [adminId, 'admin', 'ok', 'marketing_email granted', 'customer'],
    );
    assert.equal(await consentedInCubeOnceRenewed(1), 1, 'the segments now count the customer');
    assert.deepEqual(errors, [], 'no console errors');
  });

  test("the customer's owner withdraws it; another owner and a marketer cannot change it", async () => {
    const path = `/customers/${encodeURIComponent(customerId)}?/consent`;
    const other = await signInCookie(stack.baseUrl, otherOwnerEmail, PASSWORD);
    assert.ok(other.cookie);
    const refused = await postForm(
      stack.baseUrl,
      path,
      { purpose: 'marketing_email', status: 'withdrawn' },
      { cookie: other.cookie },
    );
    assert.equal(refused.status, 404, refused.body.slice(0, 200));
    const marketer = await signInCookie(
      stack.baseUrl,
      stack.demoUsers.find((u) => u.role === 'marketer')!.email,
      PASSWORD,
    );
    const gate = await postForm(
      stack.baseUrl,
      path,
      { purpose: 'marketing_email', status: 'withdrawn' },
      { cookie: marketer.cookie },
    );
    assert.equal(gate.status, 403, gate.body.slice(0, 200));
    assert.equal((await eventsOf(customerId)).length, 1, 'neither wrote an event');
    const afterRefusals = await auditOf(customerId);
    assert.deepEqual(
      afterRefusals.map((r) => r.outcome),
      ['ok', 'denied'],
      'one denied row for the other owner; the marketer is stopped at the role gate',
    );
    assert.equal(afterRefusals[1].actor, await userId(otherOwnerEmail));

    const owner = await signInCookie(stack.baseUrl, ownerEmail, PASSWORD);
    const done = await postForm(
      stack.baseUrl,
      path,
      { purpose: 'marketing_email', status: 'withdrawn' },
      { cookie: owner.cookie },
    );
    assert.ok(done.status < 400, done.body.slice(0, 200));
    const ownerId = await userId(ownerEmail);
    assert.deepEqual(
      (await eventsOf(customerId)).map((e) => [e.status, e.recorded_by]),
      [
        ['granted', await userId(stack.demoUsers.find((u) => u.role === 'admin')!.email)],
        ['withdrawn', ownerId],
      ],
    );
    assert.equal(await newestEmailConsent(customerId), 'withdrawn');
    const rows = await auditOf(customerId);
    assert.deepEqual(
      rows.map((r) => [r.outcome, r.detail.replace(/:.*/, '')]),
      [
        ['ok', 'marketing_email granted'],
        ['denied', 'marketing_email withdrawn'],
        ['ok', 'marketing_email withdrawn'],
      ],
    );
    assert.equal(rows[2].actor, ownerId);
    assert.equal(await consentedInCubeOnceRenewed(0), 0, 'out of the consented audience again');

    // The consent members are owner-restricted like every cube: the other owner's token sees nothing of this customer.
    const otherOwnerId = stack.demoUsers.find((u) => u.email === otherOwnerEmail)!.ownerId;
    const seen = await stack.load(
      {
        dimensions: ['customer_base.customer_id', 'customer_base.withdrawn_consents'],
        filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [customerId] }],
      },
      stack.token('owner', otherOwnerId),
    );
    assert.deepEqual(seen, []);
    const own = await stack.load(
      {
        dimensions: ['customer_base.customer_id', 'customer_base.withdrawn_consents'],
        filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [customerId] }],
        renewQuery: true,
      },
      stack.token('owner', stack.demoUsers.find((u) => u.email === ownerEmail)!.ownerId),
    );
    assert.match(
      String(own[0]?.['customer_base.withdrawn_consents']),
      /\|marketing_email\|/,
      'the owner sees the withdrawal',
    );
  });

  test('customers who withdrew profiling consent have no churn score; the other buyers do', async () => {
    // From the events, here: buyers whose newest profiling event is a withdrawal.
    const withdrawn = (
      await sql<{ customer_id: string }>(
        `SELECT customer_id FROM consent_events_resolved WHERE purpose = 'profiling'
         GROUP BY customer_id HAVING argMax(status, (occurred_at, version)) = 'withdrawn'
         INTERSECT SELECT DISTINCT customer_id FROM transactions_resolved WHERE status = 'completed'`,
      )
    ).map((r) => r.customer_id);
    assert.ok(withdrawn.length > 0, 'the demo has buyers who withdrew profiling consent');
    const token = stack.token('admin');
    const scored = (ids: string[]) =>
      stack.load(
        {
          dimensions: ['customer_base.customer_id', 'customer_base.churn_probability'],
          filters: [
            { member: 'customer_base.customer_id', operator: 'equals', values: ids },
            { member: 'customer_base.churn_probability', operator: 'set' },
          ],
        },
        token,
      );
    assert.deepEqual(await scored(withdrawn), [], 'none of them is shown a score');
    const others = (
      await sql<{ customer_id: string }>(
        `SELECT DISTINCT customer_id FROM transactions_resolved WHERE status = 'completed' AND customer_id NOT IN {ids:Array(String)} ORDER BY customer_id LIMIT 50`,
        { ids: withdrawn },
      )
    ).map((r) => r.customer_id);
    assert.equal((await scored(others)).length, others.length, 'every other buyer sampled has a score');
  });
});
