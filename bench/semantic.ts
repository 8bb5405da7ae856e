/**
 * `npm run bench:semantic`: every cockpit query through Cube's /load and, in the same run, the SQL
 * Cube generated for it (from /sql) straight on the engine; prints p50/p95 of both and the ratio.
 * Goal (issue 3): Cube p95 ≤ 1.3 × direct p95 + 30 ms, and every p95 < 1 s, at 500k customers /
 * 10M transactions.
 *
 * Data: synthetic rows written with INSERT … SELECT FROM numbers() (bench/semantic-data.ts) into a
 * warehouse of its own (default .data/bench-semantic, embedded), kept between runs; `--existing`
 * benchmarks whatever the configured warehouse holds instead (e.g. the demo data at bench scale).
 */
import { createClient } from '@clickhouse/client';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadWarehouseConfig } from '../lib/config.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';
import { issueToken } from '../semantic/security/auth.ts';
import { DEFAULT_MODEL_PATH, startSemanticServer, type SemanticServer } from '../semantic/server.ts';
import { BENCH_SCALE, syntheticStatements, type SyntheticScale } from './semantic-data.ts';

const require = createRequire(import.meta.url);
const { formatMySql } = require('@cubejs-backend/shared') as { formatMySql(sql: string, values: unknown[]): string };

const HELP = `Usage: npm run bench:semantic -- [--runs 20] [--scale 1] [--fresh] [--existing] [--data-dir <dir>]

  --runs <n>      timed runs per query and path (default 20, after 2 warm-up runs)
  --scale <f>     fraction of the bench size (500k customers, 10M transactions); default 1
  --fresh         regenerate the synthetic data even if the bench warehouse has it
  --existing      use the configured warehouse (CLICKHOUSE_URL or CRM_DATA_DIR) as it is: no data generated
  --skip-refresh  keep the derived tables of an earlier run instead of rebuilding them
  --data-dir <d>  embedded bench warehouse directory (default .data/bench-semantic)`;

interface CockpitQuery {
  name: string;
  query: Record<string, unknown>;
  /** Token role; owner queries use the first owner of the data. */
  as?: 'executive' | 'owner';
}

const LAST_YEAR = ['2025-01-01', '2025-12-31'];

