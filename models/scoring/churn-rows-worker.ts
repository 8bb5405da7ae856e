/**
 * Worker thread of churn scoring: turns blocks of feature rows into churn_scores_runs lines
 * (churn-rows.ts, the same function the scoring thread uses) until it is sent null.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RandomForest, type RandomForestJSON } from '../churn/forest/random-forest.ts';
import type { LoadedChurnModel } from '../churn/registry.ts';
import { churnRowsTsv, type RowContext } from './churn-rows.ts';

export interface RowsWorkerInit {
  file: LoadedChurnModel['file'];
  forest: RandomForestJSON;
  features: string[];
  ctx: RowContext;
}

export interface RowsJob {
  id: number;
  columns: Float64Array[];
  customerIds: string[];
}

export type RowsReply = { id: number; body: Uint8Array; probability: Float64Array } | { id: number; error: string };

/** Rows per piece, as scoring in the main thread does (score-churn.ts's YIELD_ROWS). */
const SUB_ROWS = 4096;

const init = workerData as RowsWorkerInit;
const model: LoadedChurnModel = { file: init.file, forest: RandomForest.fromJSON(init.forest) };
const port = parentPort!;
port.on('message', (job: RowsJob | null) => {
  if (job === null) {
    port.close();
    return;
  }
  try {
    const set = { features: init.features, columns: job.columns, customerIds: job.customerIds };
    // In pieces of SUB_ROWS: their contributions (rows × features doubles) stay in cache while
    // the reasons read them, and each piece's text is one short string to encode.
    const n = job.customerIds.length;
    const bodies: Buffer[] = [];
    const probability = new Float64Array(n);
    for (let a = 0; a < n; a += SUB_ROWS) {
      const r = churnRowsTsv(model, set, a, Math.min(n, a + SUB_ROWS), init.ctx);
      bodies.push(Buffer.from(r.text, 'utf8'));
      probability.set(r.probability, a);
    }
    const reply: RowsReply = { id: job.id, body: Buffer.concat(bodies), probability };
    port.postMessage(reply);
  } catch (error) {
    port.postMessage({ id: job.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies RowsReply);
  }
});
