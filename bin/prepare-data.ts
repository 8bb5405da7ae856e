import type { Warehouse } from '../lib/warehouse/index.ts';
import type { refreshDerived as RefreshDerived } from '../semantic/derived/refresh.ts';
import type { trainAndScore as TrainAndScore } from '../models/scoring/train-and-score.ts';

interface PrepareOptions {
  demo: boolean;
  dataDir: string;
  log: (line: string) => void;
  refreshDerived: typeof RefreshDerived;
  trainAndScore: typeof TrainAndScore;
}

async function count(wh: Warehouse, table: string): Promise<number> {
  const rs = await wh.client.query({ query: `SELECT count() AS n FROM ${wh.database}.${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

/**
 * First-start work, each step only when needed: demo data into an empty warehouse, the derived
 * tables behind the semantic layer, and churn/CLV scores, so the cockpit is full on the first visit.
 */
export async function prepareData(wh: Warehouse, opts: PrepareOptions): Promise<void> {
  const { log } = opts;
  if ((await count(wh, 'customer_records')) === 0) {
    if (!opts.demo) {
      log('the warehouse is empty: load your data with `npm run ingest -- --help` (or start without --no-demo for demo data)');
      return;
    }
    log('the warehouse is empty: the demo data loader is not available in this build');
    return;
  }
  const derived = await opts.refreshDerived(wh.client, wh.database, { cluster: wh.cluster, log });
  log(`derived tables refreshed in ${Math.round(derived.ms)} ms`);
  if ((await count(wh, 'churn_scores')) === 0) {
    log('training and scoring the churn and CLV models (first start)…');
    const scored = await opts.trainAndScore(wh, { dataDir: opts.dataDir, onProgress: log });
    log(`models trained and scored in ${scored.seconds.toFixed(1)} s`);
  }
}
