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
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadWarehouseConfig } from '../lib/config.ts';
import { loadConfig } from '../lib/config/schema.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';
import { issueToken } from '../semantic/security/auth.ts';
import { setUserPassword } from '../web/server.ts';
import { launchChromium, settled } from '../test/web/browser.ts';
import { BENCH_SCALE, syntheticStatements, type SyntheticScale } from './semantic-data.ts';
import { unfilledAnswers } from './unfilled-answers.ts';

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
  --load-every <s>     while the main phase runs, load --load-rows new transactions every <s> seconds
                       through the product's HTTP ingest API (data changes under the users: the derived
                       tables are checked every <s> seconds too); prints each load's time to show in the
                       cockpit's order count beside the figures (default 0: no loads)
  --load-rows <n>      rows per load (default 1000)
  --trace <dir>        write timings to <dir>: semantic.jsonl (Cube's queue and cache events and the
                       semantic API's requests, CRM_SEMANTIC_TRACE), engine.jsonl (the embedded
                       warehouse's statements, CRM_EMBEDDED_TRACE), web.jsonl (each dashboard request's
                       session check and first byte, the event loop's delay; CRM_DASHBOARD_TRACE) and bench.jsonl (each page view's and
                       load's start and end, on the same clock: ms since the epoch)

The product's log (Cube's warnings among it) is written to test-artifacts/bench-load-product.log.`;

const GOAL = { p95: 2000, max: 5000 };
/**
 * How soon a load must show in the cockpit's order count (from the ingest API's answer): the derived
 * refresh's check interval (--load-every, here 15 s) and the refresh itself, then the answer cache's
 * staleness bound (30 s, semantic/cube-process.ts MAX_STALE_MS) at the very most; the re-warm
 * renews the order count, the most asked answer, within a few seconds of the commit.
 */
const SHOWN_GOAL_MS = 45_000;
/** How soon the HTTP ingest must answer a load: when its batch is written, not after any derived refresh (issue 17). */
const INGEST_GOAL_MS = 2_000;
/** The cockpit KPI a load must reach: paid orders (each loaded line is its own completed order). */
const SHOWN_QUERY = { measures: ['sales.orders'] };
/** Chromium opens at most 6 connections per origin (HTTP/1.1): the page's queries queue behind them. */
const PER_USER_CONNECTIONS = 6;
const WINDOW_MS = 5000;

/** --trace: the bench's own events, on the epoch clock the product's traces use. */
let benchTrace: ReturnType<typeof createWriteStream> | undefined;
const traceEvent = (ev: string, fields: Record<string, unknown>): void => void benchTrace?.write(`${JSON.stringify({ t: Date.now(), ev, ...fields })}\n`);
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
  /** Page views: ms until the HTML's first byte (session check, the layout's as-of day, the page's render budget); the rest is the streamed answers. */
  firstByteMs?: number;
  /** Page views: the page's own answers (its server-side prefetch) that came as null: the prefetch gave up (timeout, error, "Continue wait" to the end) and the chart is empty until a browser asks again. */
  unfilled?: number;
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
  cache?: { hits: number; misses: number; stored: number; notStored: number; versionChanges: number; bytes: number; [counter: string]: number };
  /** The loads made during the phase (--load-every). */
  loads?: LoadResult[];
}

interface LoadResult {
  /** ms since the phase started, when the load was sent. */
  at: number;
  /** The ingest API's answer time. */
  ingestMs: number;
  ok: boolean;
  error?: string;
  /** ms from the ingest answer until the cockpit's order count included the rows; undefined when it did not within the run. */
  shownMs?: number;
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
async function prepareWarehouse(dataDir: string, factor: number, fresh: boolean): Promise<{ accounts: Account[]; customers: number }> {
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
    } else {
      // The derived tables brought up to date before the product starts (loads of an earlier run, a
      // changed definition): otherwise the product's start-up refresh — a full rebuild after a
      // definition change, 60 s at 10M — runs inside the measured phase and is counted as the loads'.
      // Not fatal: on a busy machine the bench's own connection may time out; the product's start-up
      // refresh then does it (and the run says so).
      await refreshDerived(wh.client, wh.database, { mode: 'incremental' }).then(
        (r) => log(`derived tables ${r.kind === 'full' ? `rebuilt (${r.why})` : `refreshed (${r.changedCustomers} changed customers)`} in ${fmtS(r.ms)} before the start`),
        (err: Error) => log(`derived tables not refreshed before the start (${err.message}): the product's start-up refresh runs inside the measured phase`),
      );
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
    return { accounts, customers: await count('customers') };
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
  /** The ingest API's origin and token (for --load-every). */
  ingestOrigin: string;
  ingestToken: string;
  /** A token of the semantic API: the counters want one (docs/security.md, eighth review). */
  statsToken: string;
  close(): Promise<void>;
}

