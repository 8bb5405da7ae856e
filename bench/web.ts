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
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
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
      const semantic = await startSemanticServer({ warehouse: { url: wh.url, user: wh.user, password: wh.password, database: config.database }, apiSecret: cubeApiSecret, port: 0, queryTimeoutSeconds: 120, warmFile });
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
    const measure = async (): Promise<{ lcp: number; charts: number }> => {
      const p = await context.newPage();
      await p.bringToFront();
      await p.goto(`${servers.web.url}${path}`, { timeout: 300_000 });
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
      await p.close();
      return r;
    };
    // Cold: the first cockpit after a first start (nothing remembered: Cube compiled the model at
    // start, every answer is computed for this visit), then after a restart, with the queries the
    // first visit asked answered again at start (what npm start does).
    const first = await measure();
    log(`  cold, first start (servers up in ${fmt(servers.startMs)}): LCP ${fmt(first.lcp)}, all charts ${fmt(first.charts)}`);
    await servers.stop();
    servers = await startServers();
    log(`  restarted in ${fmt(servers.startMs)} (warm-up: ${JSON.stringify(servers.semantic.warmed ?? 'not finished')})`);
    const cold = await measure();
    log(`  cold, after a restart: LCP ${fmt(cold.lcp)}, all charts ${fmt(cold.charts)}`);
    log('warming up (Cube compiles the model and caches the answers) …');
    for (let i = 0; i < 2; i++) log(`  warm-up ${i + 1}: ${JSON.stringify(await measure())}`);
    const results: { lcp: number; charts: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await measure();
      results.push(r);
      log(`  run ${i + 1}: LCP ${fmt(r.lcp)}, all charts ${fmt(r.charts)}`);
    }
    const lcp = results.map((r) => r.lcp);
    const charts = results.map((r) => r.charts);
    console.log(
      [
        '',
        `Cockpit (${path}) at ${scale.customers.toLocaleString('en-GB')} customers / ${scale.transactions.toLocaleString('en-GB')} transactions, warm, ${runs} runs:`,
        `  Largest Contentful Paint     median ${fmt(median(lcp))}   max ${fmt(max(lcp))}   goal ≤ 1.50 s ${median(lcp) <= 1500 ? 'met' : 'NOT met'}`,
        `  all charts rendered          median ${fmt(median(charts))}   max ${fmt(max(charts))}`,
        `Cold, first visit after a restart (remembered queries answered at start; restart took ${fmt(servers.startMs)}):`,
        `  Largest Contentful Paint     ${fmt(cold.lcp)}`,
        `  all charts rendered          ${fmt(cold.charts)}   goal ≤ 3.00 s ${cold.charts <= 3000 ? 'met' : 'NOT met'}`,
        `Cold, first visit after a first start (nothing remembered; the baseline of this run):`,
        `  Largest Contentful Paint     ${fmt(first.lcp)}`,
        `  all charts rendered          ${fmt(first.charts)}   (×${(first.charts / Math.max(cold.charts, 1)).toFixed(1)} the restarted one)`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const close of closers) await close().catch((err: Error) => log(`close: ${err.message}`));
  }
}

await main();
