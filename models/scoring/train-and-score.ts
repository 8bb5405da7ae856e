/**
 * The whole model refresh in one call, used at the first embedded start (so the cockpit shows churn
 * risk and CLV from the first visit) and by the worker on its schedule: train, evaluate and register
 * a churn model, score every customer's churn risk, fit CLV and score every customer's value.
 *
 * It is one scoring run (models/scoring/runs.ts): the scores are written under the run's id and
 * switch together when the run publishes, after both are complete; a failure marks the run failed
 * and the previously published scores stay in place.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { formatContextOf, type FormatContext } from '../../lib/format/index.ts';
import { warehouseAsOf } from '../../lib/as-of.ts';
import type { ChurnDefinition } from '../churn/definition.ts';
import type { RandomForestOptions } from '../churn/forest/random-forest.ts';
import type { LoadedChurnModel } from '../churn/registry.ts';
import { trainAndRegister, type RegisteredModel } from '../churn/pipeline.ts';
import { resolveChurnHorizon } from '../churn/horizon.ts';
import { scoreChurn, type ChurnScoringResult } from './score-churn.ts';
import { scoreLifetimeValue, type ClvScoringResult } from './score-clv.ts';
import { beginRun, pruneRuns, type ModelRun, type ModelRunRecord } from './runs.ts';
import { runWinLoss, type WinLossResult } from '../winloss/run.ts';

export interface TrainAndScoreOptions {
  /** YYYY-MM-DD; callers pass the product's as-of date; unset: resolved here (lib/as-of.ts, without CRM_AS_OF). */
  today?: string;
  onProgress?: (line: string) => void;
  dataDir?: string;
  /** Trees of the churn forest (default 100). */
  trees?: number;
  forest?: RandomForestOptions;
  definition?: Partial<ChurnDefinition>;
  /** Out-of-time evaluation before registering (default true). */
  evaluate?: boolean;
  /** The interrupted run this one retries (recorded in model_runs.retry_of). */
  retryOf?: string;
  /** Stops the run between steps and batches; it is then marked failed and nothing is published. */
  signal?: AbortSignal;
  /** Rows per insert of each score table (defaults: the scorers'). */
  batchSizes?: { churn?: number; clv?: number };
  /** Also train and publish the win/loss model after the churn/CLV run (default true; issue 18). */
  winloss?: boolean;
  /** Locale and currency of the win/loss causes' amounts; default: the configuration's CRM_BASE_CURRENCY. */
  format?: FormatContext;
}

export interface TrainAndScoreResult {
  today: string;
  /** The published run: its id, when it switched, what it scored. */
  run: ModelRunRecord;
  churnModel: Pick<RegisteredModel, 'path' | 'warnings'> & { modelVersion: string; metrics: Record<string, unknown> };
  churn: ChurnScoringResult;
  clv: ClvScoringResult;
  /** The win/loss run (its own publish, models/winloss/run.ts), or why it was skipped. */
  winloss?: WinLossResult | { skipped: string };
  seconds: number;
}

export interface ScoreRunResult {
  run: ModelRunRecord;
  churn: ChurnScoringResult;
  clv: ClvScoringResult;
  /** Runs whose rows were dropped after the switch. */
  pruned: string[];
}

/**
 * Scores churn (with `model`, default the newest registered) and CLV into `run`, publishes it when
 * both are complete and prunes old runs. On any error the run is marked failed and the error rethrown.
 */
