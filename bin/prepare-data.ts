import { join } from 'node:path';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { ensureDemoFiles } from '../ingest/demo/generate.ts';
import { loadDemo } from '../ingest/demo/load-demo.ts';
import { SCALES } from '../ingest/demo/scale.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';
import { trainAndScore } from '../models/scoring/train-and-score.ts';

interface PrepareOptions {
  demo: boolean;
  dataDir: string;
  log: (line: string) => void;
}

async function count(wh: Warehouse, table: string): Promise<number> {
  const rs = await wh.client.query({ query: `SELECT count() AS n FROM ${wh.database}.${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

const todayUtc = (): string => new Date().toISOString().slice(0, 10);

/**
 * First-start work, each step only when needed: demo data into an empty warehouse (generated as
 * files and loaded through the ingest jobs, like a user's own exports), the derived tables behind
 * the semantic layer, and churn/CLV scores, so the cockpit is full on the first visit.
 */
export async function prepareData(wh: Warehouse, opts: PrepareOptions): Promise<void> {
  const { log } = opts;
  let today: string | undefined;
  if ((await count(wh, 'customer_records')) === 0) {
    if (!opts.demo) {
      log('the warehouse is empty: load your data with `npm run ingest -- --help` (or start without --no-demo for demo data)');
      return;
    }
    const dir = join(opts.dataDir, 'demo');
    today = todayUtc();
    log(`the warehouse is empty: generating demo data in ${dir}…`);
    await ensureDemoFiles({ out: dir, scale: SCALES.default, seed: 42, today });
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
    log('demo data loaded (rejected demo rows are planted on purpose: see .rejects.csv files)');
  }
  await refreshDerived(wh.client, wh.database, { cluster: wh.cluster, log });
  if ((await count(wh, 'churn_scores')) === 0) {
    log('training and scoring the churn and CLV models (first start)…');
    const scored = await trainAndScore(wh, { today, dataDir: opts.dataDir, onProgress: log });
    log(`models trained and scored in ${scored.seconds.toFixed(1)} s`);
  }
}
