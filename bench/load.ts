/**
 * `npm run bench:load -- --users 50 --seconds 60`: simulated cockpit users against the running
 * product (issue 17, item 2). Each user signs in through the dashboard's form, fetches its Cube
 * token from /api/cube-token and then, in a loop, opens the cockpit: the page's HTML, then every
 * query the cockpit page sends, through the same path the browser uses (the dashboard's /cubejs-api
 * proxy, session cookie + the user's token, "Continue wait" answered by asking again as
 * @cubejs-client/core does), at most 6 requests in flight per user (Chromium's limit per origin),
 * then 1 s of think time.
 *
 * The queries are not a copy kept here: they are captured from the real cockpit page in Chromium
 * (one executive and one account owner sign in and open /), so the bench follows the page.
 *
 * Product: by default the bench starts it exactly as `npm start` does (`tsx bin/start.ts --no-demo`)
 * on a warehouse of its own (default .data/bench-load: the semantic bench's synthetic 500k customers
 * / 10M transactions, generated when empty, kept between runs), with one executive account and the
 * 20 synthetic account owners' accounts; users alternate executive / owner (row-level security:
 * every owner's queries are different SQL). `--url` attaches to a running product instead (one
 * account for every user: --email, --password).
 *
 * Prints, per phase: page views and queries per second, query and page-view latency p50/p95/max,
 * errors, "Continue wait" answers, the worst 5-second window and the longest stretch without an
 * answer; the 1-user baseline of the same run; a saturation sweep (--sweep) showing where throughput
 * stops growing; Cube's slow-query warnings counted from the product's log. Goals beside the figures
 * (p95 ≤ 2 s, max ≤ 5 s, 0 errors at 50 users).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadWarehouseConfig } from '../lib/config.ts';
import { loadConfig } from '../lib/config/schema.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';
import { setUserPassword } from '../web/server.ts';
import { launchChromium, settled } from '../test/web/browser.ts';
import { BENCH_SCALE, syntheticStatements, type SyntheticScale } from './semantic-data.ts';

const HELP = `Usage: npm run bench:load -- [--users 50] [--seconds 60] [--sweep 1,5,10,25,50] [options]

  --users <n>          simulated users in the main phase (default 50)
  --seconds <s>        length of the main phase (default 60)
  --baseline-seconds   length of the 1-user baseline phase run first (default 20; 0 skips it)
  --sweep <list>       user counts for a saturation sweep after the main phase, e.g. 1,5,10,25,50
  --sweep-seconds <s>  length of each sweep step (default 20)
  --think <ms>         think time between two page views of a user (default 1000)
  --owners <share>     share of users signed in as account owners, the rest executives (default 0.5)
  --url <url>          attach to a running dashboard instead of starting the product
  --email, --password  the account every user signs in with (with --url)
  --scale <f>          fraction of the bench size (500k customers, 10M transactions); default 1
  --fresh              regenerate the data even if the bench warehouse has it
  --data-dir <dir>     embedded bench warehouse (default .data/bench-load)
  --cpu-prof <dir>     write a V8 CPU profile of the product's main process (web, warehouse) there at its exit

The product's log (Cube's warnings among it) is written to test-artifacts/bench-load-product.log.`;

const GOAL = { p95: 2000, max: 5000 };
/** Chromium opens at most 6 connections per origin (HTTP/1.1): the page's queries queue behind them. */
const PER_USER_CONNECTIONS = 6;
const WINDOW_MS = 5000;

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const pct = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const log = (line: string): void => console.error(`[bench:load] ${line}`);

interface Account {
  email: string;
  password: string;
  role: 'executive' | 'owner';
}

interface CapturedRequest {
  /** Path and query string as the page sent it (GET), or the path (POST). */
  path: string;
  method: 'GET' | 'POST';
  body?: string;
}

interface Sample {
  /** ms since the phase started, when the answer arrived. */
  end: number;
  ms: number;
  ok: boolean;
  continueWaits: number;
  error?: string;
}

