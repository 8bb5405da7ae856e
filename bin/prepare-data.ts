import { join } from 'node:path';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { ensureDemoFiles } from '../ingest/demo/generate.ts';
import { loadDemo } from '../ingest/demo/load-demo.ts';
import { SCALES } from '../ingest/demo/scale.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';
import { derivedFreshness } from '../semantic/derived/auto-refresh.ts';
import { trainAndScore } from '../models/scoring/train-and-score.ts';
import { recoverModelRuns, type Recovery } from '../models/scoring/recover.ts';
import { recordReportingCurrency } from '../lib/warehouse/reporting-currency.ts';
import { describeAsOf, todayUtc, warehouseAsOf } from '../lib/as-of.ts';

interface PrepareOptions {
  demo: boolean;
  dataDir: string;
  log: (line: string) => void;
  /** CRM_AS_OF, when set (lib/as-of.ts). */
  configuredAsOf?: string;
  /** Recorded as the warehouse's currency after a demo load (set when none is recorded yet). */
  reportingCurrency?: string;
}

async function count(wh: Warehouse, table: string): Promise<number> {
  const rs = await wh.client.query({ query: `SELECT count() AS n FROM ${wh.database}.${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

/**
 * First-start work, each step only when needed: demo data into an empty warehouse (generated as
 * files and loaded through the ingest jobs, like a user's own exports), the derived tables behind
 * the semantic layer, and churn/CLV scores, so the cockpit is full on the first visit.
 *
 * Everything is computed as of the product's one as-of date (lib/as-of.ts): a warehouse holding
 * only an old export (CDNOW ends 1998-06-30) is analysed and scored as of the data's end. Nothing
 * here stops the product: a model that cannot be trained is logged and the servers start anyway.
 */
export async function prepareData(wh: Warehouse, opts: PrepareOptions): Promise<{ models?: Recovery }> {
  const { log } = opts;
  // Empty means no customers and no facts: a transactions-only load (an export with no customers
  // file) is the user's data, never to be topped up with demo data.
  const held = (await count(wh, 'customer_records')) + (await count(wh, 'transactions')) + (await count(wh, 'interactions'));
  if (held === 0) {
    if (!opts.demo) {
      log('the warehouse is empty: load your data with `npm run ingest -- --help` (or start without --no-demo for demo data)');
      return {};
    }
    const dir = join(opts.dataDir, 'demo');
    log(`the warehouse is empty: generating demo data in ${dir}…`);
    await ensureDemoFiles({ out: dir, scale: SCALES.default, seed: 42, today: todayUtc() });
    let last = 0;
    await loadDemo(wh, {
      dir,
      onProgress: (p) => {
        const now = Date.now();
        if (p.summary) log(`  [${p.index}/${p.files}] ${p.file}: ${p.summary.loaded} loaded, ${p.summary.rejected} rejected`);
        else if (!p.progress) log(`  [${p.index}/${p.files}] loading ${p.file}…`);
        else if (now - last > 5000) {
          last = now;
          log(`  [${p.index}/${p.files}] ${p.file}: ${p.progress.rowsRead} rows read`);
        }
      },
    });
    // The demo's amounts are in the reporting currency (EUR unless CRM_BASE_CURRENCY says otherwise).
    if (opts.reportingCurrency) await recordReportingCurrency(wh.client, wh.database, opts.reportingCurrency);
    log('demo data loaded (rejected demo rows are planted on purpose: see .rejects.csv files)');
  }
  const asOf = await warehouseAsOf(wh.client, wh.database, { configured: opts.configuredAsOf });
  log(`data ${describeAsOf(asOf, asOf.lastFactDate)}`);
  // Only a warehouse without derived tables waits for them here. Otherwise the committed tables
  // serve the first visitors and the worker's refresher (started by bin/start.ts, which checks at
  // once) brings them up to date in the background, incrementally when it can: a full rebuild at
  // every start held the product back 19 s idle and minutes under load at 10M transactions (issue 17).
  const derived = await derivedFreshness(wh.client, wh.database);
  if (derived.snapshot === 0) await refreshDerived(wh.client, wh.database, { cluster: wh.cluster, log, configuredAsOf: opts.configuredAsOf });
  else log(`derived tables of ${new Date(derived.snapshot).toISOString()} serve the dashboard; a due refresh runs in the background`);
  // A scoring run killed last time (models/scoring/recover.ts): marked interrupted and retried.
  const scoresShown = (await count(wh, 'churn_scores_current')) > 0;
  const models = await recoverModelRuns(wh, {
    log,
    // Without published scores the first-start training below is the retry.
    retry: scoresShown ? (retryOf) => trainAndScore(wh, { today: asOf.date, dataDir: opts.dataDir, onProgress: log, retryOf }) : undefined,
  });
  if (!scoresShown) {
    log(`training and scoring the churn and CLV models as of ${asOf.date} (first start)…`);
    try {
      const retryOf = models.interrupted[0]?.run_id;
      const scored = await trainAndScore(wh, { today: asOf.date, dataDir: opts.dataDir, onProgress: log, retryOf });
      log(`models trained and scored as of ${scored.today} in ${scored.seconds.toFixed(1)} s`);
    } catch (err) {
      // Old, short or odd data must not stop the product: the dashboard works without scores, and
      // the worker's re-score (or `npm run models`) tries again.
      log(`the churn and CLV models were not trained as of ${asOf.date}: ${(err as Error).message}. The product runs without churn and CLV scores; see \`npm run models -- --help\`.`);
    }
  }
  return { models };
}
