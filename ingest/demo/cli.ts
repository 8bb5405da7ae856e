import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseIsoDay } from './calendar.ts';
import { generateDemo, type Progress } from './generate.ts';
import { parseScale, type Scale } from './scale.ts';
import { DEFAULT_SEED, DEFAULT_TODAY } from './world.ts';

const HELP = `Demo data generator: a deterministic CRM world written as ingest files.

Usage:
  npm run demo -- generate --out DIR [--scale default|small|bench|N] [--seed 42] [--today 2026-11-01]
  npm run demo -- load --dir DIR

Commands:
  generate       write the demo files to DIR
  load           load DIR into the configured warehouse through the ingest jobs (applies the
                 schema first; CLICKHOUSE_URL etc. as for npm start, else the embedded engine)

Options:
  --out DIR      directory to write (created if missing; files in it are replaced)
  --scale S      small ≈ 2k customers, default ≈ 20k (500k transactions), bench ≈ 500k
                 (10M transactions), or a customer count such as 50000, 100k, 1m
  --seed N       random seed, an integer 0..4294967295 (default ${DEFAULT_SEED}); same seed → same bytes
  --today D      reference day YYYY-MM-DD (default ${DEFAULT_TODAY}); history is the 3 years before it
  --dir DIR      (load) a directory written by generate
  -h, --help     this help

generate writes users.csv, customers_shop.csv, customers_support.csv, customers_sales.csv,
campaigns.csv, transactions.csv, interactions.ndjson, opportunities.csv, campaign_members.csv (the
ingest files, in load order), truth.csv (planted answers, not ingested), mapping.json (currency
rates, an ingest mapping file) and manifest.json (counts, checksums, planted truths; written last).
`;

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\nRun "npm run demo -- --help" for usage.\n`);
  process.exit(2);
}

const n = (x: number): string => x.toLocaleString('en');

async function generate(out: string, scale: Scale, seed: number, today: string): Promise<void> {
  const started = performance.now();
  let lastReport = 0;
  const report = (p: Progress): void => {
    const now = performance.now();
    if (now - lastReport < 2000 && p.customers < p.total) return;
    lastReport = now;
    process.stderr.write(
      `demo: ${n(p.customers)}/${n(p.total)} customers (${Math.floor((100 * p.customers) / p.total)}%), ${n(p.transactions)} transactions, ${n(p.rows)} rows, ${((now - started) / 1000).toFixed(1)} s\n`,
    );
  };
  process.stderr.write(`demo: generating scale=${scale.name} (${n(scale.customers)} customers) seed=${seed} today=${today} → ${out}\n`);
  const manifest = await generateDemo({ out, scale, seed, today }, report);
  for (const [file, f] of Object.entries(manifest.files)) {
    process.stderr.write(`  ${file.padEnd(24)} ${n(f.rows).padStart(12)} rows  ${(f.bytes / 1e6).toFixed(1).padStart(8)} MB  dirty ${f.dirty_rows}\n`);
  }
  process.stderr.write(`demo: done in ${((performance.now() - started) / 1000).toFixed(1)} s; churners ${n(manifest.churn.churners)} of ${n(manifest.churn.customers)}; manifest ${resolve(out, 'manifest.json')}\n`);
}

async function load(dir: string): Promise<void> {
  const { connectWarehouse } = await import('../../lib/warehouse/index.ts');
  const { applyMigrations } = await import('../../lib/warehouse/migrations/runner.ts');
  const { loadDemo } = await import('./load-demo.ts');
  const warehouse = await connectWarehouse({ withDatabase: false });
  try {
    await applyMigrations(warehouse.client, { database: warehouse.database, cluster: warehouse.cluster });
    let last = 0;
    const { summaries } = await loadDemo(warehouse, {
      dir,
      onProgress: (p) => {
        const now = performance.now();
        if (p.summary) {
          const s = p.summary;
          process.stderr.write(`demo: [${p.index}/${p.files}] ${p.file}: read ${n(s.read)}, loaded ${n(s.loaded)}, updated ${n(s.updated)}, duplicates ${n(s.duplicates)}, rejected ${n(s.rejected)} (${n(Math.round(s.rowsPerSecond))} rows/s)\n`);
        } else if (p.progress && now - last > 2000) {
          last = now;
          process.stderr.write(`demo: [${p.index}/${p.files}] ${p.file}: ${n(p.progress.rowsRead)} rows\n`);
        }
      },
    });
    const rejected = summaries.reduce((s, x) => s + x.summary.rejected, 0);
    process.stderr.write(`demo: loaded ${summaries.length} files; ${n(rejected)} rows rejected (the planted dirty rows; see *.rejects.csv in ${dir})\n`);
  } finally {
    await warehouse.close();
  }
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        dir: { type: 'string' },
        scale: { type: 'string', default: 'default' },
        seed: { type: 'string', default: String(DEFAULT_SEED) },
        today: { type: 'string', default: DEFAULT_TODAY },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return;
  }
  const [command, ...rest] = positionals;
  if (rest.length > 0 || (command !== 'generate' && command !== 'load')) fail(`unknown command "${positionals.join(' ')}"`);
  try {
    if (command === 'load') {
      if (!values.dir) fail('--dir DIR is required');
      await load(resolve(values.dir));
      return;
    }
    if (!values.out) fail('--out DIR is required');
    if (!/^\d+$/.test(values.seed!) || Number(values.seed) > 0xffffffff) fail(`--seed must be an integer 0..4294967295, got "${values.seed}"`);
    if (parseIsoDay(values.today!) === undefined) fail(`--today must be a date YYYY-MM-DD, got "${values.today}"`);
    let scale: Scale;
    try {
      scale = parseScale(values.scale!);
    } catch (err) {
      fail((err as Error).message);
    }
    await generate(resolve(values.out), scale, Number(values.seed), values.today!);
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