interface PhaseResult {
  users: number;
  seconds: number;
  queries: Sample[];
  pages: Sample[];
  slowWarnings: number;
  /** 1-minute load average at the phase's start and end (the machine is shared: every figure needs it beside). */
  loadavg: [number, number];
  /** The shared answer cache's counters over the phase (semantic/answer-cache.ts), when the bench can read them. */
  cache?: { hits: number; misses: number; stored: number; notStored: number; versionChanges: number; bytes: number };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The bench warehouse: synthetic data when empty, derived tables, and the accounts the users sign in with. */
async function prepareWarehouse(dataDir: string, factor: number, fresh: boolean): Promise<Account[]> {
  if (fresh && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  const env = { ...process.env, CRM_DATA_DIR: dataDir };
  const config = { ...loadWarehouseConfig(loadConfig(env)), url: undefined, dataDir, embeddedPort: 0 };
  const wh = await connectWarehouse({ config, ensureDatabase: true });
  try {
    await applyMigrations(wh.client, { database: wh.database }, undefined, log);
    const count = async (table: string): Promise<number> =>
      Number((await (await wh.client.query({ query: `SELECT count() AS n FROM ${wh.database}.${table}`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
    if ((await count('transactions')) === 0) {
      const scale = Object.fromEntries(Object.entries(BENCH_SCALE).map(([k, v]) => [k, Math.max(1, Math.round(v * factor))])) as unknown as SyntheticScale;
      log(`generating ${scale.customers} customers, ${scale.transactions} transactions …`);
      for (const statement of syntheticStatements(wh.database, scale)) await wh.client.command({ query: statement });
      for (const t of ['customers', 'transactions', 'interactions', 'opportunities', 'campaign_members']) await wh.client.command({ query: `OPTIMIZE TABLE ${wh.database}.${t} FINAL` });
      await refreshDerived(wh.client, wh.database, { log });
    }
    log(`data: ${await count('customers')} customers, ${await count('transactions')} transactions (${dataDir})`);
    // Passwords only this run knows; the synthetic owners (U-OWN-xx, ownerN@example.com) get one each.
    const password = randomBytes(12).toString('base64url');
    await wh.client.insert({
      table: `${wh.database}.users`,
      values: [{ user_id: 'U-BENCH-EXEC', email: 'bench-exec@example.com', name: 'Bench Executive', role: 'executive', owner_id: '', region: '', password_hash: '', active: 1, version: String(Date.now()) }],
      format: 'JSONEachRow',
    });
    const owners = await (await wh.client.query({ query: `SELECT email FROM ${wh.database}.users FINAL WHERE role = 'owner' AND active AND owner_id != '' ORDER BY email`, format: 'JSONEachRow' })).json<{ email: string }>();
    const accounts: Account[] = [{ email: 'bench-exec@example.com', password, role: 'executive' }];
    for (const a of accounts) await setUserPassword(wh.client, a.email, a.password);
    for (const { email } of owners) {
      await setUserPassword(wh.client, email, password);
      accounts.push({ email, password, role: 'owner' });
    }
    return accounts;
  } finally {
    await wh.close();
  }
}

interface Product {
  url: string;
  startedMs: number;
  /** Cube's "too slow to be renewed" warnings seen in the product's log so far. */
  slowWarnings(): number;
  /** The semantic process's own origin (its answer-cache counters are at /answer-cache there). */
  semanticOrigin: string;
  close(): Promise<void>;
}

/** `npm start` on the bench warehouse, in a child process; resolves once the banner names the dashboard. */
async function startProduct(dataDir: string, cpuProfDir?: string): Promise<Product> {
  const ports = { CRM_WEB_PORT: await freePort(), CRM_SEMANTIC_PORT: await freePort(), CRM_INGEST_PORT: await freePort(), CRM_EMBEDDED_PORT: await freePort() };
  mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
  const logFile = createWriteStream(join(PROJECT_ROOT, 'test-artifacts', 'bench-load-product.log'));
  const t0 = Date.now();
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', join(PROJECT_ROOT, 'bin', 'start.ts'), '--no-demo'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CRM_DATA_DIR: dataDir, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), CRM_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let slow = 0;
  let banner = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      logFile.write(text);
      slow += (text.match(/too slow to be renewed/g) ?? []).length;
      banner += text;
      const m = /dashboard\s+(http:\/\/\S+)/.exec(banner);
      if (m) resolve(m[1]);
      if (banner.length > 200_000) banner = banner.slice(-10_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`the product exited during start (code ${code}); see test-artifacts/bench-load-product.log`)));
  });
  const startedMs = Date.now() - t0;
  return {
    url,
    startedMs,
    slowWarnings: () => slow,
    semanticOrigin: `http://127.0.0.1:${ports.CRM_SEMANTIC_PORT}`,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
      logFile.end();
    },
  };
}

/** Opens the cockpit in Chromium as each account and records the Cube requests the page sends. */
async function captureCockpit(url: string, accounts: Account[]): Promise<Map<Account['role'], CapturedRequest[]>> {
  const browser = await launchChromium();
  const out = new Map<Account['role'], CapturedRequest[]>();
  try {
    for (const account of accounts) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const seen = new Map<string, CapturedRequest>();
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (!/^\/cubejs-api\/v1\/load/.test(u.pathname)) return;
        const method = r.method() === 'POST' ? 'POST' : 'GET';
        const body = method === 'POST' ? (r.postData() ?? '') : undefined;
        // The client's own retry after "Continue wait" repeats the request: one entry per query.
        const key = `${method} ${u.pathname}${u.search} ${body ?? ''}`;
        if (!seen.has(key)) seen.set(key, { path: `${u.pathname}${u.search}`, method, body });
      });
      const t0 = Date.now();
      // Signed in over HTTP (as the simulated users are), then the session cookie handed to the
      // browser: the form's own 30 s navigation limit is too short on a busy machine.
      const user = new User(url, account);
      await user.signIn();
      await context.addCookies(user.cookie.split('; ').map((c) => ({ name: c.slice(0, c.indexOf('=')), value: c.slice(c.indexOf('=') + 1), url })));
      await page.goto(`${url}/`, { timeout: 300_000 });
      await settled(page, 300_000);
      log(`captured the cockpit as ${account.role}: ${seen.size} queries (first visit took ${fmtS(Date.now() - t0)} incl. sign-in)`);
      out.set(account.role, [...seen.values()]);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

class User {
  cookie = '';
  token = '';
  tokenExpires = 0;
  constructor(
    readonly base: string,
    readonly account: Account,
  ) {}

  async signIn(): Promise<void> {
    const res = await fetch(`${this.base}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base, accept: 'text/html' },
      body: new URLSearchParams({ email: this.account.email, password: this.account.password }).toString(),
    });
    const page = await res.text();
    // Node 20 has getSetCookie; its bundled types do not declare it yet.
    const setCookies = (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
    const cookie = setCookies.map((c) => c.split(';')[0]).join('; ');
    if (res.status !== 303 || !cookie) throw new Error(`sign-in as ${this.account.email} failed: HTTP ${res.status} ${(/role="alert">([^<]*)/.exec(page)?.[1] ?? page.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)).trim()}`);
    this.cookie = cookie;
    await this.renewToken();
  }

  async renewToken(): Promise<void> {
    const res = await fetch(`${this.base}/api/cube-token`, { headers: { cookie: this.cookie, accept: 'application/json' } });
    if (!res.ok) throw new Error(`/api/cube-token answered ${res.status} for ${this.account.email}`);
    const t = (await res.json()) as { token: string; expiresAt: number };
    this.token = t.token;
    this.tokenExpires = t.expiresAt;
  }

  /** One query as @cubejs-client/core sends it: asks again on "Continue wait" (and after a 502, as it does). */
  async query(r: CapturedRequest, phaseStart: number): Promise<Sample> {
    if (this.tokenExpires - 60 < Date.now() / 1000) await this.renewToken();
    const t0 = performance.now();
    let continueWaits = 0;
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let text: string;
      try {
        const res = await fetch(`${this.base}${r.path}`, {
          method: r.method,
          headers: { authorization: this.token, cookie: this.cookie, 'x-request-id': `${randomUUID()}-span-1`, ...(r.body ? { 'content-type': 'application/json' } : {}) },
          body: r.body,
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        text = (err as Error).message;
      }
      const done = (ok: boolean, error?: string): Sample => ({ end: performance.now() - phaseStart, ms: performance.now() - t0, ok, continueWaits, error });
      if (status === 200 && text.includes('"Continue wait"')) {
        continueWaits++;
        continue;
      }
      if (status === 502 && attempt < 5) {
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      if (status === 200) return done(true);
      return done(false, `HTTP ${status}: ${text.slice(0, 160)}`);
    }
  }
}

type CacheCounters = NonNullable<PhaseResult['cache']>;
/** The answer cache's counters; undefined when the product has none (turned off, or an older build). */
async function cacheStats(origin: string): Promise<CacheCounters | undefined> {
  try {
    const res = await fetch(`${origin}/answer-cache`);
    return res.ok ? ((await res.json()) as CacheCounters) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `count` users for `seconds` and returns every answer's timing. */
async function runPhase(base: string, accounts: Account[], queries: Map<Account['role'], CapturedRequest[]>, opts: { users: number; seconds: number; thinkMs: number; ownerShare: number }, product?: Product): Promise<PhaseResult> {
  const executives = accounts.filter((a) => a.role === 'executive');
  const owners = accounts.filter((a) => a.role === 'owner');
  const users: User[] = [];
  let ownerTurn = 0;
  for (let i = 0; i < opts.users; i++) {
    // Owners spread evenly through the list: user i is an owner when the running share says so.
    const asOwner = owners.length > 0 && Math.floor((i + 1) * opts.ownerShare) > Math.floor(i * opts.ownerShare);
    users.push(new User(base, asOwner ? owners[ownerTurn++ % owners.length] : executives[i % executives.length]));
  }
  await Promise.all(users.map((u) => u.signIn()));
  const slowBefore = product?.slowWarnings() ?? 0;
  const cacheBefore = product ? await cacheStats(product.semanticOrigin) : undefined;
  const result: PhaseResult = { users: opts.users, seconds: opts.seconds, queries: [], pages: [], slowWarnings: 0, loadavg: [loadavg()[0], 0] };
  const start = performance.now();
  const stopAt = start + opts.seconds * 1000;
  await Promise.all(
    users.map(async (user, i) => {
      // Arrivals spread over the first think time, not all in the same millisecond.
      await new Promise((res) => setTimeout(res, (opts.thinkMs * i) / opts.users));
      const set = queries.get('executive')!;
      while (performance.now() < stopAt) {
        const p0 = performance.now();
        let pageOk = true;
        let waits = 0;
        const html = await fetch(`${base}/`, { headers: { cookie: user.cookie, accept: 'text/html' } }).then(
          async (r) => ({ ok: r.ok, text: await r.text(), status: r.status }),
          (err: Error) => ({ ok: false, text: err.message, status: 0 }),
        );
        if (!html.ok) {
          pageOk = false;
          result.queries.push({ end: performance.now() - start, ms: performance.now() - p0, ok: false, continueWaits: 0, error: `page HTTP ${html.status}` });
        }
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(PER_USER_CONNECTIONS, set.length) }, async () => {
            while (next < set.length) {
              const s = await user.query(set[next++], start);
              waits += s.continueWaits;
              if (!s.ok) pageOk = false;
              result.queries.push(s);
            }
          }),
        );
        result.pages.push({ end: performance.now() - start, ms: performance.now() - p0, ok: pageOk, continueWaits: waits });
        await new Promise((res) => setTimeout(res, opts.thinkMs));
      }
    }),
  );
  result.seconds = (performance.now() - start) / 1000;
  result.loadavg[1] = loadavg()[0];
  result.slowWarnings = (product?.slowWarnings() ?? 0) - slowBefore;
  const cacheAfter = product ? await cacheStats(product.semanticOrigin) : undefined;
  if (cacheBefore && cacheAfter) {
    result.cache = {
      hits: cacheAfter.hits - cacheBefore.hits,
      misses: cacheAfter.misses - cacheBefore.misses,
      stored: cacheAfter.stored - cacheBefore.stored,
      notStored: cacheAfter.notStored - cacheBefore.notStored,
      versionChanges: cacheAfter.versionChanges - cacheBefore.versionChanges,
      bytes: cacheAfter.bytes,
    };
  }
  return result;
}

interface Summary {
  qps: number;
  pagesPerS: number;
  q: { p50: number; p95: number; max: number };
  page: { p50: number; p95: number; max: number };
  errors: number;
  continueWaits: number;
  worst: { at: number; answers: number; slowest: number; meanPerWindow: number };
  longestGap: { at: number; ms: number };
  errorKinds: Map<string, number>;
}

function summarize(r: PhaseResult): Summary {
  const lat = r.queries.map((s) => s.ms).sort((a, b) => a - b);
  const pages = r.pages.map((s) => s.ms).sort((a, b) => a - b);
  const errorKinds = new Map<string, number>();
  for (const s of r.queries) if (!s.ok) errorKinds.set(s.error ?? '?', (errorKinds.get(s.error ?? '?') ?? 0) + 1);
  // Every 5-second window starting on a whole second: the one with the fewest answers is the stall.
  const durationMs = r.seconds * 1000;
  const ends = r.queries.map((s) => s.end).sort((a, b) => a - b);
  let worst = { at: 0, answers: Infinity, slowest: 0, meanPerWindow: (ends.length * WINDOW_MS) / Math.max(durationMs, 1) };
  for (let at = 0; at + WINDOW_MS <= Math.max(durationMs, WINDOW_MS); at += 1000) {
    const inWindow = r.queries.filter((s) => s.end >= at && s.end < at + WINDOW_MS);
    const slowest = inWindow.reduce((m, s) => Math.max(m, s.ms), 0);
    if (inWindow.length < worst.answers || (inWindow.length === worst.answers && slowest > worst.slowest)) worst = { ...worst, at, answers: inWindow.length, slowest };
  }
  let gap = { at: 0, ms: ends[0] ?? durationMs };
  for (let i = 1; i < ends.length; i++) if (ends[i] - ends[i - 1] > gap.ms) gap = { at: ends[i - 1], ms: ends[i] - ends[i - 1] };
  return {
    qps: r.queries.length / r.seconds,
    pagesPerS: r.pages.length / r.seconds,
    q: { p50: pct(lat, 50), p95: pct(lat, 95), max: lat.at(-1) ?? NaN },
    page: { p50: pct(pages, 50), p95: pct(pages, 95), max: pages.at(-1) ?? NaN },
    errors: r.queries.filter((s) => !s.ok).length,
    continueWaits: r.queries.reduce((n, s) => n + s.continueWaits, 0),
    worst,
    longestGap: gap,
    errorKinds,
  };
}

function report(title: string, r: PhaseResult, s: Summary, goals: boolean): string[] {
  const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const lines = [
    `${title}: ${r.users} user${r.users === 1 ? '' : 's'}, ${r.seconds.toFixed(0)} s, ${r.pages.length} page views, ${r.queries.length} queries (load average ${r.loadavg[0].toFixed(1)} → ${r.loadavg[1].toFixed(1)})`,
    `  throughput        ${s.qps.toFixed(1)} queries/s, ${s.pagesPerS.toFixed(2)} page views/s`,
    `  query latency     p50 ${fmtS(s.q.p50)}   p95 ${fmtS(s.q.p95)}${goals ? ` (goal ≤ ${fmtS(GOAL.p95)}: ${mark(s.q.p95 <= GOAL.p95)})` : ''}   max ${fmtS(s.q.max)}${goals ? ` (goal ≤ ${fmtS(GOAL.max)}: ${mark(s.q.max <= GOAL.max)})` : ''}`,
    `  page view (all)   p50 ${fmtS(s.page.p50)}   p95 ${fmtS(s.page.p95)}   max ${fmtS(s.page.max)}`,
    `  errors            ${s.errors}${goals ? ` (goal 0: ${mark(s.errors === 0)})` : ''}; "Continue wait" answers ${s.continueWaits}; Cube "too slow to be renewed" warnings ${r.slowWarnings}`,
    `  worst 5 s window  +${(s.worst.at / 1000).toFixed(0)} s: ${s.worst.answers} answers (mean ${s.worst.meanPerWindow.toFixed(0)} per 5 s), slowest ${fmtS(s.worst.slowest)}; longest stretch without an answer ${fmtS(s.longestGap.ms)} at +${(s.longestGap.at / 1000).toFixed(0)} s`,
  ];
  if (r.cache) {
    const c = r.cache;
    const asked = c.hits + c.misses;
    lines.push(
      `  answer cache      ${asked ? ((100 * c.hits) / asked).toFixed(1) : '–'}% hits (${c.hits} hits, ${c.misses} misses; ${c.stored} answers kept, ${c.notStored} not kept; ${c.versionChanges} data-version changes; ${(c.bytes / 1024).toFixed(0)} KiB held)`,
    );
  }
  for (const [kind, n] of [...s.errorKinds].slice(0, 5)) lines.push(`    ${n}× ${kind}`);
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '60' },
      'baseline-seconds': { type: 'string', default: '20' },
      sweep: { type: 'string' },
      'sweep-seconds': { type: 'string', default: '20' },
      think: { type: 'string', default: '1000' },
      owners: { type: 'string', default: '0.5' },
      url: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      scale: { type: 'string', default: '1' },
      fresh: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const num = (name: keyof typeof values, min: number): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${String(values[name])}`);
    return v;
  };
  const users = Math.round(num('users', 1));
  const seconds = num('seconds', 1);
  const baselineSeconds = num('baseline-seconds', 0);
  const sweepSeconds = num('sweep-seconds', 1);
  const thinkMs = num('think', 0);
  const ownerShare = num('owners', 0);
  if (ownerShare > 1) throw new Error('--owners is a share between 0 and 1');
  const sweep = values.sweep ? values.sweep.split(',').map((s) => Number(s.trim())) : [];
  if (sweep.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sweep takes whole user counts, e.g. 1,5,10,25,50; got ${values.sweep}`);

  let product: Product | undefined;
  let accounts: Account[];
  let base: string;
  try {
    if (values.url) {
      if (!values.email || !values.password) throw new Error('--url needs --email and --password (the account every simulated user signs in with)');
      base = values.url.replace(/\/$/, '');
      accounts = [{ email: values.email, password: values.password, role: 'executive' }];
    } else {
      const dataDir = values['data-dir'] ?? join(PROJECT_ROOT, '.data', 'bench-load');
      accounts = await prepareWarehouse(dataDir, num('scale', 0.000001), values.fresh!);
      log('starting the product as npm start does …');
      product = await startProduct(dataDir, values['cpu-prof']);
      base = product.url;
      log(`product up in ${fmtS(product.startedMs)} at ${base}`);
    }
    // The page sends the same queries for every role (the token decides the rows): one capture serves all.
    const queries = await captureCockpit(base, [accounts[0]]);
    const header = [
      '',
      `Cockpit under load (${queries.get('executive')?.length ?? 0} queries per page view as the page sends them; think ${thinkMs} ms; ≤ ${PER_USER_CONNECTIONS} requests in flight per user; ${Math.round(ownerShare * 100)}% account owners)`,
      `machine: ${cpus().length} cores, load average at start ${loadavg()[0].toFixed(2)} (shared: figures swing; compare within one run)`,
      '',
    ];
    const out: string[] = [...header];
    const phase = async (n: number, s: number) => runPhase(base, accounts, queries, { users: n, seconds: s, thinkMs, ownerShare }, product);
    let baseline: Summary | undefined;
    if (baselineSeconds > 0) {
      log(`baseline: 1 user for ${baselineSeconds} s …`);
      const r = await phase(1, baselineSeconds);
      baseline = summarize(r);
      out.push(...report('Baseline', r, baseline, false), '');
    }
    log(`main: ${users} users for ${seconds} s …`);
    const main = await phase(users, seconds);
    const mainSummary = summarize(main);
    out.push(...report('Main', main, mainSummary, true));
    if (baseline) out.push(`  vs baseline       p95 ×${(mainSummary.q.p95 / baseline.q.p95).toFixed(1)}, throughput ×${(mainSummary.qps / baseline.qps).toFixed(1)} with ×${users} users`);
    out.push('');
    if (sweep.length) {
      const rows: { n: number; s: Summary; r: PhaseResult }[] = [];
      for (const n of sweep) {
        log(`sweep: ${n} users for ${sweepSeconds} s …`);
        const r = await phase(n, sweepSeconds);
        rows.push({ n, s: summarize(r), r });
      }
      out.push(`Saturation sweep (${sweepSeconds} s per step):`, '  users  queries/s  ×1 user  p50      p95      max      errors  hits   load');
      let saturated: number | undefined;
      rows.forEach(({ n, s, r }, i) => {
        const first = rows[0].s.qps;
        // Throughput stops growing: a step that adds users but less than 10% more answers per second.
        if (saturated === undefined && i > 0 && s.qps < rows[i - 1].s.qps * 1.1) saturated = rows[i - 1].n;
        out.push(`  ${String(n).padStart(5)}  ${s.qps.toFixed(1).padStart(9)}  ${(s.qps / first).toFixed(1).padStart(7)}  ${fmtS(s.q.p50).padEnd(7)}  ${fmtS(s.q.p95).padEnd(7)}  ${fmtS(s.q.max).padEnd(7)}  ${String(s.errors).padEnd(6)}  ${r.cache && r.cache.hits + r.cache.misses ? `${((100 * r.cache.hits) / (r.cache.hits + r.cache.misses)).toFixed(0)}%`.padEnd(5) : '–    '}  ${r.loadavg[1].toFixed(1)}`);
      });
      out.push(saturated === undefined ? '  throughput still grew at every step' : `  throughput stops growing after ${saturated} users (the next step added < 10%)`, '');
    }
    out.push(`load average at the end ${loadavg()[0].toFixed(2)}`, '');
    console.log(out.join('\n'));
  } finally {
    await product?.close();
  }
}

await main();
