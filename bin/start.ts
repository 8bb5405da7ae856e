/**
 * `npm start`: the whole product on one machine. Starts (or connects to) the warehouse, applies
 * migrations, loads the demo data into an empty warehouse, refreshes derived tables and scores,
 * then starts every server process and prints where to go. Ctrl-C stops everything in reverse
 * order. In containers each service runs alone: `--services web` (see docker-compose.yml).
 */
import { join } from 'node:path';
import { credentialsFor, loadWarehouseConfig, localSecrets, tightenDataDir } from '../lib/config.ts';
import { loadConfig } from '../lib/config/schema.ts';
import { ensureAccess } from '../lib/warehouse/access.ts';
import { connectWarehouse, type Warehouse } from '../lib/warehouse/index.ts';
import { migrations } from '../lib/warehouse/migrations/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { adoptReportingCurrency } from '../lib/warehouse/reporting-currency.ts';
import { checkDemoAccounts } from '../lib/warehouse/demo-accounts.ts';
import { startIngestServer } from '../ingest/http/index.ts';
import { startSemanticServer } from '../semantic/server.ts';
import { ensureDemoUsers, startWebServer } from '../web/server.ts';
import { describeDelivery, loadAlertsConfig, startWorker } from '../alerts/index.ts';
import { startDerivedRefresher, WORKER_MAX_THREADS } from '../semantic/derived/auto-refresh.ts';
import { prepareData } from './prepare-data.ts';
import { lineLog, partLogger } from '../lib/log.ts';

const SERVICES = ['migrate', 'ingest-api', 'semantic', 'web', 'worker'] as const;
type Service = (typeof SERVICES)[number];

const HELP = `Usage: npm start [-- options]

Starts the customer-intelligence platform: warehouse, ingest API, semantic layer (Cube),
dashboard and worker. With no CLICKHOUSE_URL set, an embedded ClickHouse (chdb) runs in this
process on 127.0.0.1 with its data in CRM_DATA_DIR (default ./.data). Set CLICKHOUSE_URL,
CLICKHOUSE_USER, CLICKHOUSE_PASSWORD (the admin: migrations) and CLICKHOUSE_DATABASE to use a
real ClickHouse instead, plus CLICKHOUSE_{WRITER,SEMANTIC,READER}_PASSWORD for the
least-privileged users each service connects as (see README.md).

Options:
  --services LIST   comma-separated subset of: ${SERVICES.join(', ')} (default: all).
                    "migrate" alone applies the schema and exits.
  --no-demo         do not load the demo data into an empty warehouse
  --help            show this help

Environment: CRM_BIND_HOST (default 127.0.0.1), CRM_WEB_PORT (3000), CRM_SEMANTIC_PORT (4000),
CRM_INGEST_PORT (4100), CRM_SEMANTIC_URL (use a semantic layer running elsewhere),
CRM_DERIVED_CHECK_SECONDS (60: how often the worker looks for new loads to rebuild the
derived tables behind the value, RFM and retention metrics), CRM_AS_OF (YYYY-MM-DD: the day
everything relative to "now" is computed for; default today, or the last paid order's day when
the data ends more than 7 days before today: old data starts, trains and scores as of its end).`;

interface Running {
  name: string;
  url?: string;
  note?: string;
  close(): Promise<void>;
}

// npm start's own lines: structured (lib/log.ts), `[start] …` in a terminal.
const startLog = partLogger('start');
const log = lineLog(startLog);
const warehouseLog = lineLog(partLogger('warehouse'));

