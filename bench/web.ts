/**
 * `npm run bench:web`: the cockpit in Chromium at 500k customers / 10M transactions, warm —
 * Largest Contentful Paint and the time until every chart has drawn (and no data view is loading),
 * both from navigation start. Goal (issue 5): LCP ≤ 1.5 s. Also cold (issue 17): the first cockpit
 * after a restart, whose start answered the queries remembered from before (semantic/warm-up.ts),
 * beside the first cockpit after a first start, when nothing was remembered; goal ≤ 3 s.
 *
 * Data: the semantic benchmark's synthetic warehouse (bench/semantic-data.ts, INSERT … SELECT FROM
 * numbers()), in a directory of its own (default .data/bench-web), kept between runs; plus one
 * executive account. "Warm" = Cube compiled the model and has answered each query once (its
 * in-memory cache), the browser has the app's assets cached; every measured run is a fresh page.
 *
 * Each view also prints where its time went (profileOf: the HTML, the scripts, the data token, the
 * Cube requests the browser sent, how long they queued in the browser and waited on the server,
 * and the drawing after the last answer), and for the cockpit every measured run alternates with
 * the same page at `?prefetch=off` (the browser asks everything, as before the server load asked
 * the cockpit's data): the same-run baseline the prefetch is compared with.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadWarehouseConfig } from '../lib/config.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';
import { startSemanticServer } from '../semantic/server.ts';
import { setUserPassword, startWebServer } from '../web/server.ts';
import { launchChromium, settled, signIn } from '../test/web/browser.ts';
import { BENCH_SCALE, syntheticStatements, type SyntheticScale } from './semantic-data.ts';

const HELP = `Usage: npm run bench:web -- [--runs 7] [--scale 1] [--fresh] [--data-dir <dir>]

  --runs <n>      measured page loads (default 7, after 2 warm-up loads)
  --scale <f>     fraction of the bench size (500k customers, 10M transactions); default 1
  --fresh         regenerate the data even if the bench warehouse has it
  --data-dir <d>  embedded bench warehouse directory (default .data/bench-web)
  --path <p>      page to measure (default /, the cockpit)`;

const EMAIL = 'bench-exec@example.com';
const PASSWORD = randomBytes(12).toString('base64url');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const max = (xs: number[]): number => Math.max(...xs);
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * Where a page load's time went, from the page's own Resource/Navigation Timing (same clock as the
 * chart timestamp): the HTML (server render), the app's scripts, the data token, and every Cube
 * request — how long it waited in the browser before it was sent (Chromium sends at most 6 at a
 * time to one origin; the rest queue), how long the server took to start answering, and what was
 * left after the last answer (ECharts drawing and Svelte updates).
 */
export interface Profile {
  /** HTML's first byte and last byte (server-side render). */
  htmlTtfb: number;
  htmlEnd: number;
  /** Last app script/style loaded (hydration can start). */
  assetsEnd: number;
  /** The app's scripts the page loaded: how many and their size (kB, uncompressed and as sent compressed). */
  scripts: number;
  scriptKb: number;
  scriptGzipKb: number;
  /** /api/cube-token asked (the page's script runs) and answered (no Cube request can go before). */
  tokenStart: number;
  tokenEnd: number;
  /** Cube /v1/load requests answered by the time the charts had drawn (a "Continue wait" re-poll counts again) and distinct ones. */
  loads: number;
  distinctLoads: number;
  firstLoadStart: number;
  lastLoadEnd: number;
  /** Per load: queued in the browser before sent (ms) and server time to first byte (ms), median and max. */
  queuedMedian: number;
  queuedMax: number;
  serverMedian: number;
  serverMax: number;
  /** Most loads in flight at once. */
  maxInFlight: number;
  /** All charts drawn minus the last answer's end: rendering after the data was there. */
  afterLastAnswer: number;
  /** Cube /v1/load requests the browser sent for the view, finished or not (set by measure()). */
  sent?: number;
}