/** `npm start` on the bench warehouse, in a child process; resolves once the banner names the dashboard. */
async function startProduct(dataDir: string, cpuProfDir?: string, extraEnv: Record<string, string> = {}): Promise<Product> {
  const ports = { CRM_WEB_PORT: await freePort(), CRM_SEMANTIC_PORT: await freePort(), CRM_INGEST_PORT: await freePort(), CRM_EMBEDDED_PORT: await freePort() };
  mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
  const logFile = createWriteStream(join(PROJECT_ROOT, 'test-artifacts', 'bench-load-product.log'));
  const t0 = Date.now();
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', join(PROJECT_ROOT, 'bin', 'start.ts'), '--no-demo'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CRM_DATA_DIR: dataDir, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), CRM_LOG_FORMAT: 'json', ...extraEnv },
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
    ingestOrigin: `http://127.0.0.1:${ports.CRM_INGEST_PORT}`,
    // The product wrote (or found) its secrets in the data directory at start.
    ingestToken: process.env.INGEST_TOKEN || (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { ingestToken: string }).ingestToken,
    statsToken: issueToken({
      role: 'analyst',
      name: 'bench load',
      days: 1,
      secret: process.env.CUBEJS_API_SECRET || (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { cubeApiSecret: string }).cubeApiSecret,
    }),
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

  /** A one-row query's member as a number, asked as the page does (POST through the proxy, asking again on "Continue wait"); undefined on an error. */
  async value(query: object, member: string): Promise<number | undefined> {
    if (this.tokenExpires - 60 < Date.now() / 1000) await this.renewToken();
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await fetch(`${this.base}/cubejs-api/v1/load`, {
        method: 'POST',
        headers: { authorization: this.token, cookie: this.cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      }).catch(() => undefined);
      if (!res) return undefined;
      const body = (await res.json().catch(() => ({}))) as { error?: string; data?: Record<string, unknown>[] };
      if (res.status === 200 && body.error === 'Continue wait') continue;
      const v = body.data?.[0]?.[member];
      return res.status === 200 && v !== undefined && v !== null ? Number(v) : undefined;
    }
    return undefined;
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

interface LoadPlan {
  /** Seconds between two loads. */
  every: number;
  rows: number;
  /** Customers in the bench data: the loaded lines go to existing ones. */
  customers: number;
}

/**
 * `rows` completed order lines, each its own order, for existing bench customers, through the
 * product's HTTP ingest API (validation, upserts and batch bookkeeping as for any sender). Dated
 * inside the bench data's range, so the as-of date stays and the derived refresh stays incremental.
 */
async function sendLoad(product: Product, tag: string, plan: LoadPlan): Promise<{ ms: number; ok: boolean; error?: string }> {
  const records = Array.from({ length: plan.rows }, (_, i) => ({
    transaction_id: `BL-${tag}-${i}`,
    order_id: `BLO-${tag}-${i}`,
    customer_ref: `C${String((i * 7919) % plan.customers).padStart(7, '0')}`,
    order_date: '2025-12-30T12:00:00Z',
    status: 'completed',
    amount: (10 + (i % 90)).toFixed(2),
    category: 'books',
    channel: 'web',
  }));
  const t0 = performance.now();
  try {
    const res = await fetch(`${product.ingestOrigin}/v1/ingest/transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${product.ingestToken}`, 'content-type': 'application/json', 'idempotency-key': `bench-load-${tag}` },
      body: JSON.stringify({ source: 'bench', records }),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) return { ms, ok: false, error: `ingest HTTP ${res.status}: ${text.slice(0, 160)}` };
    const answer = JSON.parse(text) as { loaded?: number; updated?: number };
    const written = (answer.loaded ?? 0) + (answer.updated ?? 0);
    return written === plan.rows ? { ms, ok: true } : { ms, ok: false, error: `ingest wrote ${written} of ${plan.rows} rows: ${text.slice(0, 160)}` };
  } catch (err) {
    return { ms: performance.now() - t0, ok: false, error: (err as Error).message };
  }
}

/**
 * Loads every `plan.every` seconds until `stopAt`, and a probe user (an executive, like the
 * cockpit's KPI tiles) asks the order count every 500 ms until each load is in it: how long after
 * the ingest answered the cockpit showed the rows. Bounded: the probe stops 30 s after the phase.
 */
async function runLoads(base: string, account: Account, product: Product, start: number, stopAt: number, plan: LoadPlan): Promise<LoadResult[]> {
  const probe = new User(base, account);
  await probe.signIn();
  const orders = async (): Promise<number | undefined> => probe.value(SHOWN_QUERY, 'sales.orders');
  // Asked until it answers (a busy machine may time the first ones out); without it no load is sent.
  let first = await orders();
  while (first === undefined && performance.now() < stopAt) first = await orders();
  if (first === undefined) {
    log('the probe could not read sales.orders during the phase: no load was sent');
    return [];
  }
  const base0 = first;
  const loads: LoadResult[] = [];
  const run = randomBytes(4).toString('hex');
  const shownBy: { want: number; answeredAt: number; load: LoadResult; k: number }[] = [];
  let sent = 0;
  const loader = (async () => {
    for (let k = 1; start + k * plan.every * 1000 < stopAt; k++) {
      // A load whose time passed while the probe was still reading the first count is skipped, not sent late.
      if (start + (k + 1) * plan.every * 1000 < performance.now()) continue;
      const wait = start + k * plan.every * 1000 - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      const at = performance.now() - start;
      traceEvent('load sent', { k });
      const r = await sendLoad(product, `${run}-${k}`, plan);
      const load: LoadResult = { at, ingestMs: r.ms, ok: r.ok, error: r.error };
      loads.push(load);
      traceEvent('load answered', { k, ms: Math.round(r.ms), ok: r.ok, error: r.error });
      if (r.ok) shownBy.push({ want: base0 + ++sent * plan.rows, answeredAt: performance.now(), load, k });
    }
  })();
  let loaderDone = false;
  void loader.finally(() => (loaderDone = true));
  const probeUntil = stopAt + 30_000;
  while (performance.now() < probeUntil && !(loaderDone && shownBy.every((s) => s.load.shownMs !== undefined))) {
    const n = await orders();
    const now = performance.now();
    for (const s of shownBy)
      if (s.load.shownMs === undefined && n !== undefined && n >= s.want) {
        s.load.shownMs = now - s.answeredAt;
        traceEvent('load shown', { k: s.k, shownMs: Math.round(s.load.shownMs) });
      }
    await new Promise((res) => setTimeout(res, 500));
  }
  await loader;
  return loads;
}

type CacheCounters = NonNullable<PhaseResult['cache']>;
/** The answer cache's counters; undefined when the product has none (turned off, or an older build). */
async function cacheStats(origin: string, token: string): Promise<CacheCounters | undefined> {
  try {
    const res = await fetch(`${origin}/answer-cache`, { headers: { authorization: `Bearer ${token}` } });
    return res.ok ? ((await res.json()) as CacheCounters) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `count` users for `seconds` and returns every answer's timing. */
async function runPhase(base: string, accounts: Account[], queries: Map<Account['role'], CapturedRequest[]>, opts: { users: number; seconds: number; thinkMs: number; ownerShare: number; load?: LoadPlan }, product?: Product): Promise<PhaseResult> {
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
  const cacheBefore = product ? await cacheStats(product.semanticOrigin, product.statsToken) : undefined;
  const result: PhaseResult = { users: opts.users, seconds: opts.seconds, queries: [], pages: [], slowWarnings: 0, loadavg: [loadavg()[0], 0] };
  const start = performance.now();
  const stopAt = start + opts.seconds * 1000;
  let sampled = false;
  let sampledEmpty = false;
  const loading = opts.load && product ? runLoads(base, executives[0], product, start, stopAt, opts.load) : undefined;
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
          async (r) => {
            const firstByteMs = performance.now() - p0;
            return { ok: r.ok, text: await r.text(), status: r.status, firstByteMs };
          },
          (err: Error) => ({ ok: false, text: err.message, status: 0, firstByteMs: undefined }),
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
        const unfilled = html.ok ? unfilledAnswers(html.text) : 0;
        result.pages.push({ end: performance.now() - start, ms: performance.now() - p0, ok: pageOk, continueWaits: waits, firstByteMs: html.firstByteMs, unfilled });
        traceEvent('page view', { user: i, role: user.account.role, ms: Math.round(performance.now() - p0), firstByteMs: html.firstByteMs && Math.round(html.firstByteMs), ok: pageOk, unfilled });
        // One page as the bench read it, and the first one with an empty chart: what unfilledAnswers() counted.
        if (benchTrace && (!sampled || (unfilled > 0 && !sampledEmpty))) {
          sampled = true;
          sampledEmpty ||= unfilled > 0;
          benchTrace.write(`${JSON.stringify({ t: Date.now(), ev: 'page html sample', unfilled, html: html.text })}\n`);
        }
        await new Promise((res) => setTimeout(res, opts.thinkMs));
      }
    }),
  );
  result.seconds = (performance.now() - start) / 1000;
  result.loadavg[1] = loadavg()[0];
  if (loading) result.loads = await loading;
  result.slowWarnings = (product?.slowWarnings() ?? 0) - slowBefore;
  const cacheAfter = product ? await cacheStats(product.semanticOrigin, product.statsToken) : undefined;
  if (cacheBefore && cacheAfter) {
    result.cache = {
      hits: cacheAfter.hits - cacheBefore.hits,
      misses: cacheAfter.misses - cacheBefore.misses,
      stored: cacheAfter.stored - cacheBefore.stored,
      notStored: cacheAfter.notStored - cacheBefore.notStored,
      versionChanges: cacheAfter.versionChanges - cacheBefore.versionChanges,
      bytes: cacheAfter.bytes,
    };
    // Counters a newer answer cache keeps (re-warming, shared misses), when it has them.
    for (const [k, v] of Object.entries(cacheAfter)) if (!(k in result.cache) && typeof v === 'number' && typeof cacheBefore[k] === 'number') result.cache[k] = v - cacheBefore[k];
  }
  return result;
}