function parseArgs(argv: string[]): { services: Set<Service>; demo: boolean; help: boolean } {
  let services = new Set<Service>(SERVICES);
  let demo = true;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') help = true;
    else if (a === '--no-demo') demo = false;
    else if (a === '--services') {
      const list = (argv[++i] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!list.includes('all')) {
        for (const s of list) if (!SERVICES.includes(s as Service)) throw new Error(`unknown service "${s}"; choose from ${SERVICES.join(', ')}, all`);
        services = new Set(list as Service[]);
      }
    } else throw new Error(`unknown option "${a}" (see --help)`);
  }
  return { services, demo, help };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return;
  }
  const running: Running[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      log('stopping…');
      for (const r of [...running].reverse()) {
        try {
          await r.close();
        } catch (err) {
          startLog.warn({ err }, `${r.name} did not stop cleanly: ${(err as Error).message}`);
        }
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    // Everything this process tree writes (data directory, models, alert outbox) is for this OS user only.
    process.umask(0o077);
    // The one read of the environment: every variable parsed and checked (lib/config/schema.ts).
    let env = loadConfig();
    const host = env.CRM_BIND_HOST;
    const config = loadWarehouseConfig(env);
    tightenDataDir(config.dataDir);
    const secrets = localSecrets(config.dataDir, env);
    // The admin only migrates (and, embedded, owns the engine); every service gets the least
    // privileged user it can work with. A service running alone against a real server never
    // needs the admin's password.
    const migrate = args.services.has('migrate') || !config.url;
    if (migrate) {
      const admin: Warehouse = await connectWarehouse({ config, ensureDatabase: true });
      running.push({ name: 'warehouse', url: admin.embedded ? admin.url : undefined, note: admin.embedded ? `embedded ClickHouse, data in ${config.dataDir}` : undefined, close: () => admin.close() });
      log(admin.embedded ? `embedded ClickHouse (chdb) on ${admin.url}, data in ${config.dataDir}` : `ClickHouse at ${admin.url}`);
      const migrated = await applyMigrations(admin.client, { database: admin.database, cluster: admin.cluster }, undefined, warehouseLog);
      log(`schema at version ${migrated.current}${migrated.applied.length ? ` (applied ${migrated.applied.map((m) => m.version).join(', ')})` : ''}`);
      if (config.url) await ensureAccess(admin.client, { database: admin.database, cluster: admin.cluster }, config.users ?? {}, warehouseLog);
      if (args.services.size === 1 && args.services.has('migrate')) return stop(0);
    }
    // The semantic service alone holds only Cube's user; every other service writes.
    const writes = (['ingest-api', 'worker', 'web'] as const).some((s) => args.services.has(s));
    const wh: Warehouse = await connectWarehouse({ config, as: writes ? 'writer' : 'semantic' });
    running.push({ name: `warehouse (${wh.role})`, close: () => wh.close() });
    if (!migrate) await expectSchema(wh);
    // The amounts' currency is the warehouse's (recorded by its first load of money), not the
    // environment's: a USD load shown by a plain npm start was labelled "€". Everything started
    // below (web, alerts, models, the demo load) reads CRM_BASE_CURRENCY, so it is set to that here.
    const { currency, recorded: currencyRecorded } = await adoptReportingCurrency(wh.client, wh.database);
    env = loadConfig();
    log(`amounts in ${currency}${currencyRecorded ? ' (recorded by the warehouse)' : ''}`);
    if (args.services.has('worker') || args.services.size === SERVICES.length) {
      await prepareData(wh, { demo: args.demo, dataDir: config.dataDir, log, configuredAsOf: env.CRM_AS_OF, reportingCurrency: currencyRecorded ? undefined : currency });
    }

    if (args.services.has('ingest-api')) {
      const ingest = await startIngestServer({ warehouse: wh, token: secrets.ingestToken, host, port: env.CRM_INGEST_PORT });
      running.push({ name: 'ingest API', url: `${ingest.url}/v1/ingest/<entity>`, close: () => ingest.close() });
    }
    let semanticUrl = env.CRM_SEMANTIC_URL?.replace(/\/$/, '');
    if (args.services.has('semantic')) {
      const semantic = await startSemanticServer({
        // Cube reads the product database and writes its rollups into <database>_pre_aggregations only.
        warehouse: { url: wh.url, ...credentialsFor(config, 'semantic'), database: wh.database },
        apiSecret: secrets.cubeApiSecret,
        host,
        port: env.CRM_SEMANTIC_PORT,
        // The queries people asked before this restart are answered again before the banner, so
        // the first cockpit after a restart finds them cached (semantic/warm-up.ts; issue 17).
        warmFile: join(config.dataDir, 'semantic-warm.json'),
        // A server has its own cores and sessions for Cube; the embedded engine shares its 4 with us.
        queryConcurrency: env.CRM_SEMANTIC_QUERY_CONCURRENCY || (config.url ? 10 : 2),
      });
      running.push({ name: 'semantic API', url: semantic.url, close: () => semantic.close() });
      semanticUrl = semantic.url.replace(/\/cubejs-api$/, '');
    }
    let derivedCheck: (() => Promise<unknown>) | undefined;
    if (args.services.has('worker')) {
      const alertsConfig = loadAlertsConfig(config.dataDir, env);
      const worker = startWorker({ warehouse: wh, dataDir: config.dataDir, config: alertsConfig, configuredAsOf: env.CRM_AS_OF, log: lineLog(partLogger('worker', { job: 'alerts' })) });
      running.push({ name: 'alerts worker', note: describeDelivery({ config: alertsConfig }), close: () => worker.close() });
      const checkSeconds = env.CRM_DERIVED_CHECK_SECONDS;
      const derived = startDerivedRefresher({
        client: wh.client,
        database: wh.database,
        cluster: wh.cluster,
        intervalMs: checkSeconds * 1000,
        configuredAsOf: env.CRM_AS_OF,
        log: lineLog(partLogger('worker', { job: 'derived' })),
        // The embedded endpoint's background lane decides the engine threads (auto-refresh.ts WORKER_MAX_THREADS).
        maxThreads: WORKER_MAX_THREADS,
      });
      running.push({ name: 'derived tables', note: `rebuilt within ${checkSeconds} s of a load`, close: () => derived.close() });
      derivedCheck = () => derived.check();
    }
    const signIn: string[] = [];
    let demoOff = false;
    if (args.services.has('web')) {
      if (!semanticUrl) throw new Error('the web app needs the semantic layer: start it too, or set CRM_SEMANTIC_URL');
      // Demo accounts exist on the embedded default only, and only while it holds nothing but the
      // demo's data: the first load of one's own turns them off (lib/warehouse/demo-accounts.ts).
      const demoDir = config.url ? undefined : join(config.dataDir, 'demo');
      const web = await startWebServer({ cubeUrl: `${semanticUrl}/cubejs-api`, warehouse: wh, secrets: { sessionSecret: secrets.sessionSecret, cubeApiSecret: secrets.cubeApiSecret }, dataDir: config.dataDir, config: env, host, port: env.CRM_WEB_PORT, demoDir });
      running.push({ name: 'dashboard', url: web.url, close: () => web.close() });
      if (demoDir) {
        const demo = await checkDemoAccounts(wh.client, wh.database, demoDir);
        if (demo.ownLoads > 0) demoOff = true;
        const users = demo.ownLoads > 0 ? [] : await ensureDemoUsers(wh.client);
        const owners = users.filter((u) => u.role === 'owner');
        for (const u of users.filter((u) => u.role !== 'owner')) signIn.push(`  ${u.role.padEnd(10)} ${u.email.padEnd(24)} ${u.password}`);
        if (owners.length) {
          const span = owners.length > 1 ? ` … ${owners.at(-1)!.email} (${owners.length} account owners)` : '';
          signIn.push(`  ${'owner'.padEnd(10)} ${owners[0].email}${span}  ${owners[0].password}`);
        }
      }
    }
    printBanner(running, signIn, env.CAMPAIGN_WEBHOOK_URL, demoOff);
    // A rebuild a load or a new as-of date made due runs now, in the background: the committed
    // derived tables serve the first visitors meanwhile (bin/prepare-data.ts; issue 17, cold start).
    void derivedCheck?.().catch((err: Error) => log(`derived tables not refreshed at start: ${err.message}`));
  } catch (err) {
    startLog.error({ err }, `failed: ${(err as Error).message}`);
    await stop(1);
  }
}