async function profileOf(p: import('playwright-core').Page, charts: number): Promise<Profile> {
  const raw = await p.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const res = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({
      name: e.name,
      start: e.startTime,
      requestStart: e.requestStart,
      responseStart: e.responseStart,
      responseEnd: e.responseEnd,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
    }));
    return { nav: { ttfb: nav.responseStart, end: nav.responseEnd }, res };
  });
  const path = (u: string) => new URL(u).pathname;
  const loads = raw.res.filter((e) => /^\/cubejs-api\/v1\/load/.test(path(e.name)));
  const assets = raw.res.filter((e) => path(e.name).startsWith('/_app/'));
  const token = raw.res.filter((e) => path(e.name) === '/api/cube-token');
  const queued = loads.map((e) => Math.max(0, (e.requestStart || e.start) - e.start));
  const server = loads.map((e) => Math.max(0, e.responseStart - (e.requestStart || e.start)));
  let maxInFlight = 0;
  for (const e of loads) maxInFlight = Math.max(maxInFlight, loads.filter((o) => o.start <= e.start && o.responseEnd > e.start).length);
  const lastLoadEnd = Math.max(0, ...loads.map((e) => e.responseEnd));
  return {
    htmlTtfb: raw.nav.ttfb,
    htmlEnd: raw.nav.end,
    assetsEnd: Math.max(0, ...assets.map((e) => e.responseEnd)),
    scripts: assets.filter((e) => path(e.name).endsWith('.js')).length,
    scriptKb: assets.filter((e) => path(e.name).endsWith('.js')).reduce((a, e) => a + e.decoded, 0) / 1024,
    scriptGzipKb: assets.filter((e) => path(e.name).endsWith('.js')).reduce((a, e) => a + e.encoded, 0) / 1024,
    tokenStart: token.length ? Math.min(...token.map((e) => e.start)) : 0,
    tokenEnd: Math.max(0, ...token.map((e) => e.responseEnd)),
    loads: loads.length,
    distinctLoads: new Set(loads.map((e) => e.name)).size,
    firstLoadStart: loads.length ? Math.min(...loads.map((e) => e.start)) : 0,
    lastLoadEnd,
    queuedMedian: queued.length ? median(queued) : 0,
    queuedMax: queued.length ? max(queued) : 0,
    serverMedian: server.length ? median(server) : 0,
    serverMax: server.length ? max(server) : 0,
    maxInFlight,
    afterLastAnswer: charts - lastLoadEnd,
  };
}

