/**
 * Every page at 1366 and 768 px for every role that can open it (issue 15, items 3–5), in real
 * Chromium against the whole product on demo data (test/web/stack.ts): a full-page screenshot of
 * each under test-artifacts/screenshots/responsive/ (git-ignored; look at them), and the element
 * geometry that says nothing is clipped or hidden:
 *   - the page itself never scrolls sideways;
 *   - no table scrolls sideways inside its box, every header is inside the viewport and not cut;
 *   - every key column (DataTable priority 1) is in the row, inside the viewport, its cells not
 *     cut; a column that is not in the row is in the row detail (data-detail-columns).
 * Plus, at 768 px: the row detail opens from the keyboard; the date fields show "5 Dec 2026",
 * refuse a day that does not exist and keep ISO in the URL; the churn page's value-at-risk chart
 * (table view) shows the semantic layer's numbers, and an owner only their own.
 *
 * Needs /usr/bin/chromium: apt-get install -y chromium (CI installs it).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { formatMoney, formatNumber } from '../../lib/format/index.ts';
import { navFor } from '../../web/src/lib/auth/access.ts';
import type { Role } from '../../web/src/lib/auth/roles.ts';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'screenshots', 'responsive');
const WIDTHS = [1366, 768];
const PASSWORD = 'demo1234';

let stack: ProductStack;
let browser: Browser;

interface Geometry {
  pageOverflow: number;
  problems: string[];
}

/**
 * Everything the page shows that sticks out, is cut or scrolls sideways (empty: all fits). The
 * function runs in the page: contexts get a no-op __name (init script), the helper the test
 * runner's transform adds to named functions.
 */