/** A service started alone must find the schema the migrate service applied. */
async function expectSchema(wh: Warehouse): Promise<void> {
  const expected = Math.max(0, ...migrations.map((m) => m.version));
  let current: number;
  try {
    const rs = await wh.client.query({ query: `SELECT max(version) AS v FROM ${wh.database}.schema_migrations`, format: 'JSONEachRow' });
    current = Number((await rs.json<{ v: number }>())[0]?.v ?? 0);
  } catch (error) {
    throw new Error(`cannot read ${wh.database}.schema_migrations as ${wh.user} (${(error as Error).message.split('\n')[0]}): run the migrate service (--services migrate) first`, { cause: error });
  }
  if (current < expected) throw new Error(`the warehouse schema is at version ${current}, this build needs ${expected}: run the migrate service (--services migrate) first`);
}

function printBanner(running: Running[], signIn: string[], campaignWebhook: string | undefined, demoOff: boolean): void {
  const lines = running.filter((r) => r.url || r.note).map((r) => (r.url ? `  ${r.name.padEnd(14)} ${r.url}${r.note ? `  (${r.note})` : ''}` : `  ${r.name.padEnd(14)} ${r.note}`));
  const web = running.find((r) => r.name === 'dashboard');
  // The segments page's push needs a webhook: say whether it is on, and how to turn it on (only the
  // origin is shown: the path or query of a webhook URL may carry a token).
  if (web) lines.push(`  ${'campaign push'.padEnd(14)} ${campaignWebhook ? `on → ${new URL(campaignWebhook).origin}` : 'off (set CAMPAIGN_WEBHOOK_URL to push segments to a campaign tool; README.md, Configuration)'}`);
  // Without demo data there are no demo accounts: say how to make one instead of leaving a sign-in page nobody can pass.
  const users = signIn.length
    ? ['', 'Demo users (embedded default only):', ...signIn]
    : web
      ? [
          '',
          ...(demoOff ? ['The demo accounts are off: this warehouse holds your own data, and their password is published.'] : []),
          'Sign in with a dashboard account (`npm run users -- list`); to add one:', '  npm run users -- add --email you@example.com --name "Your Name" --role admin', '  npm run users -- set-password you@example.com']
      : [];
  const open = web ? ['', `Open ${web.url} and sign in.`] : [];
  console.log(['', 'Customer intelligence is running:', ...lines, ...users, ...open, '', 'Press Ctrl-C to stop.', ''].join('\n'));
}

await main();
