/**
 * The dashboard end to end in real Chromium (Debian's, driven by playwright-core) against the whole
 * product on demo data: warehouse, ingest, derived tables, scoring, Cube and the web server — all
 * real (test/web/stack.ts). Screenshots of every page go to test-artifacts/screenshots/.
 *
 * Needs /usr/bin/chromium: apt-get install -y chromium (CI installs it).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { parseCsv } from '../support/csv.ts';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'screenshots');
const STACK_LOG = join(PROJECT_ROOT, 'test-artifacts', 'web-e2e-stack.log');

/** The product's last logged errors, for an assertion message (CI shows only the test output). */
function productErrors(): string {
  let lines: string[];
  try {
    lines = readFileSync(STACK_LOG, 'utf8').split('\n').filter((l) => /"error"|answered [45]\d\d|rollup table race|Error/i.test(l));
  } catch {
    return '';
  }
  return lines.length ? `\nthe product logged:\n  ${lines.slice(-8).join('\n  ')}` : '';
}
const PASSWORD = 'demo1234';
const OWNER = 'U-OWN-01';
const OTHER_OWNER = 'U-OWN-02';

let stack: ProductStack;
let browser: Browser;
let asOf: string;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

type CubeFilter = { member: string; operator: string; values: string[] };
const num = (v: unknown): number => Number(v);

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * The cockpit's default range, "Last 12 full months": the 12 complete months up to the as-of day
 * (its month counts when the as-of day is the month's last day). Until issue 15 it ran from the 1st
 * of the month 11 months back to the as-of day: a partial last month compared with a full one.
 */
function defaultRange(day: string): [string, string] {
  return lastFullMonths(day, 12);
}

function lastFullMonths(day: string, months: number): [string, string] {
  const d = new Date(`${day}T00:00:00Z`);
  const monthEnd = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
  const end = isoDay(monthEnd) === day ? monthEnd : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 0));
  const from = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - (months - 1), 1));
  return [isoDay(from), isoDay(end)];
}

async function session(email: string, viewport = { width: 1440, height: 900 }, path = '/'): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const { page, errors } = await watchedPage(context);
  page.on('close', () => pageErrors.push(...errors.map((e) => `${email} ${page.url()}: ${e}`)));
  await signIn(page, stack.baseUrl, email, PASSWORD, path);
  await settled(page);
  // Errors are checked at the end (after() closes the pages), and right here for the sign-in.
  assert.deepEqual(errors, [], `console errors after signing in as ${email}${errors.length ? productErrors() : ''}`);
  return page;
}

async function open(page: Page, path: string): Promise<void> {
  await page.goto(`${stack.baseUrl}${path}`);
  await settled(page);
}

/** Full-page screenshots, except with a modal open (the viewport is what the user sees). */
async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

const kpi = async (page: Page, id: string): Promise<number> => {
  const v = await page.getAttribute(`[data-testid="${id}"]`, 'data-value');
  assert.ok(v !== null && v !== '', `KPI ${id} has a value`);
  return Number(v);
};

/** "1–50 of 1,234" → 1234 */
async function pagedTotal(page: Page, scope: string): Promise<number> {
  const text = await page.textContent(`${scope} .pagination .range`);
  const m = /of ([\d,]+)/.exec(text ?? '');
  assert.ok(m, `a total in "${text}"`);
  return Number(m[1].replaceAll(',', ''));
}

/** Clicks data item `index` of series 0 of the chart in `card` at its real pixel position. */
async function clickBar(page: Page, card: string, index: number): Promise<void> {
  // In view first, as a user would scroll: a click below the fold reaches nothing.
  await page.locator(`[data-testid="${card}"] [data-chart]`).scrollIntoViewIfNeeded();
  const point = await page.$eval(`[data-testid="${card}"] [data-chart]`, (node, i) => {
    const chart = (node as HTMLElement & { echartsInstance?: { getOption(): { series: { data: unknown[] }[] }; convertToPixel(finder: object, value: unknown[]): number[] } }).echartsInstance!;
    const opt = chart.getOption();
    const raw = opt.series[0].data[i] as number | { value: number };
    const value = typeof raw === 'number' ? raw : raw.value;
    const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [i, value / 2]);
    const r = node.getBoundingClientRect();
    return { x: r.left + x, y: r.top + y };
  }, index);
  await page.mouse.click(point.x, point.y);
}