async function geometry(page: Page): Promise<Geometry> {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const problems: string[] = [];
    const name = (el: Element): string => `${el.closest('table')?.getAttribute('data-testid') ?? el.closest('section,article')?.querySelector('h2')?.textContent?.trim() ?? 'table'}: "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    const visible = (el: Element): boolean => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    for (const table of document.querySelectorAll('table')) {
      if (!visible(table)) continue;
      // The nearest box that clips or scrolls the table.
      let box: HTMLElement | null = table.parentElement;
      while (box && box !== document.body && !/(auto|scroll|hidden)/.test(getComputedStyle(box).overflowX)) box = box.parentElement;
      if (box && box !== document.body && box.scrollWidth > box.clientWidth + 1) problems.push(`${name(table)} scrolls sideways: ${box.scrollWidth} px in ${box.clientWidth} px`);
      for (const th of table.querySelectorAll('thead th')) {
        const r = th.getBoundingClientRect();
        if (r.right > vw + 1 || r.left < -1) problems.push(`header ${name(th)} outside the viewport (${Math.round(r.left)}–${Math.round(r.right)} of ${vw})`);
        if (th.scrollWidth > th.clientWidth + 1) problems.push(`header ${name(th)} is cut (${th.scrollWidth} > ${th.clientWidth})`);
      }
      // Key columns of a DataTable: in the row, inside the viewport, cells not cut.
      const keys = [...table.querySelectorAll('thead th[data-priority="1"]')].map((th) => th.getAttribute('data-key'));
      for (const tr of [...table.querySelectorAll('tbody tr:not(.detail)')].slice(0, 10)) {
        for (const key of keys) {
          const td = tr.querySelector(`td[data-key="${key}"]`);
          if (!td) {
            problems.push(`${name(tr)} has no cell for the key column ${key}`);
            continue;
          }
          const r = td.getBoundingClientRect();
          if (r.right > vw + 1) problems.push(`cell ${name(td)} (${key}) outside the viewport`);
          // A link or text wider than its cell is cut by the ellipsis.
          if (td.scrollWidth > td.clientWidth + 1) problems.push(`cell ${name(td)} (${key}) is cut (${td.scrollWidth} > ${td.clientWidth})`);
        }
      }
      // Every column of a DataTable is either in the row or in the row detail.
      const wrap = table.closest('[data-detail-columns]');
      if (wrap) {
        const inRow = new Set([...table.querySelectorAll('thead th[data-key]')].map((th) => th.getAttribute('data-key')));
        const inDetail = (wrap.getAttribute('data-detail-columns') ?? '').split(' ').filter(Boolean);
        for (const key of inDetail) {
          if (inRow.has(key)) problems.push(`${key} both in the row and in the detail`);
          const first = table.querySelector('tbody tr.detail');
          if (first && !first.querySelector(`[data-key="${key}"]`)) problems.push(`${key} is in neither the row nor the detail`);
        }
      }
    }
    return { pageOverflow: document.documentElement.scrollWidth - vw, problems };
  });
}

async function openSettled(page: Page, path: string): Promise<void> {
  await page.goto(`${stack.baseUrl}${path}`);
  await settled(page);
  // DataTable fits its columns after the first layout (data-fit="done").
  await page.waitForFunction(() => !document.querySelector('[data-fit="pending"]'), undefined, { timeout: 30_000, polling: 100 });
}

/** A browser context of that width whose pages understand the runner's __name helper. */
async function contextOf(width: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.addInitScript('window.__name = (f) => f;');
  return context;
}

const slug = (path: string): string => path.replace(/^\/$/, 'cockpit').replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-');

describe('every page at 1366 and 768 px, every role: nothing clipped, key columns in view', { skip: chromiumMissing() }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startProductStack({ scale: 'small' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('screenshots and geometry of every page a role can open', async () => {
    const failures: string[] = [];
    const exec = stack.token('executive');
    const [top] = await stack.load({ dimensions: ['customer_base.customer_id'], order: [['customer_base.lifetime_value', 'desc']], limit: 1 }, exec);
    const customerPage = `/customers/${encodeURIComponent(String(top['customer_base.customer_id']))}`;
    // One account per role: the demo has several owners, who all see the same pages.
    const oneEach = stack.demoUsers.filter((u, i, all) => all.findIndex((v) => v.role === u.role) === i);
    for (const user of oneEach) {
      const role = user.role as Role;
      // The pages in the role's navigation, plus the customer 360 (an owner's own top customer).
      let pages = navFor(role).map((n) => n.href);
      if (role === 'owner') {
        const [own] = await stack.load({ dimensions: ['customer_base.customer_id'], order: [['customer_base.lifetime_value', 'desc']], limit: 1 }, stack.token('owner', user.ownerId));
        pages = [...pages, `/customers/${encodeURIComponent(String(own['customer_base.customer_id']))}`];
      } else pages = [...pages, customerPage];
      for (const width of WIDTHS) {
        const context = await contextOf(width);
        const { page } = await watchedPage(context);
        try {
          await signIn(page, stack.baseUrl, user.email, PASSWORD);
        } catch (err) {
          failures.push(`${role} at ${width} px: sign-in failed (${(err as Error).message.split('\n')[0]})`);
          await context.close();
          continue;
        }
        for (const path of pages) {
          const where = `${role} ${path} at ${width} px`;
          try {
            await openSettled(page, path);
          } catch (err) {
            failures.push(`${where}: did not settle (${(err as Error).message.split('\n')[0]})`);
            continue;
          }
          await page.screenshot({ path: join(SHOTS, `${role}-${slug(path.startsWith('/customers/') ? '/customer-360' : path)}-${width}.png`), fullPage: true });
          const g = await geometry(page);
          if (g.pageOverflow > 1) failures.push(`${where}: the page scrolls sideways by ${g.pageOverflow} px`);
          for (const p of g.problems) failures.push(`${where}: ${p}`);
          if (g.problems.length) console.log(`${where}:\n  ${g.problems.join('\n  ')}`);
        }
        await context.close();
      }
    }
    assert.deepEqual(failures, [], `clipped or hidden at 1366/768 px (screenshots in ${SHOTS}):\n${failures.join('\n')}`);
  });

  test('at 768 px the customers list keeps LTV, CLV, churn and last order in the row; the rest opens from the keyboard', async () => {
    const exec = stack.demoUsers.find((u) => u.role === 'executive')!;
    const context = await contextOf(768);
    const { page } = await watchedPage(context);
    await signIn(page, stack.baseUrl, exec.email, PASSWORD);
    await openSettled(page, '/customers');
    const inRow = await page.$$eval('[data-testid="customer-table"] thead th', (ths) => ths.map((th) => th.getAttribute('data-key')));
    for (const key of ['customer_base.customer_name', 'customer_base.lifetime_value', 'customer_base.predicted_clv', 'customer_base.churn_probability', 'customer_base.days_since_last_purchase']) {
      assert.ok(inRow.includes(key), `${key} in the row at 768 px (row: ${inRow.join(', ')})`);
    }
    const detailKeys = await page.$eval('[data-testid="customer-table"]', (t) => t.closest('[data-detail-columns]')!.getAttribute('data-detail-columns')!);
    assert.ok(detailKeys.includes('customer_base.email'), `the e-mail goes into the row detail (${detailKeys})`);
    const button = page.locator('[data-testid="customer-table"] tbody tr:first-child button.expand');
    await button.focus();
    await page.keyboard.press('Enter');
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    const detail = page.locator(`#${await button.getAttribute('aria-controls')}`);
    assert.ok(await detail.isVisible(), 'the detail row shows');
    // The detail holds the same e-mail Cube has for that customer.
    const id = decodeURIComponent((await page.getAttribute('[data-testid="customer-table"] tbody tr:first-child a', 'href'))!.split('/').pop()!);
    const [row] = await stack.load({ dimensions: ['customer_base.customer_id', 'customer_base.email'], filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [id] }] }, stack.token('executive'));
    assert.equal((await detail.locator('[data-key="customer_base.email"] dd').textContent())?.trim(), String(row['customer_base.email'] ?? '—'));
    await page.keyboard.press('Enter');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.ok(!(await detail.isVisible()), 'Enter again hides it');
    await context.close();
  });

  test('date fields show "5 Dec 2026", refuse a day that does not exist, keep ISO in the URL', async () => {
    const exec = stack.demoUsers.find((u) => u.role === 'executive')!;
    const context = await contextOf(768);
    const { page } = await watchedPage(context);
    await signIn(page, stack.baseUrl, exec.email, PASSWORD);
    await openSettled(page, '/lost-orders');
    const iso = (await page.getAttribute('#f-from', 'data-iso'))!;
    assert.match(iso, /^\d{4}-\d{2}-\d{2}$/);
    const d = new Date(`${iso}T00:00:00Z`);
    const shown = `${d.getUTCDate()} ${d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${d.getUTCFullYear()}`;
    assert.equal(await page.inputValue('#f-from'), shown);
    await page.fill('#f-from', `31 Feb ${d.getUTCFullYear()}`);
    await page.keyboard.press('Enter');
    assert.match((await page.textContent('#f-from-error')) ?? '', /^From: "31 Feb \d{4}" is not a date: write it like 5 Dec 2026 or 2026-12-05$/);
    assert.ok(!page.url().includes(`from=${d.getUTCFullYear()}-02-31`));
    // The 2nd of the from-day's month (the default period starts on a 1st), typed with the month in full.
    const first = `${iso.slice(0, 8)}02`;
    await page.fill('#f-from', `2 ${d.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${d.getUTCFullYear()}`);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('from') === first, { waitUntil: 'commit' });
    await settled(page);
    assert.equal(await page.getAttribute('#f-from', 'data-iso'), first);
    assert.equal(await page.inputValue('#f-from'), `2 ${d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${d.getUTCFullYear()}`);
    assert.equal(await page.$('#f-from-error'), null, 'the message goes once the day is right');
    await context.close();
  });

  test('churn page: value at risk by band and by owner are the semantic layer numbers; an owner sees only theirs', async () => {
    const bandQuery = { measures: ['customer_risk.value_at_risk', 'customer_risk.scored_customers'], dimensions: ['customer_risk.risk_band'] };
    const expectBands = (rows: Record<string, unknown>[]): string[][] =>
      ['high', 'medium', 'low'].map((band) => {
        const r = rows.find((x) => x['customer_risk.risk_band'] === band);
        return [band[0].toUpperCase() + band.slice(1), formatMoney(Number(r?.['customer_risk.value_at_risk'] ?? 0)), formatNumber(Number(r?.['customer_risk.scored_customers'] ?? 0))];
      });
    const tableOf = async (page: Page, card: string): Promise<string[][]> => {
      await page.click(`[data-testid="${card}"] .toggle`);
      return page.$$eval(`[data-testid="${card}"] tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td.num')].map((c) => (c.textContent ?? '').trim())));
    };
    for (const user of [stack.demoUsers.find((u) => u.role === 'executive')!, stack.demoUsers.find((u) => u.role === 'owner')!]) {
      const token = user.role === 'owner' ? stack.token('owner', user.ownerId) : stack.token('executive');
      const context = await contextOf(1366);
      const { page } = await watchedPage(context);
      await signIn(page, stack.baseUrl, user.email, PASSWORD);
      await openSettled(page, '/churn-risk');
      assert.deepEqual(await tableOf(page, 'chart-risk-band'), expectBands(await stack.load(bandQuery, token)), `${user.role}: value at risk by band`);
      // Lapsed customers have no value-at-risk bar; their card holds the layer's count.
      const [lapsedNow] = await stack.load({ measures: ['customer_risk.lapsed_customers'] }, token);
      assert.equal(await page.getAttribute('[data-testid="risk-lapsed"]', 'data-value'), String(Number(lapsedNow['customer_risk.lapsed_customers'] ?? 0)), `${user.role}: lapsed card`);
      if (user.role === 'owner') {
        assert.equal(await page.$('[data-testid="chart-risk-owner"]'), null, 'an owner gets no by-owner chart');
      } else {
        const owners = await stack.load({ measures: ['customer_risk.value_at_risk'], dimensions: ['customer_risk.owner_id'], order: [['customer_risk.value_at_risk', 'desc'], ['customer_risk.owner_id', 'asc']], limit: 15 }, token);
        const shown = await tableOf(page, 'chart-risk-owner');
        assert.deepEqual(
          shown.map((r) => r[1]),
          owners.map((o) => formatMoney(Number(o['customer_risk.value_at_risk']))),
          'value at risk per owner, largest first',
        );
      }
      await context.close();
    }
  });
});
