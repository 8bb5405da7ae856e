/**
 * `npm run models -- <command>`: train, score, evaluate and export the churn and CLV models against
 * the configured warehouse (embedded by default). Progress goes to stderr, results to stdout.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadWarehouseConfig } from '../lib/config.ts';
import { loadConfig } from '../lib/config/schema.ts';
import { describeAsOf, warehouseAsOf } from '../lib/as-of.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { adoptReportingCurrency } from '../lib/warehouse/reporting-currency.ts';
import { addDays, describeDefinition, parseDay, resolveDefinition } from './churn/definition.ts';
import { evaluateChurn, writeEvaluationReport } from './churn/evaluate.ts';
import { exportFeatures, formatFromPath, type ExportFormat } from './churn/export.ts';
import { trainAndRegister } from './churn/pipeline.ts';
import { beginRun } from './scoring/runs.ts';
import { scoreIntoRun } from './scoring/train-and-score.ts';
import { runWinLoss, WinLossError } from './winloss/run.ts';

const HELP = `Usage: npm run models -- <command> [options]

Commands:
  train      validated model selection, then register the chosen churn model: rolling-origin
             out-of-time folds (six cutoffs half a horizon apart: today − horizon, − 1.5·horizon, …)
             over recency, BG/NBD (E[X], P(no purchase in the horizon)), a stack on it,
             logistic regression and a small forest grid (also with BG/NBD outputs as features);
             ships the best validated candidate (ties → the simpler, never below the best
             baseline), Platt-calibrated on held-out folds, trained on the newest cutoffs whose
             labels are complete (today − horizon and the one before), and stores its model card
  score      score churn risk (newest registered model) and CLV for every customer as one run:
             both are written under a new run id and published together (model_runs)
  evaluate   time-based validation of the default forest vs the recency and BG/NBD baselines at one
             cutoff; writes a report
  export     write the churn feature matrix at a cutoff to CSV or Parquet
  winloss    win/loss model (issue 18): features of every deal as of its close (open deals: as of
             today), forest vs logistic chosen out of time beside stage-only and amount-only
             baselines, calibrated; drivers per slice (adjusted loss risk ratios with 95% CIs) and
             each deal's causes, written to deal_scores / winloss_drivers and published with its
             model card (needs ≥ 200 closed deals)
  all        train, then score, then winloss (what the first start and the worker run)

Options:
  --today YYYY-MM-DD    the day to act as "today" (default: the as-of date: CRM_AS_OF, else today
                        (UTC), else the last paid order's day when the data ends more than 7 days
                        before today); facts before it are used
  --cutoff YYYY-MM-DD   train with --no-evaluate: training cutoff (default today − horizon); ignored
                        by train with model selection, whose cutoffs follow from today and horizon
                        export: feature cutoff (default today)
                        evaluate: evaluation cutoff (default today − horizon; training one horizon earlier)
  --trees N             trees in every forest trained (selection grid, --no-evaluate, evaluate; default 100)
  --depth N             maximum depth of every forest trained (default: the grid's, 10 for the default forest)
  --horizon N           churn horizon in days (default 90); the first start and the worker then train
                        at the latest model's horizon unless CRM_CHURN_HORIZON_DAYS is set
  --labels              export: add the churned label (needs cutoff + horizon ≤ today)
  --format csv|parquet  export: file format (default from --out's extension)
  --out PATH            export: output file (default ./.out/churn-features-<cutoff>.csv)
                        evaluate: report directory (default ./.out)
  --batch-size N        score/all: rows per insert of each score table (defaults 50,000 churn,
                        100,000 CLV)
  --no-evaluate         train: skip model selection and train the default forest at --cutoff,
                        uncalibrated and not validated (quick runs)
  --help                show this help

Environment: CLICKHOUSE_URL (unset: the embedded engine, data in CRM_DATA_DIR, default ./.data).`;

const log = (line: string): void => console.error(`[models] ${line}`);

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      today: { type: 'string' },
      cutoff: { type: 'string' },
      trees: { type: 'string' },
      depth: { type: 'string' },
      horizon: { type: 'string' },
      labels: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      'batch-size': { type: 'string' },
      'no-evaluate': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  if (!['train', 'score', 'evaluate', 'export', 'winloss', 'all'].includes(command)) {
    console.error(`unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  const givenToday = values.today ? parseDay(values.today, '--today') : undefined;
  const cutoff = values.cutoff ? parseDay(values.cutoff, '--cutoff') : undefined;
  const trees = positiveInt(values.trees, 'trees');
  const depth = positiveInt(values.depth, 'depth');
  const batchSize = positiveInt(values['batch-size'], 'batch-size');
  const definition = resolveDefinition({ horizonDays: positiveInt(values.horizon, 'horizon') });
  const forest = { ...(trees ? { nEstimators: trees } : {}), ...(depth ? { maxDepth: depth } : {}) };
  if (values.format && values.format !== 'csv' && values.format !== 'parquet') throw new Error(`--format must be csv or parquet, got "${values.format}"`);

  const config = loadWarehouseConfig();
  const warehouse = await connectWarehouse({ config });
  try {
    await applyMigrations(warehouse.client, { database: warehouse.database, cluster: warehouse.cluster }, undefined, log);
    // Reasons and causes carry the warehouse's recorded currency (CRM_BASE_CURRENCY must agree or be unset).
    await adoptReportingCurrency(warehouse.client, warehouse.database);
    // Without --today, the product's one as-of date (lib/as-of.ts): old data is trained and scored as of its end.
    const asOf = givenToday ? undefined : await warehouseAsOf(warehouse.client, warehouse.database, { configured: loadConfig().CRM_AS_OF });
    const today = givenToday ?? asOf!.date;
    log(`warehouse ${warehouse.embedded ? `embedded (${config.dataDir})` : warehouse.url}; today = ${today}${asOf ? ` (${describeAsOf(asOf, asOf.lastFactDate)})` : ' (--today)'}`);
    log(describeDefinition(definition));
    const dataDir = config.dataDir;
    if (command === 'train' || command === 'all') {
      const r = await trainAndRegister(warehouse, { today, cutoff, definition, forest, evaluate: !values['no-evaluate'], dataDir, onProgress: log });
      console.log(JSON.stringify({ model_version: r.model.file.modelVersion, path: r.path, metrics: r.model.file.metrics, warnings: r.warnings }, null, 2));
    }
    if (command === 'score' || command === 'all') {
      // One run: churn and CLV scores switch together when both are written (models/scoring/runs.ts).
      const run = await beginRun(warehouse, { asOf: today });
      log(`model run ${run.runId} started`);
      const r = await scoreIntoRun(warehouse, run, { dataDir, onProgress: log, batchSizes: { churn: batchSize, clv: batchSize } });
      console.log(JSON.stringify({ run: r.run, churn: r.churn, clv: r.clv }, null, 2));
    }
    if (command === 'winloss' || command === 'all') {
      const r = await runWinLoss(warehouse, {
        today,
        forest,
        // Amounts in the causes' text carry the base currency, like the churn reasons and digests.
        format: { locale: 'en-GB', currency: loadConfig().CRM_BASE_CURRENCY ?? 'EUR' },
        onProgress: log,
      }).catch((err: unknown) => {
        // A shop's orders without a CRM's deals is a normal data set: `all` (like the first start and
        // the worker) reports the win/loss model as skipped and succeeds on the churn and CLV run;
        // asked for by name, the missing deals are the command's failure.
        if (command === 'all' && err instanceof WinLossError) {
          log(`win/loss model skipped: ${err.message}`);
          return { skipped: err.message };
        }
        throw err;
      });
      console.log(JSON.stringify(r, null, 2));
    }
    if (command === 'evaluate') {
      const evalCutoff = cutoff ?? addDays(today, -definition.horizonDays);
      const result = await evaluateChurn(warehouse, {
        evalCutoff,
        trainCutoff: addDays(evalCutoff, -definition.horizonDays),
        definition,
        forest,
        onProgress: log,
      });
      const report = await writeEvaluationReport(result, values.out ?? join(process.cwd(), '.out'));
      console.log(report.markdown);
      log(`report: ${report.files.join(', ')}`);
    }
    if (command === 'export') {
      const at = cutoff ?? today;
      const out = values.out ?? join(process.cwd(), '.out', `churn-features-${at}.${values.format ?? 'csv'}`);
      const format = (values.format as ExportFormat | undefined) ?? formatFromPath(out);
      log(`exporting features at ${at} as ${format}…`);
      const r = await exportFeatures(warehouse, { cutoff: at, definition, withLabels: values.labels, out, format });
      log(`wrote ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB, ${r.columns.length} columns) in ${r.seconds.toFixed(1)} s`);
    }
    return 0;
  } finally {
    await warehouse.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[models] error: ${err.message}`);
    process.exit(1);
  },
);