describe('dashboard end to end (Chromium, demo data)', { timeout: 1_800_000 }, () => {
  before(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(SHOTS, { recursive: true });
    // The product's own log (Cube's and the web server's errors) for a look after a failure in CI.
    const stackLog = STACK_LOG;
    rmSync(stackLog, { force: true });
    stack = await startProductStack({
      scale: 'small',
      log: (l) => {
        appendFileSync(stackLog, `${new Date().toISOString()} ${l}\n`);
        if (process.env.WEB_E2E_LOG) process.stderr.write(`${l}\n`);
      },
    });
    browser = await launchChromium();
    const rows = await stack.load({ dimensions: ['customer_base.value_as_of'], filters: [{ member: 'customer_base.value_as_of', operator: 'set' }], limit: 1 }, stack.token('executive'));
    asOf = String(rows[0]['customer_base.value_as_of']).slice(0, 10);
  }, { timeout: 1_200_000 });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stack?.close();
  });

  test('every semantic-layer member the dashboard names exists in Cube’s /meta', async () => {
    const res = await fetch(`${stack.semantic.url}/v1/meta`, { headers: { authorization: stack.token('executive') } });
    const meta = (await res.json()) as { cubes: { name: string; measures: { name: string }[]; dimensions: { name: string }[]; segments: { name: string }[] }[] };
    const known = new Set(meta.cubes.flatMap((c) => [...c.measures, ...c.dimensions, ...c.segments].map((m) => m.name)));
    const views = new Set(meta.cubes.map((c) => c.name));
    const used = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|svelte)$/.test(name) && !name.endsWith('.spec.ts')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/['"`]([a-z_]+)\.([a-z0-9_]+)['"`]/g)) {
            if (views.has(m[1])) used.set(`${m[1]}.${m[2]}`, path.slice(PROJECT_ROOT.length + 1));
          }
        }
      }
    };
    walk(join(PROJECT_ROOT, 'web', 'src'));
    assert.ok(used.size > 50, `found the dashboard's members (${used.size})`);
    const missing = [...used].filter(([m]) => !known.has(m)).map(([m, file]) => `${m} (${file})`);
    assert.deepEqual(missing, [], 'members the dashboard uses but the semantic layer does not define');
  });

  test('a signed-out visitor is sent to sign in; APIs and exports answer 401', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const { page, errors } = await watchedPage(context);
    await page.goto(`${stack.baseUrl}/`);
    assert.equal(new URL(page.url()).pathname, '/signin');
    await page.goto(`${stack.baseUrl}/customers?region=DACH`);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/signin');
    assert.equal(url.searchParams.get('next'), '/customers?region=DACH');
    await page.waitForSelector('html[data-hydrated="true"]');
    await shot(page, '01-signin');
    for (const path of ['/api/cube-token', '/churn-risk/export.csv']) {
      const res = await fetch(`${stack.baseUrl}${path}`, { redirect: 'manual' });
      assert.equal(res.status, 401, path);
    }
    // The dashboard's door to Cube adds no credentials and needs a live session.
    const cube = await fetch(`${stack.baseUrl}/cubejs-api/v1/load?query=${encodeURIComponent('{"measures":["sales.revenue"]}')}`);
    assert.equal(cube.status, 401);
    // A wrong password is refused with a message, and no cookie.
    await page.fill('#email', 'exec@demo.local');
    await page.fill('#password', 'wrong-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('.error[role=alert]');
    assert.equal((await context.cookies()).length, 0);
    // A cross-site form post is refused (SvelteKit's CSRF origin check).
    const forged = await fetch(`${stack.baseUrl}/signin`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: `email=exec%40demo.local&password=${PASSWORD}` });
    assert.equal(forged.status, 403);
    assert.deepEqual(errors.filter((e) => !/status of 400|^response: POST \S*\/signin\S* → 400/.test(e)), []);
  });

  test('an executive signs in and the cockpit shows what the semantic API answers', async () => {
    const page = await session('exec@demo.local');
    assert.equal(new URL(page.url()).pathname, '/');
    await shot(page, '02-cockpit-executive');
    const exec = stack.token('executive');
    const [from, to] = defaultRange(asOf);

    const expectKpis = async (filters: { sales: CubeFilter[]; deals: CubeFilter[] }, range: [string, string], label: string) => {
      const [sales] = await stack.load({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: range }], filters: filters.sales }, exec);
      const [deals] = await stack.load({ measures: ['pipeline.win_rate'], timeDimensions: [{ dimension: 'pipeline.closed_at', dateRange: range }], filters: filters.deals }, exec);
      assert.ok(num(sales['sales.revenue']) > 0, `${label}: revenue in the demo data`);
      assert.equal(await kpi(page, 'kpi-revenue'), num(sales['sales.revenue']), `${label}: revenue`);
      assert.equal(await kpi(page, 'kpi-win-rate'), num(deals['pipeline.win_rate']), `${label}: win rate`);
    };
    await expectKpis({ sales: [], deals: [] }, [from, to], 'default filters');

    // The same with a date range, region and owner in the URL (a shared link).
    await open(page, `/?from=2026-01-01&to=2026-06-30&region=DACH&owner=${OWNER}`);
    assert.equal(await page.inputValue('#f-region'), 'DACH');
    assert.equal(await page.inputValue('#f-owner'), OWNER);
    await expectKpis(
      {
        sales: [
          { member: 'sales.customer_region', operator: 'equals', values: ['DACH'] },
          { member: 'sales.customer_owner_id', operator: 'equals', values: [OWNER] },
        ],
        deals: [
          { member: 'pipeline.region', operator: 'equals', values: ['DACH'] },
          { member: 'pipeline.deal_owner_id', operator: 'equals', values: [OWNER] },
        ],
      },
      ['2026-01-01', '2026-06-30'],
      'DACH, owner, H1',
    );
    await shot(page, '03-cockpit-filtered');

    // Changing filters with the keyboard-accessible selects updates the URL and the figures.
    await page.selectOption('#f-region', 'Nordics');
    await page.waitForURL(/region=Nordics/);
    await settled(page);
    await page.selectOption('#f-owner', 'U-OWN-03');
    await page.waitForURL(/owner=U-OWN-03/);
    await settled(page);
    await expectKpis(
      {
        sales: [
          { member: 'sales.customer_region', operator: 'equals', values: ['Nordics'] },
          { member: 'sales.customer_owner_id', operator: 'equals', values: ['U-OWN-03'] },
        ],
        deals: [
          { member: 'pipeline.region', operator: 'equals', values: ['Nordics'] },
          { member: 'pipeline.deal_owner_id', operator: 'equals', values: ['U-OWN-03'] },
        ],
      },
      ['2026-01-01', '2026-06-30'],
      'Nordics and U-OWN-03 via the selects',
    );
  });

  test('a drill-down lists the rows behind a bar (chart click and keyboard table)', async () => {
    const page = await session('exec@demo.local');
    const exec = stack.token('executive');
    const [from, to] = defaultRange(asOf);
    // Revenue trend: click the third month's bar on the canvas.
    await clickBar(page, 'chart-revenue', 2);
    await page.waitForSelector('[data-testid="drill-dialog"][open]');
    await settled(page);
    const month = new Date(Date.UTC(Number(from.slice(0, 4)), Number(from.slice(5, 7)) - 1 + 2, 1));
    const monthFrom = month.toISOString().slice(0, 10);
    const monthTo = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
    const [orders] = await stack.load({ measures: ['sales.orders'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: [monthFrom, monthTo] }] }, exec);
    assert.equal(await pagedTotal(page, '[data-testid="drill-dialog"]'), num(orders['sales.orders']), 'orders behind the bar');
    const firstDate = await page.textContent('[data-testid="drill-table"] tbody tr:first-child td:nth-child(2)');
    assert.match(firstDate ?? '', new RegExp(month.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })));
    await shot(page, '04-drill-revenue-month', false);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="drill-dialog"]:not([open])', { state: 'attached' });

    // Loss reasons, from the keyboard: Table view, then "Show rows" for the top reason.
    const card = '[data-testid="chart-loss-reasons"]';
    await page.focus(`${card} .toggle`);
    await page.keyboard.press('Enter');
    const firstRow = `${card} tbody tr:first-child`;
    const reasonLabel = (await page.textContent(`${firstRow} th`))!.trim();
    await page.focus(`${firstRow} button`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="drill-dialog"][open]');
    await settled(page);
    const reasons = await stack.load({ measures: ['pipeline.lost_value', 'pipeline.lost_deals'], dimensions: ['pipeline.loss_reason'], timeDimensions: [{ dimension: 'pipeline.closed_at', dateRange: [from, to] }], filters: [{ member: 'pipeline.deal_status', operator: 'equals', values: ['lost'] }], order: [['pipeline.lost_value', 'desc']], limit: 10 }, exec);
    assert.equal(reasonLabel.toLowerCase().replaceAll(' ', '_'), String(reasons[0]['pipeline.loss_reason']));
    assert.equal(await pagedTotal(page, '[data-testid="drill-dialog"]'), num(reasons[0]['pipeline.lost_deals']), 'lost deals behind the reason');
    const notes = await page.$$eval('[data-testid="drill-table"] tbody tr td:last-child', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.ok(notes.some((n) => n.trim() && n.trim() !== '—'), 'the drill lists the deals with their notes');
    await shot(page, '05-drill-loss-reason', false);
  });

  test('an account owner sees only their customers on every page and in the export', async () => {
    const owner = stack.demoUsers.find((u) => u.ownerId === OWNER);
    assert.ok(owner, 'demo owner U-OWN-01');
    const ownerToken = stack.token('owner', OWNER);
    const exec = stack.token('executive');
    const page = await session(owner.email);
    const [from, to] = defaultRange(asOf);

    // Cockpit: no owner filter to choose others; figures are the owner's.
    assert.equal(await page.locator('#f-owner').count(), 0, 'no owner filter for owners');
    const [mine] = await stack.load({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: [from, to] }] }, ownerToken);
    const [all] = await stack.load({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: [from, to] }] }, exec);
    assert.equal(await kpi(page, 'kpi-revenue'), num(mine['sales.revenue']));
    assert.ok(num(mine['sales.revenue']) < num(all['sales.revenue']));
    await shot(page, '06-cockpit-owner');

    // Customers: the count and every row are the owner's.
    await open(page, '/customers');
    const [count] = await stack.load({ measures: ['customer_base.customers'], filters: [{ member: 'customer_base.owner_id', operator: 'equals', values: [OWNER] }] }, exec);
    const total = await pagedTotal(page, '');
    assert.equal(total, num(count['customer_base.customers']));
    const ownerNames = await page.$$eval('[data-testid="customer-table"] tbody tr td:nth-child(4)', (tds) => [...new Set(tds.map((td) => td.textContent?.trim()))]);
    assert.equal(ownerNames.length, 1, `one owner on the list: ${ownerNames.join(', ')}`);
    assert.equal(ownerNames[0], owner.name);
    await shot(page, '07-customers-owner');

    // Another owner's customer page does not exist for them (and shows no source records).
    const [other] = await stack.load({ dimensions: ['customer_base.customer_id'], filters: [{ member: 'customer_base.owner_id', operator: 'equals', values: [OTHER_OWNER] }], limit: 1 }, exec);
    const otherId = String(other['customer_base.customer_id']);
    // (Refusals are probed in a second tab: the browser logs every 4xx page as a console error.)
    const probe = await page.context().newPage();
    const res = await probe.goto(`${stack.baseUrl}/customers/${encodeURIComponent(otherId)}`);
    assert.equal(res?.status(), 404);
    // …nor can a URL filter widen their scope.
    await open(page, `/customers?owner=${OTHER_OWNER}`);
    assert.equal(await page.getAttribute('.query-load', 'data-state'), 'empty');

    // Churn risk list and CSV export: only their customers, exactly as many as Cube counts.
    await open(page, '/churn-risk');
    const [scored] = await stack.load({ measures: ['customer_risk.scored_customers'] }, ownerToken);
    assert.equal(await kpi(page, 'risk-scored'), num(scored['customer_risk.scored_customers']));
    // Lapsed customers are their own card, never inside High risk: the page shows the layer's split.
    const [split] = await stack.load({ measures: ['customer_risk.high_risk_customers', 'customer_risk.lapsed_customers', 'customer_risk.active_scored_customers'] }, ownerToken);
    assert.equal(await kpi(page, 'risk-high'), num(split['customer_risk.high_risk_customers']));
    assert.equal(await kpi(page, 'risk-lapsed'), num(split['customer_risk.lapsed_customers']));
    assert.equal(num(split['customer_risk.active_scored_customers']) + num(split['customer_risk.lapsed_customers']), num(scored['customer_risk.scored_customers']));
    assert.match((await page.textContent('[data-testid="lapsed-definition"]')) ?? '', /^Lapsed: no order in the 365 days before /);
    await shot(page, '08-churn-risk-owner');
    const context = page.context();
    for (const query of ['', `?owner=${OTHER_OWNER}`]) {
      const csv = await context.request.get(`${stack.baseUrl}/churn-risk/export.csv${query}`);
      assert.equal(csv.status(), 200);
      assert.match(csv.headers()['content-type'], /text\/csv/);
      const [header, ...rows] = parseCsv(await csv.text());
      const ownerCol = header.indexOf('owner_id');
      assert.ok(ownerCol >= 0);
      assert.deepEqual([...new Set(rows.map((r) => r[ownerCol]))].filter((o) => o !== OWNER), [], 'every exported row is the owner’s');
      if (query === '') assert.equal(rows.length, num(scored['customer_risk.scored_customers']), 'the export has every scored customer of the owner');
      else assert.equal(rows.length, 0, 'another owner’s filter intersects to nothing');
    }

    // Lost orders: the owner's deals only.
    await open(page, '/lost-orders');
    const [lost] = await stack.load({ measures: ['pipeline.lost_deals'], timeDimensions: [{ dimension: 'pipeline.closed_at', dateRange: [from, to] }], filters: [{ member: 'pipeline.deal_status', operator: 'equals', values: ['lost'] }] }, ownerToken);
    assert.equal(await kpi(page, 'lost-deals'), num(lost['pipeline.lost_deals']));
    const ids = await page.$$eval('[data-testid="largest-lost"] tbody a', (as) => as.map((a) => decodeURIComponent(a.getAttribute('href')!.split('/').pop()!)));
    if (ids.length) {
      const owners = await stack.load({ dimensions: ['customer_base.owner_id'], filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: ids }] }, exec);
      assert.deepEqual([...new Set(owners.map((o) => o['customer_base.owner_id']))], [OWNER]);
    }
    await shot(page, '09-lost-orders-owner');

    // Pages outside the role are refused.
    const seg = await probe.goto(`${stack.baseUrl}/segments`);
    assert.equal(seg?.status(), 403);
    await probe.close();
  });

  test('periods: named in the URL, compared like for like, incomplete months marked, and a comparison before the data starts says so', async () => {
    const page = await session('exec@demo.local');
    const exec = stack.token('executive');
    const dach = [{ member: 'sales.customer_region', operator: 'equals', values: ['DACH'] }];
    const revenue = async (range: [string, string], filters: CubeFilter[] = []) =>
      num((await stack.load({ measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: range }], filters }, exec))[0]['sales.revenue']);

    // Same period last year: 12 full months against the 12 months a year earlier.
    const [from, to] = defaultRange(asOf);
    const lastYear: [string, string] = [`${Number(from.slice(0, 4)) - 1}${from.slice(4)}`, isoDay(new Date(Date.UTC(Number(to.slice(0, 4)) - 1, Number(to.slice(5, 7)), 0)))];
    await open(page, '/?compare=last_year');
    assert.equal(await page.inputValue('#f-preset'), 'last_12_full_months');
    assert.equal(await page.inputValue('#f-compare'), 'last_year');
    assert.equal(await kpi(page, 'kpi-revenue'), await revenue([from, to]));
    assert.equal(Number(await page.getAttribute('[data-testid="kpi-revenue"]', 'data-previous')), await revenue(lastYear), 'previous = same period last year');
    assert.match((await page.textContent('[data-testid="kpi-revenue"]')) ?? '', /vs same period last year/);

    // Year to date: the as-of month is incomplete unless the as-of day ends it; its bar is marked.
    await open(page, '/?period=year_to_date');
    const areas = await page.$eval('[data-testid="chart-revenue"] [data-chart]', (node) => {
      const chart = (node as HTMLElement & { echartsInstance?: { getOption(): { series: { markArea?: { data?: unknown[] } }[] } } }).echartsInstance!;
      return chart.getOption().series[0].markArea?.data?.length ?? 0;
    });
    const monthEnds = isoDay(new Date(Date.UTC(Number(asOf.slice(0, 4)), Number(asOf.slice(5, 7)), 0))) === asOf;
    assert.equal(areas, monthEnds ? 0 : 1, 'the incomplete as-of month is marked');

    // Last 24 full months for one region: the previous 24 months begin before the three-year demo
    // history, so the KPI shows the notice with the region's first sale day, not a percentage.
    const [first] = await stack.load({ measures: ['sales.orders'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'day' }], filters: dach, order: [['sales.order_date', 'asc']], limit: 1 }, exec);
    const start = String(first['sales.order_date.day']).slice(0, 10);
    const [from24, to24] = lastFullMonths(asOf, 24);
    const prevFrom = isoDay(new Date(Date.UTC(Number(from24.slice(0, 4)) - 2, Number(from24.slice(5, 7)) - 1, 1)));
    assert.ok(prevFrom < start, `the comparison (from ${prevFrom}) reaches before the data (${start})`);
    await open(page, '/?period=last_24_full_months&region=DACH');
    assert.equal(await kpi(page, 'kpi-revenue'), await revenue([from24, to24], dach));
    const startText = new Date(`${start}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    const notice = `No data before ${startText}: comparison not available`;
    assert.equal((await page.textContent('[data-testid="kpi-revenue-comparison-notice"]'))?.trim(), notice);
    assert.equal(await page.getAttribute('[data-testid="kpi-revenue"]', 'data-previous'), '', 'no previous value shown');
    assert.doesNotMatch((await page.textContent('[data-testid="kpi-revenue"]')) ?? '', /%/);
    assert.match((await page.textContent('[data-testid="chart-revenue"]')) ?? '', new RegExp(notice));
    // The chart compares only what the card compares: no dashed line over the months with data.
    const seriesTypes = await page.$eval('[data-testid="chart-revenue"] [data-chart]', (node) => {
      const chart = (node as HTMLElement & { echartsInstance?: { getOption(): { series: { type: string }[] } } }).echartsInstance!;
      return chart.getOption().series.map((x) => x.type);
    });
    assert.deepEqual(seriesTypes, ['bar'], 'no previous-period line beside a card that does not compare');
    await shot(page, '09b-cockpit-comparison-before-data');

    // Lost orders, same period: the first closed deal is after the baseline's start, so "Growing
    // loss reasons" says so instead of a change of part of a period against a whole one.
    const [firstDeal] = await stack.load({ measures: ['pipeline.deals'], timeDimensions: [{ dimension: 'pipeline.closed_at', granularity: 'day' }], filters: [{ member: 'pipeline.closed_at', operator: 'set' }], order: [['pipeline.closed_at', 'asc']], limit: 1 }, exec);
    const dealStart = String(firstDeal['pipeline.closed_at.day']).slice(0, 10);
    assert.ok(prevFrom < dealStart, `the baseline (from ${prevFrom}) reaches before the first closed deal (${dealStart})`);
    await open(page, '/lost-orders?period=last_24_full_months&compare=none');
    const dealStartText = new Date(`${dealStart}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    assert.equal((await page.textContent('[data-testid="growth-not-compared"]'))?.trim(), `No data before ${dealStartText}: comparison not available.`);
    assert.equal(await page.locator('[data-testid="chart-growth"] [data-chart]').count(), 0, 'no change bars');
  });

  test('every page renders without console errors (screenshots for review)', async () => {
    const page = await session('exec@demo.local');
    await open(page, '/lost-orders');
    await shot(page, '10-lost-orders');
    await page.click('[data-testid="chart-lost-by"] [role=tab]:nth-child(2)');
    await settled(page);
    await shot(page, '11-lost-orders-by-competitor');
    await open(page, '/customers?q=a&sort=churn&dir=desc');
    await shot(page, '12-customers-search-sorted');
    await page.click('[data-testid="customer-table"] tbody tr:first-child a');
    await page.waitForURL(/\/customers\/.+/);
    await settled(page);
    assert.ok(((await page.textContent('[data-testid="customer-name"]')) ?? '').trim().length > 0);
    await page.waitForSelector('[data-testid="timeline"] li');
    await page.waitForSelector('[data-testid="source-records"] tbody tr');
    await shot(page, '13-customer-360');
    await open(page, '/churn-risk?band=high');
    await shot(page, '14-churn-risk-high');
    await open(page, '/segments');
    await shot(page, '15-segments-placeholder');

    const admin = await session('admin@demo.local');
    await open(admin, '/alerts');
    await shot(admin, '16-alerts-placeholder');

    // Tablet: the navigation moves to the top, charts stack.
    const tablet = await session('exec@demo.local', { width: 820, height: 1180 });
    await shot(tablet, '17-cockpit-tablet');
    await open(tablet, '/customers');
    await shot(tablet, '18-customers-tablet');

    for (const c of contexts) for (const p of c.pages()) await p.close();
    assert.deepEqual(pageErrors, [], `no console errors on any page${pageErrors.length ? productErrors() : ''}`);
  });
});