interface Summary {
  qps: number;
  pagesPerS: number;
  q: { p50: number; p95: number; max: number };
  page: { p50: number; p95: number; max: number };
  errors: number;
  /** Page views with at least one empty chart (unfilled answers), and those answers in all. */
  notFilled: number;
  emptyCharts: number;
  continueWaits: number;
  worst: { at: number; answers: number; slowest: number; meanPerWindow: number };
  /** The 5-second window whose answers had the highest p95 (where a load's cold answers show). */
  slowestWindow: { at: number; answers: number; p95: number; max: number };
  longestGap: { at: number; ms: number };
  errorKinds: Map<string, number>;
  /** Page views split at the HTML's first byte. */
  firstByte: { p50: number; p95: number; max: number };
  streamed: { p50: number; p95: number; max: number };
}

function summarize(r: PhaseResult): Summary {
  const lat = r.queries.map((s) => s.ms).sort((a, b) => a - b);
  const pages = r.pages.map((s) => s.ms).sort((a, b) => a - b);
  const errorKinds = new Map<string, number>();
  for (const s of r.queries) if (!s.ok) errorKinds.set(s.error ?? '?', (errorKinds.get(s.error ?? '?') ?? 0) + 1);
  // Every 5-second window starting on a whole second: the one with the fewest answers is the stall.
  const durationMs = r.seconds * 1000;
  // Browser queries when the page sends any, else page views (see report()).
  const timed = r.queries.some((q) => q.ok) ? r.queries : r.pages;
  const ends = timed.map((s) => s.end).sort((a, b) => a - b);
  let worst = { at: 0, answers: Infinity, slowest: 0, meanPerWindow: (ends.length * WINDOW_MS) / Math.max(durationMs, 1) };
  for (let at = 0; at + WINDOW_MS <= Math.max(durationMs, WINDOW_MS); at += 1000) {
    const inWindow = timed.filter((s) => s.end >= at && s.end < at + WINDOW_MS);
    const slowest = inWindow.reduce((m, s) => Math.max(m, s.ms), 0);
    if (inWindow.length < worst.answers || (inWindow.length === worst.answers && slowest > worst.slowest)) worst = { ...worst, at, answers: inWindow.length, slowest };
  }
  let slowestWindow = { at: 0, answers: 0, p95: 0, max: 0 };
  for (let at = 0; at + WINDOW_MS <= Math.max(durationMs, WINDOW_MS); at += 1000) {
    const ms = timed.filter((s) => s.end >= at && s.end < at + WINDOW_MS).map((s) => s.ms).sort((a, b) => a - b);
    if (ms.length && pct(ms, 95) > slowestWindow.p95) slowestWindow = { at, answers: ms.length, p95: pct(ms, 95), max: ms.at(-1)! };
  }
  let gap = { at: 0, ms: ends[0] ?? durationMs };
  for (let i = 1; i < ends.length; i++) if (ends[i] - ends[i - 1] > gap.ms) gap = { at: ends[i - 1], ms: ends[i] - ends[i - 1] };
  const spread = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: pct(sorted, 50), p95: pct(sorted, 95), max: sorted.at(-1) ?? NaN };
  };
  const split = r.pages.filter((p) => p.firstByteMs !== undefined);
  return {
    firstByte: spread(split.map((p) => p.firstByteMs!)),
    streamed: spread(split.map((p) => p.ms - p.firstByteMs!)),
    qps: r.queries.length / r.seconds,
    pagesPerS: r.pages.length / r.seconds,
    q: { p50: pct(lat, 50), p95: pct(lat, 95), max: lat.at(-1) ?? NaN },
    page: { p50: pct(pages, 50), p95: pct(pages, 95), max: pages.at(-1) ?? NaN },
    errors: r.queries.filter((s) => !s.ok).length,
    notFilled: r.pages.filter((p) => (p.unfilled ?? 0) > 0).length,
    emptyCharts: r.pages.reduce((n, p) => n + (p.unfilled ?? 0), 0),
    continueWaits: r.queries.reduce((n, s) => n + s.continueWaits, 0),
    worst,
    slowestWindow,
    longestGap: gap,
    errorKinds,
  };
}