export async function scoreIntoRun(
  warehouse: Warehouse,
  run: ModelRun,
  opts: Pick<TrainAndScoreOptions, 'onProgress' | 'dataDir' | 'signal' | 'batchSizes'> & { model?: LoadedChurnModel },
): Promise<ScoreRunResult> {
  const log = opts.onProgress ?? (() => {});
  const today = run.asOf;
  try {
    const churn = await scoreChurn(warehouse, { runId: run.runId, today, model: opts.model, dataDir: opts.dataDir, onProgress: log, signal: opts.signal, batchSize: opts.batchSizes?.churn });
    await run.phase('churn-scored', { churn_model_version: churn.modelVersion, churn_customers: churn.customers });
    opts.signal?.throwIfAborted();
    const clv = await scoreLifetimeValue(warehouse, { runId: run.runId, today, dataDir: opts.dataDir, onProgress: log, signal: opts.signal, batchSize: opts.batchSizes?.clv });
    await run.phase('clv-scored', { clv_model_version: clv.modelVersion, clv_customers: clv.customers });
    opts.signal?.throwIfAborted();
    const published = await run.publish({ churn: churn.customers, clv: clv.customers });
    log(`model run ${run.runId} published: churn and CLV scores as of ${today} switched together`);
    const pruned = await pruneRuns(warehouse).catch((err: unknown) => {
      // The switch already happened; stale runs are pruned by the next run.
      log(`old model runs not pruned: ${(err as Error).message}`);
      return [] as string[];
    });
    if (pruned.length) log(`pruned ${pruned.length} old model run${pruned.length === 1 ? '' : 's'}`);
    return { run: published, churn, clv, pruned };
  } catch (err) {
    await run.fail(err).catch(() => {});
    log(`model run ${run.runId} failed, nothing published: ${(err as Error).message}`);
    throw err;
  }
}

export async function trainAndScore(warehouse: Warehouse, opts: TrainAndScoreOptions = {}): Promise<TrainAndScoreResult> {
  const t0 = performance.now();
  const today = opts.today ?? (await warehouseAsOf(warehouse.client, warehouse.database)).date;
  const log = opts.onProgress ?? (() => {});
  const forest: RandomForestOptions = { ...opts.forest, ...(opts.trees ? { nEstimators: opts.trees } : {}) };
  const run = await beginRun(warehouse, { asOf: today, retryOf: opts.retryOf });
  log(`model run ${run.runId} started${opts.retryOf ? ` (retries the interrupted run ${opts.retryOf})` : ''}`);
  let registered: RegisteredModel;
  try {
    // The horizon the user chose last (models/churn/horizon.ts): a scheduled run must not fall back to 90 days.
    const horizon = await resolveChurnHorizon(warehouse, { explicit: opts.definition?.horizonDays, dataDir: opts.dataDir });
    log(horizon.describe);
    registered = await trainAndRegister(warehouse, {
      today,
      definition: { ...opts.definition, horizonDays: horizon.horizonDays },
      forest,
      evaluate: opts.evaluate,
      dataDir: opts.dataDir,
      onProgress: log,
    });
    await run.phase('trained', { churn_model_version: registered.model.file.modelVersion });
    opts.signal?.throwIfAborted();
  } catch (err) {
    await run.fail(err).catch(() => {});
    log(`model run ${run.runId} failed, nothing published: ${(err as Error).message}`);
    throw err;
  }
  const scored = await scoreIntoRun(warehouse, run, { model: registered.model, dataDir: opts.dataDir, onProgress: log, signal: opts.signal, batchSizes: opts.batchSizes });
  // The win/loss model publishes on its own (its card is the switch): a data set without enough
  // closed deals (CDNOW has none) or a failure there must not undo the churn/CLV run above.
  let winloss: TrainAndScoreResult['winloss'];
  if (opts.winloss !== false) {
    try {
      opts.signal?.throwIfAborted();
      // The causes' amounts in the configured base currency, as the churn reasons and digests show them.
      const format = opts.format ?? formatContextOf(loadConfig());
      winloss = await runWinLoss(warehouse, { today, format, onProgress: log, forest: opts.trees ? { nEstimators: opts.trees } : undefined });
    } catch (err) {
      winloss = { skipped: (err as Error).message };
      log(`win/loss model skipped: ${(err as Error).message}`);
    }
  }
  return {
    today,
    run: scored.run,
    churnModel: {
      modelVersion: registered.model.file.modelVersion,
      metrics: registered.model.file.metrics,
      path: registered.path,
      warnings: registered.warnings,
    },
    churn: scored.churn,
    clv: scored.clv,
    winloss,
    seconds: (performance.now() - t0) / 1000,
  };
}