export const COCKPIT: CockpitQuery[] = [
  {
    name: 'revenue trend by month',
    query: { measures: ['sales.revenue', 'sales.net_revenue', 'sales.orders'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month' }] },
  },
  {
    name: 'KPIs (12 months)',
    query: {
      measures: ['sales.revenue', 'sales.net_revenue', 'sales.orders', 'sales.average_order_value', 'sales.active_customers', 'sales.new_customers'],
      timeDimensions: [{ dimension: 'sales.order_date', dateRange: LAST_YEAR }],
    },
  },
  {
    name: 'repeat-purchase rate (12 months)',
    query: { measures: ['sales.repeat_purchase_rate'], timeDimensions: [{ dimension: 'sales.order_date', dateRange: LAST_YEAR }] },
  },
  {
    name: 'KPIs (12 months, one region)',
    query: {
      measures: ['sales.net_revenue', 'sales.orders', 'sales.active_customers'],
      timeDimensions: [{ dimension: 'sales.order_date', dateRange: LAST_YEAR }],
      filters: [{ member: 'sales.customer_region', operator: 'equals', values: ['North'] }],
    },
  },
  {
    name: 'retention matrix',
    query: {
      measures: ['retention.cohort_customers', 'retention.retained_customers', 'retention.retention_rate', 'retention.revenue_retention'],
      dimensions: ['retention.months_since_first_purchase'],
      timeDimensions: [{ dimension: 'retention.cohort_month', granularity: 'month' }],
    },
  },
  {
    name: 'RFM segment sizes',
    query: { measures: ['rfm_segments.customer_count', 'rfm_segments.total_lifetime_value', 'rfm_segments.avg_lifetime_value'], dimensions: ['rfm_segments.rfm_segment'] },
  },
  {
    name: 'pipeline by stage',
    query: { measures: ['pipeline.deals', 'pipeline.pipeline_value', 'pipeline.won_value', 'pipeline.lost_value', 'pipeline.win_rate'], dimensions: ['pipeline.stage'] },
  },
  {
    name: 'loss reasons by quarter',
    query: {
      measures: ['pipeline.lost_value', 'pipeline.lost_deals'],
      dimensions: ['pipeline.loss_reason'],
      timeDimensions: [{ dimension: 'pipeline.closed_at', granularity: 'quarter' }],
      filters: [{ member: 'pipeline.deal_status', operator: 'equals', values: ['lost'] }],
    },
  },
  {
    name: 'churn-risk distribution',
    query: { measures: ['customer_risk.scored_customers', 'customer_risk.value_at_risk', 'customer_risk.avg_churn_probability'], dimensions: ['customer_risk.risk_band'] },
  },
  {
    name: 'owner: revenue trend by month',
    as: 'owner',
    query: { measures: ['sales.net_revenue', 'sales.orders'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month' }] },
  },
  {
    name: 'owner: RFM segment sizes',
    as: 'owner',
    query: { measures: ['rfm_segments.customer_count'], dimensions: ['rfm_segments.rfm_segment'] },
  },
];

/** Not a cockpit query: the same trend read live from the 10M order lines, to show what the derived table saves. */
const REFERENCE: CockpitQuery = {
  name: '(reference) trend from live order lines',
  query: { measures: ['product_sales.line_net_revenue'], timeDimensions: [{ dimension: 'product_sales.order_date', granularity: 'month' }] },
};

/** A copy of the model without pre_aggregations (the "before" of the rollups). */
function modelWithoutPreAggregations(): string {
  const yaml = createRequire(require.resolve('@cubejs-backend/schema-compiler'))('js-yaml') as { load(t: string): unknown; dump(o: unknown): string };
  const dir = mkdtempSync(join(tmpdir(), 'crm-model-plain-'));
  cpSync(DEFAULT_MODEL_PATH, dir, { recursive: true });
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const file of walk(join(dir, 'cubes'))) {
    const doc = yaml.load(readFileSync(file, 'utf8')) as { cubes: Record<string, unknown>[] };
    for (const cube of doc.cubes) delete cube.pre_aggregations;
    writeFileSync(file, yaml.dump(doc));
  }
  return dir;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      scale: { type: 'string', default: '1' },
      fresh: { type: 'boolean', default: false },
      existing: { type: 'boolean', default: false },
      'skip-refresh': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(HELP);
  const runs = Number(values.runs);
  const factor = Number(values.scale);
  const log = (line: string) => console.error(`[bench] ${line}`);

  const base = loadWarehouseConfig();
  const config = values.existing
    ? base
    : { ...base, url: undefined, dataDir: values['data-dir'] ?? join(PROJECT_ROOT, '.data', 'bench-semantic'), embeddedPort: 0, database: 'crm' };
  if (!values.existing && values.fresh && existsSync(config.dataDir)) rmSync(config.dataDir, { recursive: true, force: true });
  const admin = await connectWarehouse({ config, withDatabase: false });
  await applyMigrations(admin.client, { database: config.database, cluster: config.cluster }, undefined, log);
  const wh = await connectWarehouse({ config });
  try {
    const scale: SyntheticScale = Object.fromEntries(Object.entries(BENCH_SCALE).map(([k, v]) => [k, Math.max(1, Math.round(v * factor))])) as unknown as SyntheticScale;
    const count = async (table: string) => {
      const rs = await wh.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0].n);
    };
    if (!values.existing && (await count('transactions')) !== scale.transactions) {
      if ((await count('transactions')) > 0) throw new Error(`${config.dataDir} holds another scale: run with --fresh`);
      log(`generating ${scale.customers} customers, ${scale.transactions} transactions, ${scale.interactions} interactions, ${scale.opportunities} deals …`);
      const t0 = Date.now();
      for (const statement of syntheticStatements(config.database, scale)) await wh.client.command({ query: statement });
      // What the background merges of a long-running server would have done by now.
      for (const t of ['customers', 'transactions', 'interactions', 'opportunities', 'campaign_members']) await wh.client.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
      log(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const facts = { customers: await count('customers'), transactions: await count('transactions'), opportunities: await count('opportunities') };
    log(`data: ${JSON.stringify(facts)}`);
    const refreshed = values['skip-refresh'] && (await count('derived_snapshots')) > 0
      ? undefined
      : await refreshDerived(wh.client, wh.database, { cluster: wh.cluster, log });

    const secret = `bench-${Date.now()}-secret-secret`;
    const ownerRs = await wh.client.query({ query: "SELECT owner_id FROM customers_resolved WHERE owner_id != '' GROUP BY owner_id ORDER BY owner_id LIMIT 1", format: 'JSONEachRow' });
    const ownerId = (await ownerRs.json<{ owner_id: string }>())[0]?.owner_id ?? 'U-OWN-00';
    const tokens = {
      executive: issueToken({ role: 'executive', name: 'Bench', secret }),
      owner: issueToken({ role: 'owner', name: 'Bench owner', ownerId, secret }),
    };
    const warehouse = { url: wh.url, user: wh.user, password: wh.password, database: wh.database };
    // Two Cube servers on the same warehouse: the model as shipped (with rollups) and the same model
    // with its pre_aggregations removed, which gives the source SQL and the "before" numbers.
    const plainModel = modelWithoutPreAggregations();
    const semantic = await startSemanticServer({ warehouse, apiSecret: secret, port: 0, queryTimeoutSeconds: 120 });
    const plain = await startSemanticServer({ warehouse, apiSecret: secret, port: 0, queryTimeoutSeconds: 120, modelPath: plainModel });
    // The same endpoint and settings Cube's driver uses (join_use_nulls = 1, JSONCompact).
    const direct = createClient({
      url: wh.url, username: wh.user, password: wh.password, database: wh.database, request_timeout: 300_000,
      clickhouse_settings: { join_use_nulls: 1, date_time_output_format: 'simple', send_progress_in_http_headers: 0 },
    });
    const post = async (path: string, body: unknown, token: string, server = plain) => {
      const res = await fetch(`${server.url}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { error?: string; data?: unknown[]; sql?: { sql: [string, unknown[]] } };
      if (res.status !== 200 || json.error) throw new Error(`${path} ${res.status}: ${json.error}`);
      return json;
    };

    const loadStart = loadavg();
    const results: { name: string; rows: number; direct: number[]; cube: number[]; rollup: number[]; cached: number[] }[] = [];
    try {
      for (const q of [...COCKPIT, REFERENCE]) {
        const token = tokens[q.as ?? 'executive'];
        // Each run gets its own LIMIT (always above the row count): a new SQL text, so Cube cannot
        // answer from its result cache and both paths run exactly the same statement.
        const variant = async (i: number) => {
          const query = { ...q.query, limit: 10_000 - i };
          const [sql, params] = (await post('v1/sql', { query }, token)).sql!.sql;
          return { query, sql: formatMySql(sql, params) };
        };
        const runDirect = async (sql: string) => {
          const rs = await direct.query({ query: sql, format: 'JSONCompact' });
          return ((await rs.json()) as { data: unknown[] }).data.length;
        };
        const runCube = async (query: object, server: SemanticServer) => (await post('v1/load', { query }, token, server)).data!.length;
        const time = async <T>(f: () => Promise<T>, into: number[]): Promise<T> => {
          const t = performance.now();
          const out = await f();
          into.push(performance.now() - t);
          return out;
        };
        const r = { name: q.name, rows: 0, direct: [] as number[], cube: [] as number[], rollup: [] as number[], cached: [] as number[] };
        // Warm-up, which also builds the rollups (and an owner's own rollups) on first use.
        for (let i = 0; i < 2; i++) {
          const v = await variant(1000 + i);
          await runDirect(v.sql);
          await runCube(v.query, plain);
          await runCube(v.query, semantic);
        }
        for (let i = 0; i < runs; i++) {
          const v = await variant(i);
          // Alternate the paths so all see the same machine load.
          r.rows = await time(() => runDirect(v.sql), r.direct);
          const plainRows = await time(() => runCube(v.query, plain), r.cube);
          const rollupRows = await time(() => runCube(v.query, semantic), r.rollup);
          if (plainRows !== r.rows || rollupRows !== r.rows) throw new Error(`${q.name}: Cube returned ${plainRows}/${rollupRows} rows, direct SQL ${r.rows}`);
          // The same query again: Cube's result cache (what a dashboard refresh mostly sees).
          await time(() => runCube(v.query, semantic), r.cached);
        }
        results.push(r);
        log(`${q.name}: direct p95 ${percentile(r.direct, 95).toFixed(0)} ms, Cube p95 ${percentile(r.cube, 95).toFixed(0)} ms, with rollups ${percentile(r.rollup, 95).toFixed(0)} ms`);
      }
    } finally {
      await direct.close();
      await semantic.close();
      await plain.close();
      rmSync(plainModel, { recursive: true, force: true });
    }

    const pad = (s: string, n: number) => s.padEnd(n);
    const ms = (v: number) => `${v.toFixed(0)}`.padStart(6);
    console.log(`\nSemantic-layer bench: ${facts.customers} customers, ${facts.transactions} transactions, ${facts.opportunities} deals; ${runs} runs per path`);
    console.log(`machine: ${cpus().length} cores, load average at start ${loadStart.map((l) => l.toFixed(1)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(refreshed
      ? `refreshDerived: ${(refreshed.ms / 1000).toFixed(1)} s (${refreshed.rows.paid_orders} orders, ${refreshed.rows.customer_value} customers, ${refreshed.rows.customer_retention} cohort cells)`
      : 'refreshDerived: skipped (--skip-refresh)');
    console.log('direct = the SQL Cube generates (from /sql, no rollups) run on the engine; Cube = /load without rollups;');
    console.log('rollups = /load with the shipped model (monthly sales and retention rollups in ClickHouse); cached = repeat of a query.\n');
    console.log(`${pad('query', 38)} ${pad('rows', 4)} | direct p50  p95 |  Cube p50  p95 | ratio | rollups p50 p95 | goal | cached`);
    let allMet = true;
    for (const r of results) {
      const [d50, d95, c50, c95, p50, p95] = [r.direct, r.direct, r.cube, r.cube, r.rollup, r.rollup].map((v, i) => percentile(v, i % 2 ? 95 : 50));
      // Overhead: Cube without rollups against its own SQL; latency: what users get (with rollups).
      const met = c95 <= 1.3 * d95 + 30 && p95 < 1000;
      if (!r.name.startsWith('(reference)')) allMet &&= met;
      console.log(`${pad(r.name, 38)} ${String(r.rows).padStart(4)} | ${ms(d50)} ${ms(d95)} | ${ms(c50)} ${ms(c95)} | ${(c95 / d95).toFixed(2).padStart(5)} | ${ms(p50)} ${ms(p95)} | ${met ? ' ok ' : 'MISS'} | ${ms(percentile(r.cached, 50))}`);
    }
    console.log(`\ngoal (Cube p95 ≤ 1.3 × direct p95 + 30 ms, and p95 with rollups < 1000 ms) ${allMet ? 'met for every cockpit query' : 'missed for at least one query'}`);
  } finally {
    await wh.close();
    await admin.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