function report(title: string, r: PhaseResult, s: Summary, goals: boolean): string[] {
  const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const pageGoals = r.queries.filter((q) => q.ok).length === 0;
  const lines = [
    `${title}: ${r.users} user${r.users === 1 ? '' : 's'}, ${r.seconds.toFixed(0)} s, ${r.pages.length} page views, ${r.queries.length} queries (load average ${r.loadavg[0].toFixed(1)} → ${r.loadavg[1].toFixed(1)})`,
    `  throughput        ${s.qps.toFixed(1)} queries/s, ${s.pagesPerS.toFixed(2)} page views/s`,
    pageGoals
      ? `  query latency     – (the page sent no query from the browser: its server-side prefetch answers with the page, so the goals apply to page views)`
      : `  query latency     p50 ${fmtS(s.q.p50)}   p95 ${fmtS(s.q.p95)}${goals ? ` (goal ≤ ${fmtS(GOAL.p95)}: ${mark(s.q.p95 <= GOAL.p95)})` : ''}   max ${fmtS(s.q.max)}${goals ? ` (goal ≤ ${fmtS(GOAL.max)}: ${mark(s.q.max <= GOAL.max)})` : ''}`,
    // The cockpit may send no query from the browser (its server-side prefetch streams the answers
    // with the page): then the page view is what a user waits for, and the goal applies to it.
    `  page view (all)   p50 ${fmtS(s.page.p50)}   p95 ${fmtS(s.page.p95)}${goals && pageGoals ? ` (goal ≤ ${fmtS(GOAL.p95)}: ${mark(s.page.p95 <= GOAL.p95)})` : ''}   max ${fmtS(s.page.max)}${goals && pageGoals ? ` (goal ≤ ${fmtS(GOAL.max)}: ${mark(s.page.max <= GOAL.max)})` : ''}`,
    `  page view steps   first byte (session check, layout's as-of day, ≤ 400 ms render budget) p50 ${fmtS(s.firstByte.p50)} p95 ${fmtS(s.firstByte.p95)} max ${fmtS(s.firstByte.max)}; the streamed answers after it p50 ${fmtS(s.streamed.p50)} p95 ${fmtS(s.streamed.p95)} max ${fmtS(s.streamed.max)}`,
    // A page whose prefetch gave up renders that chart empty (a browser then asks itself, the bench
    // does not): not an HTTP error, but not a filled page either; the goal counts both.
    `  errors            ${s.errors}; page views not filled ${s.notFilled} of ${r.pages.length} (${s.emptyCharts} charts left empty by the server's prefetch)${goals ? ` (goal 0 and 0: ${mark(s.errors === 0 && s.notFilled === 0)})` : ''}; "Continue wait" answers ${s.continueWaits}; Cube "too slow to be renewed" warnings ${r.slowWarnings}`,
    `  worst 5 s window  +${(s.worst.at / 1000).toFixed(0)} s: ${s.worst.answers} answers (mean ${s.worst.meanPerWindow.toFixed(0)} per 5 s), slowest ${fmtS(s.worst.slowest)}; longest stretch without an answer ${fmtS(s.longestGap.ms)} at +${(s.longestGap.at / 1000).toFixed(0)} s`,
  ];
  lines.push(`  slowest 5 s window (${pageGoals ? 'page views' : 'queries'}) +${(s.slowestWindow.at / 1000).toFixed(0)} s: ${s.slowestWindow.answers} answers, p95 ${fmtS(s.slowestWindow.p95)}, max ${fmtS(s.slowestWindow.max)}${goals ? ` (goal p95 ≤ ${fmtS(GOAL.p95)}: ${mark(s.slowestWindow.p95 <= GOAL.p95)})` : ''}`);
  if (r.loads) {
    const ok = r.loads.filter((l) => l.ok);
    const ingest = ok.map((l) => l.ingestMs).sort((a, b) => a - b);
    const shown = ok.filter((l) => l.shownMs !== undefined).map((l) => l.shownMs!).sort((a, b) => a - b);
    lines.push(
      `  loads             ${ok.length} of ${r.loads.length} ok; ingest answer p50 ${fmtS(pct(ingest, 50))} max ${fmtS(ingest.at(-1) ?? NaN)}${goals ? ` (goal each ≤ ${fmtS(INGEST_GOAL_MS)}: ${mark(ok.length > 0 && ok.length === r.loads.length && (ingest.at(-1) ?? Infinity) <= INGEST_GOAL_MS)})` : ''}; shown in the cockpit's order count after p50 ${fmtS(pct(shown, 50))} max ${fmtS(shown.at(-1) ?? NaN)}${goals ? ` (goal: each ≤ ${fmtS(SHOWN_GOAL_MS)}: ${mark(ok.length > 0 && shown.length === ok.length && (shown.at(-1) ?? Infinity) <= SHOWN_GOAL_MS)})` : ''}${shown.length < ok.length ? `; ${ok.length - shown.length} not shown within the run + 30 s` : ''}`,
      `    per load (sent at +s: answered after, shown after) ${r.loads.map((l) => `+${(l.at / 1000).toFixed(0)}: ${fmtS(l.ingestMs)}, ${l.ok ? (l.shownMs === undefined ? 'not shown' : fmtS(l.shownMs)) : `failed (${l.error})`}`).join('; ')}`,
    );
  }
  if (r.cache) {
    const c = r.cache;
    const asked = c.hits + c.misses;
    lines.push(
      `  answer cache      ${asked ? ((100 * c.hits) / asked).toFixed(1) : '–'}% hits (${c.hits} hits${c.stale !== undefined ? `, ${c.stale} of them stale within the bound` : ''}, ${c.misses} misses; ${c.stored} answers kept, ${c.notStored} not kept; ${c.versionChanges} data-version changes${c.held !== undefined ? `, ${c.held} reads held for a writer` : ''}${c.unchanged !== undefined ? `, ${c.unchanged} answers still current through a change to tables they do not read` : ''}; ${(c.bytes / 1024).toFixed(0)} KiB held)`,
    );
    if (c.rewarms !== undefined) lines.push(`  re-warm           ${c.rewarms} runs, ${c.rewarmAsked ?? 0} requests replayed, ${c.shared ?? 0} misses joined an identical request in flight`);
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
      'load-every': { type: 'string', default: '0' },
      'load-rows': { type: 'string', default: '1000' },
      trace: { type: 'string' },
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
  const loadEvery = num('load-every', 0);
  const loadRows = Math.round(num('load-rows', 1));
  const sweep = values.sweep ? values.sweep.split(',').map((s) => Number(s.trim())) : [];
  if (sweep.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sweep takes whole user counts, e.g. 1,5,10,25,50; got ${values.sweep}`);

  let product: Product | undefined;
  let accounts: Account[];
  let customers = 0;
  let base: string;
  try {
    if (values.url) {
      if (!values.email || !values.password) throw new Error('--url needs --email and --password (the account every simulated user signs in with)');
      base = values.url.replace(/\/$/, '');
      accounts = [{ email: values.email, password: values.password, role: 'executive' }];
    } else {
      const dataDir = values['data-dir'] ?? join(PROJECT_ROOT, '.data', 'bench-load');
      ({ accounts, customers } = await prepareWarehouse(dataDir, num('scale', 0.000001), values.fresh!));
      log('starting the product as npm start does …');
      // With loads, the derived tables are checked as often as loads come (the product's default is every 60 s).
      const traceEnv: Record<string, string> = {};
      if (values.trace) {
        mkdirSync(values.trace, { recursive: true });
        traceEnv.CRM_SEMANTIC_TRACE = join(values.trace, 'semantic.jsonl');
        traceEnv.CRM_EMBEDDED_TRACE = join(values.trace, 'engine.jsonl');
        traceEnv.CRM_DASHBOARD_TRACE = join(values.trace, 'web.jsonl');
        benchTrace = createWriteStream(join(values.trace, 'bench.jsonl'), { flags: 'a' });
        log(`tracing into ${values.trace}`);
      }
      product = await startProduct(dataDir, values['cpu-prof'], { ...traceEnv, ...(loadEvery > 0 ? { CRM_DERIVED_CHECK_SECONDS: String(Math.max(1, Math.round(loadEvery))) } : {}) });
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
    if (loadEvery > 0 && !product) throw new Error('--load-every needs the product the bench starts (not --url): it loads through its ingest API');
    const load = loadEvery > 0 ? { every: loadEvery, rows: loadRows, customers } : undefined;
    const phase = async (n: number, s: number, withLoads = false) => runPhase(base, accounts, queries, { users: n, seconds: s, thinkMs, ownerShare, load: withLoads ? load : undefined }, product);
    let baseline: Summary | undefined;
    if (baselineSeconds > 0) {
      log(`baseline: 1 user for ${baselineSeconds} s …`);
      const r = await phase(1, baselineSeconds);
      baseline = summarize(r);
      out.push(...report('Baseline', r, baseline, false), '');
    }
    log(`main: ${users} users for ${seconds} s …`);
    if (load) log(`main: a ${load.rows}-row load every ${load.every} s while the users run`);
    const main = await phase(users, seconds, true);
    const mainSummary = summarize(main);
    out.push(...report('Main', main, mainSummary, true));
    if (baseline) {
      // Page views when the page sends no browser query (see the sweep).
      const byPage = !main.queries.some((q) => q.ok);
      const [m, b] = byPage ? [mainSummary.page.p95, baseline.page.p95] : [mainSummary.q.p95, baseline.q.p95];
      const [mt, bt] = byPage ? [mainSummary.pagesPerS, baseline.pagesPerS] : [mainSummary.qps, baseline.qps];
      out.push(`  vs baseline       ${byPage ? 'page view ' : ''}p95 ×${(m / b).toFixed(1)}, throughput ×${(mt / bt).toFixed(1)} with ×${users} users`);
    }
    out.push('');
    if (sweep.length) {
      const rows: { n: number; s: Summary; r: PhaseResult }[] = [];
      for (const n of sweep) {
        log(`sweep: ${n} users for ${sweepSeconds} s …`);
        const r = await phase(n, sweepSeconds);
        rows.push({ n, s: summarize(r), r });
      }
      // Page views when the page sends no browser query (its answers come with the page): then a page
      // view is the unit of work and of waiting, and queries/s would be 0 and its latencies NaN.
      const byPage = rows.every(({ r }) => !r.queries.some((q) => q.ok));
      const unit = byPage ? 'page views/s' : 'queries/s';
      const rate = (x: Summary): number => (byPage ? x.pagesPerS : x.qps);
      const lat = (x: Summary) => (byPage ? x.page : x.q);
      out.push(`Saturation sweep (${sweepSeconds} s per step; ${byPage ? 'page views: the page sends no browser query' : 'browser queries'}):`, `  users  ${unit.padStart(12)}  ×1 user  p50      p95      max      errors  hits   load`);
      let saturated: number | undefined;
      rows.forEach(({ n, s, r }, i) => {
        const first = rate(rows[0].s);
        // Throughput stops growing: a step that adds users but less than 10% more answers per second.
        if (saturated === undefined && i > 0 && rate(s) < rate(rows[i - 1].s) * 1.1) saturated = rows[i - 1].n;
        out.push(`  ${String(n).padStart(5)}  ${rate(s).toFixed(1).padStart(12)}  ${(rate(s) / first).toFixed(1).padStart(7)}  ${fmtS(lat(s).p50).padEnd(7)}  ${fmtS(lat(s).p95).padEnd(7)}  ${fmtS(lat(s).max).padEnd(7)}  ${String(s.errors).padEnd(6)}  ${r.cache && r.cache.hits + r.cache.misses ? `${((100 * r.cache.hits) / (r.cache.hits + r.cache.misses)).toFixed(0)}%`.padEnd(5) : '–    '}  ${r.loadavg[1].toFixed(1)}`);
      });
      out.push(saturated === undefined ? `  throughput (${unit}) still grew at every step` : `  throughput (${unit}) stops growing after ${saturated} users (the next step added < 10%)`, '');
    }
    out.push(`load average at the end ${loadavg()[0].toFixed(2)}`, '');
    console.log(out.join('\n'));
  } finally {
    await product?.close();
  }
}

await main();
