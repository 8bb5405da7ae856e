/**
 * Issue 13's first "Done when", the as-of part: a warehouse holding ONLY the unchanged CDNOW sample
 * (purchases 1997-01-01 … 1998-06-30), loaded with the hand-written mapping through the ingest CLI,
 * then plain `npm start` on that data directory — the real bin/start.ts, in its own process,
 * with its embedded warehouse, Cube, web app and worker. It must start (not exit because the data is
 * 28 years old), say it works as of the data's end, train and score as of 1998-06-30, and the
 * cockpit must show 1997–98: its default period ends 1998-06-30 and its revenue equals a sum of the
 * file computed here, line by line. Chromium reads the cockpit as a user sees it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { loadWarehouseConfig } from '../../lib/config.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { DEFAULT_CHURN_DEFINITION } from '../../models/index.ts';
import { connectWarehouse, type Warehouse } from '../../lib/warehouse/index.ts';
import { chromiumMissing, launchChromium, settled, signIn, watchedPage } from './browser.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CDNOW = process.env.CRM_CDNOW_FILE ?? resolve(ROOT, '../shared/data/cdnow/CDNOW_sample.txt');
const MAPPING = join(ROOT, 'test/fixtures/ingest/cdnow/transactions.mapping.json');
const AS_OF = '1998-06-30';

const skip = !existsSync(CDNOW)
  ? `the CDNOW sample is not at ${CDNOW} (../shared/data beside the repository, or CRM_CDNOW_FILE)`
  : false;

/** The file as published: customer, unused id, YYYYMMDD, quantity, dollars; runs of spaces or a tab; CRLF. */
interface Purchase {
  customer: string;
  day: string;
  amount: number;
}
function readCdnow(): Purchase[] {
  return readFileSync(CDNOW, 'latin1')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [customer, , ymd, , amount] = line.trim().split(/\s+/);
      return { customer, day: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`, amount: Number(amount) };
    });
}

/** Sum in cents, so 6,919 additions of two-decimal amounts stay exact. */
const cents = (ps: Purchase[]): number => ps.reduce((s, p) => s + Math.round(p.amount * 100), 0);

/** A CLI of this repository in its own process, as a user runs it (`npm run …`). */
function cliIn(env: NodeJS.ProcessEnv, args: string[], stdin?: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((ok) => child.on('close', (code) => ok({ code, out })));
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

// A bound, not a speed check: a start that neither comes up nor exits fails instead of hanging the lane.
describe('npm start on a warehouse holding only the CDNOW sample', { skip, timeout: 20 * 60_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let start: ChildProcessWithoutNullStreams | undefined;
  let startExit: Promise<number | null> | undefined;
  const startLog: string[] = [];
  let banner = '';
  let warehouse: Warehouse | undefined;
  let browser: Browser | undefined;
  const purchases = skip ? [] : readCdnow();
  const cli = (args: string[], stdin?: string) => cliIn(env, args, stdin);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-cdnow-start-'));
    env = {
      ...process.env,
      CRM_DATA_DIR: dir,
      CRM_EMBEDDED_PORT: String(await freePort()),
      CRM_WEB_PORT: String(await freePort()),
      CRM_SEMANTIC_PORT: String(await freePort()),
      CRM_INGEST_PORT: String(await freePort()),
      CRM_LOG_FORMAT: 'text',
      // The CDNOW amounts are dollars (see the mapping's $comment): the load says so once.
      CRM_BASE_CURRENCY: 'USD',
    };
    // The as-of date must come from the data, not from a setting of the machine running the test.
    delete env.CRM_AS_OF;
    delete env.CLICKHOUSE_URL;

    const ingest = await cli(['ingest/cli.ts', 'transactions', CDNOW, '--mapping', MAPPING]);
    assert.equal(ingest.code, 0, `the ingest CLI loaded the file:\n${ingest.out}`);
    assert.match(ingest.out, /read 6,919 · loaded 6,919 .*rejected 0/, ingest.out);

    // Plain `npm start`, demo data allowed: a warehouse holding only facts is the user's data and must
    // not be topped up with the demo (the revenue checks below would see it).
    // Without CRM_BASE_CURRENCY: the warehouse recorded USD at the load, and start must show dollars.
    const startEnv = { ...env };
    delete startEnv.CRM_BASE_CURRENCY;
    start = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], { cwd: ROOT, env: startEnv });
    startExit = new Promise((ok) => start!.on('exit', (c) => ok(c)));
    const onData = (d: Buffer): void => {
      const text = d.toString();
      banner += text;
      startLog.push(...text.split('\n').filter(Boolean));
    };
    start.stdout.on('data', onData);
    start.stderr.on('data', onData);
    // Up when the banner is printed; an exit before it is the failure this issue is about.
    const up = await Promise.race([
      new Promise<boolean>((ok) => {
        const look = (): void => {
          if (banner.includes('Customer intelligence is running')) ok(true);
        };
        start!.stdout.on('data', look);
        look();
      }),
      startExit.then(() => false),
    ]);
    assert.ok(up, `npm start exited before it was up:\n${startLog.join('\n')}`);
    // The running start owns the data directory: this connects to its endpoint (endpoint.json).
    warehouse = await connectWarehouse({ config: loadWarehouseConfig(loadConfig(env)) });
  });

  after(async () => {
    await warehouse?.close();
    await browser?.close();
    if (start && start.exitCode === null) {
      start.kill('SIGTERM');
      await startExit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = async <T>(query: string): Promise<T[]> =>
    (await warehouse!.client.query({ query, format: 'JSONEachRow' })).json<T>();

  test('start says it works as of the data’s end, trains and scores as of it, and stays up', () => {
    const log = startLog.join('\n');
    assert.match(log, /data as of 1998-06-30: the data ends there, more than 7 days before today/);
    assert.match(log, /rebuilding paid_orders, customer_value, customer_retention as of 1998-06-30/);
    assert.match(log, /models trained and scored as of 1998-06-30/);
    assert.doesNotMatch(log, /generating demo data/);
    // Started without CRM_BASE_CURRENCY: the currency the load recorded.
    assert.match(log, /amounts in USD \(recorded by the warehouse\)/);
    assert.equal(start!.exitCode, null, 'still running');
  });

  test('the derived tables are as of 1998-06-30 and hold the file’s orders, customers and revenue', async () => {
    const [snap] = await rowsOf<{ as_of: string }>(
      `SELECT toString(as_of) AS as_of FROM derived_snapshots ORDER BY snapshot DESC LIMIT 1`,
    );
    assert.equal(snap.as_of, AS_OF);
    // Independent: one order per customer and day (the mapping's rule), every line a completed sale.
    const orders = new Set(purchases.map((p) => `${p.customer}|${p.day}`)).size;
    const customers = new Set(purchases.map((p) => p.customer)).size;
    const [t] = await rowsOf<{ orders: string; customers: string; cents: string }>(
      `SELECT toString(count()) AS orders, toString(uniqExact(customer_id)) AS customers, toString(toInt64(sum(net_revenue) * 100)) AS cents FROM paid_orders_current`,
    );
    assert.deepEqual(
      { orders: Number(t.orders), customers: Number(t.customers), cents: Number(t.cents) },
      { orders, customers, cents: cents(purchases) },
    );
    assert.deepEqual([orders, customers, cents(purchases)], [6696, 2357, 24409194]);
  });

  test('every customer has a churn and a CLV score with cutoff 1998-06-30', async () => {
    const customers = new Set(purchases.map((p) => p.customer)).size;
    for (const table of ['churn_scores_current', 'clv_scores_current']) {
      const cutoffs = await rowsOf<{ cutoff: string; n: string }>(
        `SELECT toString(cutoff) AS cutoff, toString(count()) AS n FROM ${table} GROUP BY cutoff`,
      );
      assert.deepEqual(
        cutoffs.map((r) => [r.cutoff, Number(r.n)]),
        [[AS_OF, customers]],
        table,
      );
    }
  });

  test('the cockpit shows 1997–98: default period ends 1998-06-30, revenue equals the file’s sum, the as-of notice is shown', async (t) => {
    const missing = chromiumMissing();
    if (missing) return t.skip(missing);
    const url = /dashboard\s+(http:\/\/\S+)/.exec(banner)?.[1];
    assert.ok(url, `the banner names the dashboard:\n${banner}`);
    // No demo data, so no demo accounts: an administrator adds one with the users CLI, as the banner says.
    const email = 'exec@cdnow.test';
    const password = 'cdnow-pass-1234';
    const added = await cli([
      'web/users-cli.ts',
      'add',
      '--email',
      email,
      '--name',
      'CDNOW executive',
      '--role',
      'executive',
    ]);
    assert.equal(added.code, 0, added.out);
    const set = await cli(['web/users-cli.ts', 'set-password', email], password);
    assert.equal(set.code, 0, set.out);
    browser = await launchChromium();
    // The browser 14 hours east of UTC (its 1 July starts on 30 June, 10:00 UTC): every day, period
    // and figure below must still be the UTC ones, the product's one reporting zone.
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      timezoneId: 'Pacific/Kiritimati',
    });
    const { page, errors } = await watchedPage(context);
    try {
      await signIn(page, url, email, password);
    } catch (err) {
      // Say what the sign-in page showed (a refusal, an error) rather than only "timeout".
      const shown = (await page.textContent('body').catch(() => ''))?.replace(/\s+/g, ' ').slice(0, 500);
      throw new Error(
        `sign-in as ${email} did not leave /signin (${(err as Error).message.split('\n')[0]}); the page shows: ${shown}`,
        { cause: err },
      );
    }
    await settled(page);

    // The default period: the 12 months ending at the as-of date, from the 1st.
    // The date fields show the day as pages write it and carry the ISO day (issue 15).
    assert.equal(await page.getAttribute('#f-from', 'data-iso'), '1997-07-01');
    assert.equal(await page.inputValue('#f-from'), '1 Jul 1997');
    assert.equal(await page.getAttribute('#f-to', 'data-iso'), AS_OF);
    assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'Pacific/Kiritimati');
    assert.equal((await page.textContent('[data-testid="filter-zone"]'))?.trim(), 'UTC days');
    const inPeriod = purchases.filter((p) => p.day >= '1997-07-01' && p.day <= AS_OF);
    const revenue = await page.getAttribute('[data-testid="kpi-revenue"]', 'data-value');
    assert.equal(Math.round(Number(revenue) * 100), cents(inPeriod), `cockpit revenue ${revenue}`);
    assert.ok(
      inPeriod.length > 0 && cents(inPeriod) < cents(purchases),
      'the period is a part of the history, not all of it',
    );

    // The chart compares only what the cards compare. The default period's previous 12 months
    // (Jul 1996 – Jun 1997) start before the file does: the card says so, and the revenue chart
    // draws no dashed line over the half of it that has data (it drew Jan – Jun 1997 before).
    const fileStart = purchases.reduce((d, p) => (p.day < d ? p.day : d), '9999-12-31');
    assert.ok(fileStart > '1996-07-01', `the file starts ${fileStart}, inside the comparison period`);
    const dayText = (iso: string): string =>
      new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        timeZone: 'UTC',
      });
    type Series = { type: string; data: (number | null)[] };
    const revenueSeries = (): Promise<Series[]> =>
      page.$eval('[data-testid="chart-revenue"] [data-chart]', (node) => {
        const chart = (node as HTMLElement & { echartsInstance?: { getOption(): { series: Series[] } } })
          .echartsInstance!;
        return chart.getOption().series.map((x) => ({ type: x.type, data: x.data }));
      });
    assert.equal(
      (await page.textContent('[data-testid="kpi-revenue-comparison-notice"]'))?.trim(),
      `No data before ${dayText(fileStart)}: comparison not available`,
    );
    assert.deepEqual(
      (await revenueSeries()).map((x) => x.type),
      ['bar'],
      'no previous-period line beside a card that does not compare',
    );
    assert.doesNotMatch((await page.textContent('[data-testid="chart-revenue"]')) ?? '', /dashed/);
    // A custom period running past the data's end: not compared, not drawn.
    await page.goto(`${url}/?from=1998-01-01&to=1998-12-31`);
    await settled(page);
    assert.match(
      (await page.textContent('[data-testid="kpi-revenue-comparison-notice"]')) ?? '',
      /Data ends 30 Jun 1998, before the period does: not compared/,
    );
    assert.deepEqual(
      (await revenueSeries()).map((x) => x.type),
      ['bar'],
    );
    // Like for like (Jan – Jun 1998 against Jan – Jun 1997): the line is drawn, month by month the
    // file's sums a year earlier.
    await page.goto(`${url}/?from=1998-01-01&to=1998-06-30`);
    await settled(page);
    const drawn = await revenueSeries();
    assert.deepEqual(
      drawn.map((x) => x.type),
      ['bar', 'line'],
    );
    const monthCents = (month: string): number => cents(purchases.filter((p) => p.day.startsWith(month)));
    assert.deepEqual(
      drawn[1].data.map((v) => Math.round(Number(v) * 100)),
      ['01', '02', '03', '04', '05', '06'].map((m) => monthCents(`1997-${m}`)),
    );
    await page.goto(url);
    await settled(page);

    const firstDayOf = (customer: string): string =>
      purchases.filter((p) => p.customer === customer).reduce((d, p) => (p.day < d ? p.day : d), '9999-12-31');
    const notice = await page.textContent('[data-testid="as-of-notice"]');
    assert.match(notice ?? '', /^Data as of 30 Jun 1998: /);

    // Issue: a number a user can misread, on a purchase log alone. No deals were loaded: the deal
    // cards and charts say so, not "$0" and "no deal lost in this period" (a quiet quarter).
    for (const id of ['kpi-pipeline', 'kpi-win-rate', 'kpi-lost-value']) {
      assert.equal(await page.getAttribute(`[data-testid="${id}"]`, 'data-value'), '', `${id} shows no figure`);
      assert.match((await page.textContent(`[data-testid="${id}"]`)) ?? '', /no deals loaded/, id);
    }
    for (const id of ['chart-pipeline', 'chart-loss-reasons']) {
      assert.match(
        (await page.textContent(`[data-testid="${id}"]`)) ?? '',
        /No deals loaded: this data has no sales deals/,
        id,
      );
    }
    // Every customer of the file first bought in Q1 1997: no cohort starts in the default period,
    // and the chart says why and where they are, not only that there are none.
    assert.ok(
      new Set(inPeriod.map((p) => p.customer)).size > 0 &&
        purchases.every((p) => p.day < '1997-07-01' || firstDayOf(p.customer) < '1997-07-01'),
    );
    assert.match(
      (await page.textContent('[data-testid="chart-cohorts"]')) ?? '',
      /every customer who bought in it had first bought before 1 Jul 1997\. Start the period on 1 Jan 1997/,
    );
    // Medians beside the averages: an order, a customer's LTV (as of the data's end), from the file.
    const orderCents = new Map<string, number>();
    for (const p of inPeriod)
      orderCents.set(
        `${p.customer}|${p.day}`,
        (orderCents.get(`${p.customer}|${p.day}`) ?? 0) + Math.round(p.amount * 100),
      );
    const ltvCents = new Map<string, number>();
    for (const p of purchases) ltvCents.set(p.customer, (ltvCents.get(p.customer) ?? 0) + Math.round(p.amount * 100));
    // The textbook median: the middle value, or the mean of the two middle ones for an even count.
    const median = (xs: readonly number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const h = s.length >> 1;
      return (s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2) / 100;
    };
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length / 100;
    const shownMedian = async (id: string): Promise<number> => {
      const text = (await page.textContent(`[data-testid="${id}"]`)) ?? '';
      const m = /median \$([\d,.]+)/.exec(text);
      assert.ok(m, `${id} names its median: ${text}`);
      return Number(m[1].replace(/,/g, ''));
    };
    for (const [id, values] of [
      ['kpi-aov', [...orderCents.values()]],
      ['kpi-avg-ltv', [...ltvCents.values()]],
    ] as const) {
      const shown = await shownMedian(id);
      // Shown to the cent or to the dollar; either way far from the mean it sits beside.
      assert.ok(Math.abs(shown - median(values)) <= 0.5, `${id}: median ${shown}, from the file ${median(values)}`);
      assert.ok(
        mean(values) - median(values) > 5,
        `${id}: the mean ${mean(values)} is not the median ${median(values)}`,
      );
    }
    // The repeat-purchase rate names its base: the period's buyers, of whom those who had bought before.
    const firstDay = new Map<string, string>();
    for (const p of purchases)
      if (!firstDay.has(p.customer) || p.day < firstDay.get(p.customer)!) firstDay.set(p.customer, p.day);
    const buyers = new Set(inPeriod.map((p) => p.customer));
    const returning = new Set(inPeriod.filter((p) => p.day > firstDay.get(p.customer)!).map((p) => p.customer));
    assert.match(
      (await page.textContent('[data-testid="kpi-repeat-purchase"]')) ?? '',
      new RegExp(
        `${returning.size.toLocaleString('en-US')} of ${buyers.size.toLocaleString('en-US')} buying customers had bought before`,
      ),
    );

    // Retention's base is the previous period, 1 Jul 1996 – 30 Jun 1997, of which the file holds six
    // months: the card says so beside its count (of the customers who bought in 1997's first half,
    // those who bought again in the period), not "active before" as if of a whole year.
    const before = new Set(
      purchases.filter((p) => p.day >= '1996-07-01' && p.day <= '1997-06-30').map((p) => p.customer),
    );
    const retained = [...before].filter((c) => buyers.has(c)).length;
    assert.match(
      (await page.textContent('[data-testid="kpi-retention"]')) ?? '',
      new RegExp(
        `${retained.toLocaleString('en-US')} of ${before.size.toLocaleString('en-US')} customers active before; the previous period \\(1 Jul 1996 – 30 Jun 1997\\) has data from 1 Jan 1997 only`,
      ),
    );

    // The dormancy rate names its base: every buyer, of whom those with no order in the 180 days
    // before the as-of day (more than 180 days from the last purchase day to 1998-06-30).
    const lastDay = new Map<string, string>();
    for (const p of purchases)
      if (!lastDay.has(p.customer) || p.day > lastDay.get(p.customer)!) lastDay.set(p.customer, p.day);
    const daysTo = (day: string): number =>
      (Date.parse(`${AS_OF}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / 86_400_000;
    const lapsed = [...lastDay.values()].filter((d) => daysTo(d) > 180).length;
    // The churn model's lapsed (its 365-day active window before the as-of day, not the dormancy rate's 180).
    const windowStart = '1997-06-30';
    const activeIds = new Set(purchases.filter((p) => p.day >= windowStart && p.day < AS_OF).map((p) => p.customer));
    const lapsedIds = new Set([...lastDay.keys()].filter((c) => !activeIds.has(c)));
    const lapseText = (await page.textContent('[data-testid="kpi-churn-rate"]')) ?? '';
    assert.match(
      lapseText,
      new RegExp(`${lapsed.toLocaleString('en-US')} of ${lastDay.size.toLocaleString('en-US')} buyers`),
    );
    assert.match(lapseText, new RegExp(`${((100 * lapsed) / lastDay.size).toFixed(1)}%`));

    // Customers without a name (the file has none) are told apart by their id, not a column of "—".
    await page.goto(`${url}/customers`);
    await settled(page);
    const names = await page
      .locator(`[data-testid="customer-table"] tbody td[data-key="customer_base.customer_name"]`)
      .allTextContents();
    assert.ok(names.length > 0, 'the list shows customers');
    for (const n of names) assert.match(n.trim(), /^[▸▾]?\s*C-\w+ \(no name\)$/);

    // The list's churn column says its window too (the model's horizon), and CLV its own.
    assert.equal(
      (await page.textContent('[data-testid="churn-window-note"]'))?.trim(),
      `Churn risk: the probability of no completed purchase in the ${DEFAULT_CHURN_DEFINITION.horizonDays} days after the scores' as-of day; CLV: the 12 months after that day.`,
    );
    // A customer's churn probability says its window (the model's horizon), not only its band.
    const first = await page
      .locator('[data-testid="customer-table"] tbody a[href^="/customers/"]')
      .first()
      .getAttribute('href');
    assert.ok(first, 'the list links to a customer');
    await page.goto(`${url}${first}`);
    await settled(page);
    // A lapsed customer (no purchase in the 365 days before the as-of day) shows since when instead.
    const firstId = decodeURIComponent(first.replace(/^\/customers\//, '').split('?')[0]);
    assert.match(firstId, /^[\w-]+$/);
    const [firstBand] = await rowsOf<{ risk_band: string }>(
      `SELECT risk_band FROM churn_scores_current WHERE customer_id = '${firstId}'`,
    );
    if (firstBand?.risk_band === 'lapsed') {
      assert.match(
        (await page.textContent('[data-testid="c360-churn-probability"]')) ?? '',
        /^lapsed — no order since \d+ \w+ 199\d$/,
      );
    } else {
      assert.match(
        (await page.textContent('[data-testid="c360-churn-window"]')) ?? '',
        new RegExp(
          `^(High|Medium|Low) risk band · no completed purchase in the ${DEFAULT_CHURN_DEFINITION.horizonDays} days after the scores' as-of day$`,
        ),
      );
    }

    // A lapsed customer's page says what is true of them (last order, how long before the as-of day,
    // what they bought while active), not "Why this churn risk" (reasons for an extrapolation).
    const [gone] = await rowsOf<{ id: string; first: string; last: string }>(
      `SELECT s.customer_id AS id, toString(min(toDate(t.order_date, 'UTC'))) AS first, toString(max(toDate(t.order_date, 'UTC'))) AS last
       FROM churn_scores_current AS s INNER JOIN transactions_resolved AS t ON t.customer_id = s.customer_id
       WHERE s.risk_band = 'lapsed' AND t.status = 'completed' GROUP BY s.customer_id ORDER BY s.customer_id LIMIT 1`,
    );
    assert.ok(gone, 'CDNOW has lapsed customers');
    await page.goto(`${url}/customers/${encodeURIComponent(gone.id)}`);
    await settled(page);
    assert.equal(await page.locator('#reasons-title').count(), 0, 'no churn explanation for a lapsed customer');
    const dayRe = (d: string): string => `${Number(d.slice(8, 10))} \\w+\\.? ${d.slice(0, 4)}`;
    assert.match(
      (await page.textContent('[data-testid="lapsed-last-order"]'))?.trim() ?? '',
      new RegExp(
        `^Last order ${dayRe(gone.last)} · ${daysTo(gone.last).toLocaleString('en-US')} days before 30 Jun 1998 \\(as of\\)$`,
      ),
    );
    assert.match(
      (await page.textContent('[data-testid="lapsed-while-active"]'))?.trim() ?? '',
      new RegExp(
        `^While active: [\\d,]+ paid orders?, .+ net revenue, (on ${dayRe(gone.last)}|${dayRe(gone.first)} – ${dayRe(gone.last)})$`,
      ),
    );
    assert.match(
      (await page.textContent('[data-testid="lapsed-why"]')) ?? '',
      /^No order in the churn model's active window \(365 days /,
    );

    // Issue 14 point 4: lapsed customers are counted on their own, never as high risk. Independent:
    // the file's customers with no purchase in [as-of − 365 d, as-of) = [1997-06-30, 1998-06-30).
    await page.goto(`${url}/churn-risk`);
    await settled(page);
    const [stored] = await rowsOf<{ lapsed: string; high: string }>(
      `SELECT toString(countIf(risk_band = 'lapsed')) AS lapsed, toString(countIf(risk_band = 'high')) AS high FROM churn_scores_current`,
    );
    assert.equal(Number(stored.lapsed), lapsedIds.size, "stored lapsed = the file's");
    assert.equal(
      Number(await page.getAttribute('[data-testid="risk-lapsed"]', 'data-value')),
      lapsedIds.size,
      'churn page lapsed card',
    );
    assert.equal(
      Number(await page.getAttribute('[data-testid="risk-high"]', 'data-value')),
      Number(stored.high),
      'churn page high risk',
    );
    // Its "active" is the model's window, and the card says so: the cockpit's Active customers are
    // the buyers of its period [1997-07-01, 1998-06-30] (812 on the file), these the customers with an
    // order in [1997-06-30, 1998-06-30) (817): two counts side by side under one word.
    const buyersOfPeriod = new Set(
      purchases.filter((p) => p.day >= '1997-07-01' && p.day <= AS_OF).map((p) => p.customer),
    );
    assert.notEqual(buyersOfPeriod.size, activeIds.size, 'the file has customers in one window and not the other');
    assert.match(
      (await page.textContent('[data-testid="risk-high"]')) ?? '',
      new RegExp(
        `in the high band, of ${activeIds.size.toLocaleString('en-US')} active customers \\(an order in the 365 days before 30 Jun 1998\\)`,
      ),
    );
    assert.match(
      (await page.textContent('[data-testid="lapsed-definition"]')) ?? '',
      /^Lapsed: no order in the 365 days before 30 Jun 1998\. /,
    );
    console.log(`CDNOW: ${lapsedIds.size} lapsed of ${lastDay.size} scored; high risk among the active ${stored.high}`);

    // The lost-orders page says once that there are no deals, above its empty figures.
    await page.goto(`${url}/lost-orders`);
    await settled(page);
    assert.match((await page.textContent('[data-testid="no-deals"]')) ?? '', /^No deals loaded: /);
    // ...and its header names no comparison period: it read "…, compared with the previous period
    // (1 Jul 1996 – 30 Jun 1997)" over a page with no deal in either.
    assert.equal(
      await page.textContent('[data-testid="period-description"]'),
      'Last 12 full months, 1 Jul 1997 – 30 Jun 1998. Nothing to compare: no deals loaded.',
    );
    assert.equal(await page.textContent('[data-testid="growth-not-compared"]'), 'Nothing to compare: no deals loaded.');
    assert.deepEqual(errors, [], 'no console errors');
  });
});