const ms = (x: number): string => `${Math.round(x)} ms`;
/** One line per view: where its time went. */
const profileLine = (r: Profile): string =>
  `HTML ${ms(r.htmlTtfb)}–${ms(r.htmlEnd)}, assets ${ms(r.assetsEnd)} (${r.scripts} scripts, ${Math.round(r.scriptKb)} kB, ${Math.round(r.scriptGzipKb)} kB as sent), ${r.tokenEnd ? `token ${ms(r.tokenStart)}–${ms(r.tokenEnd)}` : 'no token request (it came with the page)'}, ` +
  `browser sent ${r.sent ?? '?'} Cube requests, ${r.loads} answered before the charts drew (${r.distinctLoads} distinct, ≤${r.maxInFlight} in flight) ${ms(r.firstLoadStart)}–${ms(r.lastLoadEnd)}, ` +
  `queued in browser median ${ms(r.queuedMedian)} max ${ms(r.queuedMax)}, server median ${ms(r.serverMedian)} max ${ms(r.serverMax)}, ` +
  `drawing after last answer ${ms(r.afterLastAnswer)}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      scale: { type: 'string', default: '1' },
      fresh: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      path: { type: 'string', default: '/' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(HELP);
  const runs = Number(values.runs);
  const factor = Number(values.scale);
  if (!(runs >= 1) || !(factor > 0)) throw new Error('--runs and --scale must be positive numbers');
  const log = (line: string) => console.error(`[bench:web] ${line}`);

  const config = { ...loadWarehouseConfig(), url: undefined, dataDir: values['data-dir'] ?? join(PROJECT_ROOT, '.data', 'bench-web'), embeddedPort: 0, database: 'crm' };
  if (values.fresh && existsSync(config.dataDir)) rmSync(config.dataDir, { recursive: true, force: true });
  const wh = await connectWarehouse({ config, ensureDatabase: true });
  const closers: (() => Promise<void>)[] = [() => wh.close()];
  try {
    await applyMigrations(wh.client, { database: config.database }, undefined, log);
    const count = async (table: string) => Number((await (await wh.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
    const scale = Object.fromEntries(Object.entries(BENCH_SCALE).map(([k, v]) => [k, Math.max(1, Math.round(v * factor))])) as unknown as SyntheticScale;
    if ((await count('transactions')) !== scale.transactions) {
      if ((await count('transactions')) > 0) throw new Error(`${config.dataDir} holds another scale: run with --fresh`);
      log(`generating ${scale.customers} customers, ${scale.transactions} transactions …`);
      const t0 = Date.now();
      for (const statement of syntheticStatements(config.database, scale)) await wh.client.command({ query: statement });
      for (const t of ['customers', 'transactions', 'interactions', 'opportunities', 'campaign_members']) await wh.client.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
      log(`generated in ${fmt(Date.now() - t0)}; refreshing derived tables …`);
      await refreshDerived(wh.client, config.database, { log });
    }
    log(`data: ${await count('customers')} customers, ${await count('transactions')} transactions`);
    // One executive account with a password only this run knows.
    await wh.client.insert({
      table: 'users',
      values: [{ user_id: 'U-BENCH-EXEC', email: EMAIL, name: 'Bench Executive', role: 'executive', owner_id: '', region: '', password_hash: '', active: 1, version: String(Date.now()) }],
      format: 'JSONEachRow',
    });
    await setUserPassword(wh.client, EMAIL, PASSWORD);

    const cubeApiSecret = randomBytes(24).toString('base64url');
    const sessionSecret = randomBytes(24).toString('base64url');
    // The queries the cockpit asked are remembered here and answered again at the next start, as
    // npm start does (semantic/warm-up.ts); removed first, so the first start knows nothing.
    const warmFile = join(config.dataDir, 'semantic-warm.json');
    rmSync(warmFile, { force: true });
    /** Cube and the dashboard, started as npm start starts them; the stop closes both. */
    const startServers = async () => {
      const t0 = Date.now();
      // A generous start limit: on a shared two-core machine Cube's start has taken over 60 s.
      const semantic = await startSemanticServer({ warehouse: { url: wh.url, user: wh.user, password: wh.password, database: config.database }, apiSecret: cubeApiSecret, port: 0, queryTimeoutSeconds: 120, warmFile, startTimeoutMs: 300_000 });
      const web = await startWebServer({ port: 0, cubeUrl: semantic.url, warehouse: { client: wh.client, database: config.database }, secrets: { sessionSecret, cubeApiSecret }, log });
      const stop = async () => {
        await web.close();
        await semantic.close();
      };
      return { web, semantic, stop, startMs: Date.now() - t0 };
    };
    let servers = await startServers();
    closers.unshift(() => servers.stop());

    const browser = await launchChromium();
    closers.unshift(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // Records LCP candidates and the moment every chart has drawn with nothing loading. A string, not
    // a function: tsx (esbuild keepNames) wraps named inner functions in a __name() helper that does
    // not exist in the page, and the script then dies silently after its first statement.
    await context.addInitScript({
      content: `
        window.__lcp = 0;
        new PerformanceObserver(function (list) {
          for (const e of list.getEntries()) window.__lcp = Math.max(window.__lcp, e.startTime);
        }).observe({ type: 'largest-contentful-paint', buffered: true });
        (function check() {
          const charts = Array.from(document.querySelectorAll('[data-chart]'));
          const busy = document.querySelector('[aria-busy="true"], [data-state="loading"]');
          if (charts.length > 0 && !busy && charts.every(function (c) { return c.dataset.rendered === 'true'; })) window.__charts = performance.now();
          // Timers, not requestAnimationFrame: a page that is not in front gets no frames.
          else setTimeout(check, 10);
        })();`,
    });
    const page = await context.newPage();
    // Signed in on a page that asks Cube nothing, so the first cockpit below is the first visit.
    await signIn(page, servers.web.url, EMAIL, PASSWORD, '/no-such-page');
    await page.close(); // the session cookie stays in the context
    const path = values.path!;
    const measure = async (at = path): Promise<{ lcp: number; charts: number; profile: Profile }> => {
      const p = await context.newPage();
      // Every request the browser sends to Cube for this view (Resource Timing lists only finished
      // ones; the filter bar's options may still be on their way when the charts have drawn).
      let sent = 0;
      p.on('request', (r) => {
        if (/^\/cubejs-api\/v1\/load/.test(new URL(r.url()).pathname)) sent++;
      });
      await p.bringToFront();
      await p.goto(`${servers.web.url}${at}`, { timeout: 300_000 });
      await settled(p, 300_000);
      const errors = await p.$$eval('[data-state="error"]', (els) => els.map((e) => e.textContent?.trim() ?? ''));
      if (errors.length) {
        await p.screenshot({ path: join(PROJECT_ROOT, 'test-artifacts', 'bench-web-error.png'), fullPage: true }).catch(() => {});
        throw new Error(`the page shows errors:\n  ${errors.join('\n  ')}`);
      }
      if ((await p.$$('[data-chart]')).length === 0) {
        await p.screenshot({ path: join(PROJECT_ROOT, 'test-artifacts', 'bench-web-error.png'), fullPage: true }).catch(() => {});
        throw new Error(`no chart on ${p.url()} ("${await p.title()}"): see test-artifacts/bench-web-error.png`);
      }
      await p.waitForFunction(() => (window as unknown as { __charts?: number }).__charts !== undefined, undefined, { timeout: 300_000, polling: 50 }).catch(async (err: Error) => {
        await p.screenshot({ path: join(PROJECT_ROOT, 'test-artifacts', 'bench-web-error.png'), fullPage: true }).catch(() => {});
        const pending = await p.evaluate(() => ({
          busy: [...document.querySelectorAll('[aria-busy="true"], [data-state="loading"]')].map((e) => e.closest('section, article, [data-chart]')?.textContent?.trim().slice(0, 80) ?? e.outerHTML.slice(0, 120)),
          undrawn: [...document.querySelectorAll('[data-chart]')].filter((c) => (c as HTMLElement).dataset.rendered !== 'true').map((c) => c.outerHTML.slice(0, 120)),
          initScript: typeof (window as unknown as { __lcp?: number }).__lcp,
        }));
        throw new Error(`${err.message}: still loading ${JSON.stringify(pending)} (test-artifacts/bench-web-error.png)`);
      });
      const r = await p.evaluate(() => {
        const w = window as unknown as { __lcp: number; __charts: number };
        return { lcp: w.__lcp, charts: w.__charts };
      });
      const profile = { ...(await profileOf(p, r.charts)), sent };
      await p.close();
      return { ...r, profile };
    };
    // Cold: the first cockpit after a first start (nothing remembered: Cube compiled the model at
    // start, every answer is computed for this visit), then after a restart, with the queries the
    // first visit asked answered again at start (what npm start does).
    const first = await measure();
    log(`  cold, first start (servers up in ${fmt(servers.startMs)}): LCP ${fmt(first.lcp)}, all charts ${fmt(first.charts)}\n    ${profileLine(first.profile)}`);
    await servers.stop();
    servers = await startServers();
    log(`  restarted in ${fmt(servers.startMs)} (warm-up: ${JSON.stringify(servers.semantic.warmed ?? 'not finished')})`);
    const cold = await measure();
    log(`  cold, after a restart: LCP ${fmt(cold.lcp)}, all charts ${fmt(cold.charts)}\n    ${profileLine(cold.profile)}`);
    log('warming up (Cube compiles the model and caches the answers) …');
    for (let i = 0; i < 2; i++) {
      const r = await measure();
      log(`  warm-up ${i + 1}: LCP ${fmt(r.lcp)}, all charts ${fmt(r.charts)}\n    ${profileLine(r.profile)}`);
    }
    // The cockpit's server load asks its data while the page goes out; `prefetch=off` is the same
    // page with the browser asking everything itself (merged requests): measured alternately in
    // this run, the baseline the prefetch is compared with on the same machine at the same time.
    const cockpit = path === '/' || path.startsWith('/?');
    const baselinePath = `${path}${path.includes('?') ? '&' : '?'}prefetch=off`;
    const results: { lcp: number; charts: number; profile: Profile }[] = [];
    const baseline: { lcp: number; charts: number; profile: Profile }[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await measure();
      results.push(r);
      log(`  run ${i + 1}: LCP ${fmt(r.lcp)}, all charts ${fmt(r.charts)}\n    ${profileLine(r.profile)}`);
      if (!cockpit) continue;
      const b = await measure(baselinePath);
      baseline.push(b);
      log(`  run ${i + 1}, browser asks everything: LCP ${fmt(b.lcp)}, all charts ${fmt(b.charts)}\n    ${profileLine(b.profile)}`);
    }
    const lcp = results.map((r) => r.lcp);
    const charts = results.map((r) => r.charts);
    const baselineLines = baseline.length
      ? [
          `  same page, browser asks everything (?prefetch=off, alternating runs):`,
          `    all charts rendered        median ${fmt(median(baseline.map((b) => b.charts)))}   (prefetch ×${(median(charts) / median(baseline.map((b) => b.charts))).toFixed(2)})   LCP median ${fmt(median(baseline.map((b) => b.lcp)))}`,
          `    Cube requests per view     ${median(baseline.map((b) => b.profile.sent ?? 0))} sent by the browser`,
        ]
      : [];
    console.log(
      [
        '',
        `Cockpit (${path}) at ${scale.customers.toLocaleString('en-GB')} customers / ${scale.transactions.toLocaleString('en-GB')} transactions, warm, ${runs} runs:`,
        `  Largest Contentful Paint     median ${fmt(median(lcp))}   max ${fmt(max(lcp))}   goal ≤ 1.50 s ${median(lcp) <= 1500 ? 'met' : 'NOT met'}`,
        `  all charts rendered          median ${fmt(median(charts))}   max ${fmt(max(charts))}   goal ≤ 3.00 s ${median(charts) <= 3000 ? 'met' : 'NOT met'}`,
        `  Cube requests per view       ${median(results.map((r) => r.profile.sent ?? 0))} sent by the browser (before this work: 21; the cockpit's own are now asked by its server load, cockpit/plan.ts)`,
        `  where the time went (median run): ${profileLine([...results].sort((a, b) => a.charts - b.charts)[Math.floor((results.length - 1) / 2)].profile)}`,
        ...baselineLines,
        `Cold, first visit after a restart (remembered queries answered at start; restart took ${fmt(servers.startMs)}):`,
        `  Largest Contentful Paint     ${fmt(cold.lcp)}`,
        `  all charts rendered          ${fmt(cold.charts)}   goal ≤ 3.00 s ${cold.charts <= 3000 ? 'met' : 'NOT met'}`,
        `  where the time went: ${profileLine(cold.profile)}`,
        `Cold, first visit after a first start (nothing remembered; the baseline of this run):`,
        `  Largest Contentful Paint     ${fmt(first.lcp)}`,
        `  all charts rendered          ${fmt(first.charts)}   (×${(first.charts / Math.max(cold.charts, 1)).toFixed(1)} the restarted one)`,
        `  where the time went: ${profileLine(first.profile)}`,
        `Load average at the end (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')} on ${availableParallelism()} cores`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const close of closers) await close().catch((err: Error) => log(`close: ${err.message}`));
  }
}

await main();
