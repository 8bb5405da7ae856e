/**
 * Churn scoring: every customer who has ever placed an order gets a probability of churning in the
 * next horizon, a risk band and up to three reasons, written under the scoring run's id to
 * `churn_scores_runs`; readers see them through `churn_scores_current` once the run is published
 * together with its CLV scores (models/scoring/runs.ts).
 *
 * Risk bands (on the calibrated probability):
 *   high   ≥ 0.6  — more likely than not to stop buying: call them;
 *   medium ≥ 0.3  — clearly above a healthy customer's risk: include in retention campaigns;
 *   low    < 0.3.
 */
import { Readable } from 'node:stream';
import { dataDirFrom } from '../../lib/config.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { resolveDefinition, todayUtc } from '../churn/definition.ts';
import { featureRanges, loadFeatures, rowValues, streamFeatures, type FeatureSet } from '../churn/features.ts';
import { latestChurnModel, ModelRegistryError, type LoadedChurnModel } from '../churn/registry.ts';
import { loadBgnbdColumns, withBgnbdColumns } from '../churn/bgnbd-features.ts';
import { predictBlock } from '../churn/predict.ts';
import { cohortsOf, POPULATION_FEATURES } from '../churn/population.ts';
import { topReasons, type Reason } from '../churn/reasons.ts';
import { consentSettings } from '../../lib/consent/purposes.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { DEFAULT_FORMAT, formatContextOf, type FormatContext } from '../../lib/format/index.ts';
import { runInsertSettings } from './runs.ts';
import {
  DEFAULT_ACTIVE_WINDOW_DAYS,
  isLapsed,
  pendingRows,
  pendingRowsBytes,
  riskBand,
  tsvString,
  type PendingRows,
  type RiskBand,
  type RowContext,
} from './churn-rows.ts';
import { defaultRowWorkers, RowWorkerPool } from './row-workers.ts';

export { DEFAULT_ACTIVE_WINDOW_DAYS, isLapsed, RISK_BANDS, RISK_THRESHOLDS, riskBand, tsvReasons, tsvString, type RiskBand } from './churn-rows.ts';

export interface ScoreChurnOptions {
  /** The scoring run the rows belong to (models/scoring/runs.ts): invisible until it is published. */
  runId: string;
  /** Cutoff of the features: facts before this day (default today, UTC). */
  today?: string;
  /** A model in memory; default: the newest registered one. */
  model?: LoadedChurnModel;
  dataDir?: string;
  /** Rows per insert (default 50,000). */
  batchSize?: number;
  /** Reasons per customer (default 3). */
  reasons?: number;
  scoredAt?: Date;
  onProgress?: (line: string) => void;
  /** Stops the run between batches (the rows written so far stay unpublished). */
  signal?: AbortSignal;
  /** Locale and currency of the amounts in the reasons; default: the configuration's CRM_BASE_CURRENCY. */
  format?: FormatContext;
  /**
   * Feature queries the population is read in (ranges of customer ids, features.ts featureRanges;
   * default DEFAULT_SHARDS): while this thread scores one shard's customers, the engine computes the
   * next shard's features. 1 reads everyone in one query. The rows written are the same either way.
   */
  shards?: number;
  /**
   * Worker threads that score the blocks (row-workers.ts). Default: one per core, at most 4,
   * started with the first full block of rows (a small population is scored on this thread without
   * paying their start). A number starts that many with the first block; 0 scores every block on
   * this thread. The rows written are the same bytes either way.
   */
  workers?: number;
}

export interface ChurnScoringResult {
  modelVersion: string;
  cutoff: string;
  scoredAt: string;
  customers: number;
  bands: Record<RiskBand, number>;
  meanProbability: number;
  seconds: number;
  /**
   * Where the time went (wall): until every feature row was read (blocks are scored meanwhile, so
   * this includes most of the scoring), this thread's time scoring (blocks, the population and the
   * rows' text), and the wait for inserts (each runs while the next batch's text is built: only
   * the part that did not overlap shows here).
   */
  timings: { featuresSeconds: number; modelSeconds: number; insertSeconds: number };
  /**
   * CPU seconds of this process (user + system, all threads: with the embedded engine its work
   * counts here too): until every feature row was read (engine, reading and the blocks scored
   * meanwhile), the scoring after that (population, rows' text), and during the insert waits.
   */
  cpuSeconds: { features: number; model: number; insert: number };
}

export interface ChurnScoreRow {
  customer_id: string;
  probability: number;
  risk_band: RiskBand;
  top_reasons: Reason[];
  model_version: string;
  cutoff: string;
  scored_at: string;
}

/** Puts a feature set's columns in the order the model was trained with. */
export function alignFeatures(set: FeatureSet, modelFeatures: readonly string[]): { columns: Float64Array[] } {
  const columns = modelFeatures.map((f) => {
    const j = set.features.indexOf(f);
    if (j < 0) throw new ModelRegistryError('FEATURE_MISMATCH', `the model needs feature "${f}", which the feature query no longer computes: retrain`);
    return set.columns[j];
  });
  return { columns };
}

/** Probabilities (calibrated when the model carries a calibration) and reasons for a feature set (no I/O). */
export function scoreFeatureSet(
  model: LoadedChurnModel,
  set: FeatureSet,
  reasons = 3,
  format: FormatContext = DEFAULT_FORMAT,
): { probability: Float64Array; reasons: Reason[][] } {
  alignFeatures(set, model.file.features);
  const names = model.file.features;
  const explained = predictBlock(model, set);
  // Each customer against the customers in the same state, as scoring in blocks (lapsedOf).
  const lapsed = lapsedOf(model, set);
  const cohorts = cohortsOf(set, lapsed);
  const medians = model.file.predictor?.reference?.medians ?? null;
  const out: Reason[][] = new Array(set.customerIds.length);
  const horizon = model.file.definition?.horizonDays ?? NaN;
  for (let i = 0; i < out.length; i++) {
    const values = { ...rowValues(set, i), horizon_days: horizon };
    // The model's training medians, as scoring in blocks uses (churn-rows.ts): the same reasons either way.
    out[i] = topReasons(names, explained.contributions, values, reasons, i * names.length, lapsed[i] === 1 ? cohorts.lapsed : cohorts.active, format, medians);
  }
  return { probability: explained.probability, reasons: out };
}

/** 1 for each row of set that is lapsed at the model's active window (the row's band says lapsed). */
export function lapsedOf(model: LoadedChurnModel, set: Pick<FeatureSet, 'features' | 'columns'>): Uint8Array {
  const recency = set.columns[set.features.indexOf('recency_days')];
  if (!recency) throw new Error('the feature set has no recency_days column: a lapsed customer could not be told from an active one');
  const window = model.file.definition?.activeWindowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS;
  return Uint8Array.from({ length: recency.length }, (_, i) => (isLapsed(recency[i], window) ? 1 : 0));
}

/** Rows scored between two yields to the event loop (the embedded endpoint shares this thread). */
const YIELD_ROWS = 4096;
/** Feature queries per run (ScoreChurnOptions.shards). */
export const DEFAULT_SHARDS = 4;
/** Rows of the feature answer scored as one block while the engine streams the rest. */
const BLOCK_ROWS = 32_768;

export async function scoreChurn(warehouse: Warehouse, opts: ScoreChurnOptions): Promise<ChurnScoringResult> {
  const t0 = performance.now();
  const cpuNow = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  const cpu0 = cpuNow();
  const log = opts.onProgress ?? (() => {});
  const cutoff = opts.today ?? todayUtc();
  const model = opts.model ?? (await latestChurnModel(warehouse, opts.dataDir ?? dataDirFrom()));
  const version = model.file.modelVersion;
  const limit = opts.reasons ?? 3;
  // "after €29,065 the quarter before": amounts in the reasons carry the base currency (issue 15).
  const format = opts.format ?? formatContextOf(loadConfig());
  log(`scoring with ${version} at ${cutoff}: loading features…`);
  // The first block's line at once (then every 2 s): a run says it is reading before the first 2 s
  // pass, and a caller watching the lines can stop it while blocks are in hand.
  let lastLog = -Infinity;
  let read = 0;
  const progress = (n: number): void => {
    const now = performance.now();
    if (now - lastLog >= 2000) {
      lastLog = now;
      log(`  ${n} customers read`);
    }
  };
  const shards = opts.shards ?? DEFAULT_SHARDS;
  if (!(Number.isInteger(shards) && shards >= 1)) throw new RangeError(`shards must be an integer >= 1, got ${shards}`);
  const featureOptions = {
    cutoff,
    definition: model.file.definition,
    population: 'buyers' as const,
    // Customers without profiling consent are not scored (issue 16; lib/consent/purposes.ts).
    profilingConsent: consentSettings().profilingDefault,
  };

  // Phase 1: every block of customers is scored (probabilities, contributions, the reasons and
  // their words) as soon as the feature answer delivers it, while the engine writes the next: all
  // but the reasons' place in the population, which needs every customer's values first
  // (population.ts). The population's features of each block are kept for it.
  // Blocks in the order they were read: scored here, or promised by a worker.
  const scored: (PendingRows | Promise<PendingRows>)[] = [];
  const popFeatures: string[] = [];
  const popColumns: Float64Array[][] = [];
  const popLapsed: Uint8Array[] = [];
  let modelMs = 0;
  let aligned = false;
  const workers = opts.workers ?? defaultRowWorkers();
  if (!(Number.isInteger(workers) && workers >= 0)) throw new RangeError(`workers must be an integer >= 0, got ${workers}`);
  let pool: RowWorkerPool | undefined;
  const scoreBlock = async (set: FeatureSet): Promise<void> => {
    if (!aligned) {
      alignFeatures(set, model.file.features);
      for (const f of POPULATION_FEATURES) if (set.features.includes(f)) popFeatures.push(f);
      aligned = true;
    }
    popColumns.push(popFeatures.map((f) => set.columns[set.features.indexOf(f)]));
    popLapsed.push(lapsedOf(model, set));
    const n = set.customerIds.length;
    // By default only a population of more than one block pays the workers' start (~0.5 s each
    // under tsx); a caller that names a number gets them on the first block.
    if (!pool && workers > 0 && (n >= BLOCK_ROWS || opts.workers !== undefined)) pool = new RowWorkerPool(model, workers, limit, format);
    if (pool) {
      if (pool.error) throw pool.error;
      const rows = pool.score(set);
      // A failure surfaces through pool.error and the await after reading; this keeps an early one unhandled-safe.
      rows.catch(() => undefined);
      scored.push(rows);
      read += n;
      progress(read);
      return;
    }
    for (let a = 0; a < n; a += YIELD_ROWS) {
      // Lets the endpoint take the engine's next answer bytes in (and the reader cut them) meanwhile.
      if (a > 0) await new Promise(setImmediate);
      const tm = performance.now();
      scored.push(pendingRows(model, set, a, Math.min(n, a + YIELD_ROWS), limit, format));
      modelMs += performance.now() - tm;
    }
    read += n;
    progress(read);
  };
  let blocks: PendingRows[];
  try {
    if (model.file.predictor?.usesBgnbd) {
      // The model reads the BG/NBD outputs, fitted on the purchases before this cutoff as in training:
      // a column over the whole population, so the features are read whole first.
      let set = await loadFeatures(warehouse, { ...featureOptions, onProgress: progress });
      log('  BG/NBD features…');
      set = withBgnbdColumns(set, await loadBgnbdColumns(warehouse, cutoff, resolveDefinition(model.file.definition)));
      for (let a = 0; a < set.customerIds.length; a += BLOCK_ROWS) {
        const end = Math.min(set.customerIds.length, a + BLOCK_ROWS);
        await scoreBlock({ ...set, customerIds: set.customerIds.slice(a, end), columns: set.columns.map((c) => c.subarray(a, end)) });
      }
    } else {
      // The reader queues blocks and the scorer takes them, so neither waits for the other: the
      // answer keeps streaming (its bytes cut into columns) between the scorer's slices.
      const queue: FeatureSet[] = [];
      let done = false;
      let wake: (() => void) | undefined;
      const push = (block: FeatureSet): void => {
        queue.push(block);
        wake?.();
      };
      // Shard after shard: the engine computes the next shard's features (on its own threads) while
      // this thread scores the blocks of the last one.
      const reading = (async () => {
        // Unordered: the rows' order changes nothing stored (the population is sorted values), and the
        // engine skips sorting the shard's ids.
        // Ranges of customer ids: each query reads its range of every fact table, not all of it.
        const ranges = await featureRanges(warehouse, shards);
        for (const range of ranges) await streamFeatures(warehouse, { ...featureOptions, range, ordered: false }, BLOCK_ROWS, push);
      })().finally(() => {
        done = true;
        wake?.();
      });
      // A failed read ends the loop below; its error is thrown by the await after it.
      reading.catch(() => undefined);
      for (;;) {
        opts.signal?.throwIfAborted();
        const block = queue.shift();
        if (block) await scoreBlock(block);
        else if (done) break;
        else await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      await reading;
    }
    // The workers' blocks, in the order they were read; a worker's error fails the run here.
    blocks = await Promise.all(scored);
  } finally {
    await pool?.close();
  }
  const featuresSeconds = (performance.now() - t0) / 1000;
  const cpuFeatures = cpuNow() - cpu0;

  // Phase 2: where each customer stands among everyone scored today, then the rows' text and the
  // inserts, batch by batch.
  const cm0 = cpuNow();
  const tp = performance.now();
  // Active customers against the active, lapsed against the lapsed (population.ts cohortsOf).
  const cohorts = cohortsOf({ features: popFeatures, columns: popFeatures.map((_, k) => concat(popColumns.map((c) => c[k]), (n) => new Float64Array(n))) }, concat(popLapsed, (n) => new Uint8Array(n)), popFeatures);
  popColumns.length = 0;
  popLapsed.length = 0;
  modelMs += performance.now() - tp;
  let cpuModel = cpuNow() - cm0;
  let cpuInsert = 0;
  let insertMs = 0;
  const scoredAt = (opts.scoredAt ?? new Date()).toISOString();
  const bands: Record<RiskBand, number> = { high: 0, medium: 0, low: 0, lapsed: 0 };
  let n = 0;
  let sum = 0;
  for (const b of blocks) {
    n += b.customerIds.length;
    for (let r = 0; r < b.probability.length; r++) {
      const p = b.probability[r];
      bands[riskBand(p, b.lapsed[r] === 1)]++;
      sum += p;
    }
  }
  const batchSize = opts.batchSize ?? 50_000;
  const ctx: RowContext = { limit, population: cohorts.active, lapsedPopulation: cohorts.lapsed, format, head: `${tsvString(opts.runId)}\t`, tail: `\t${tsvString(version)}\t${tsvString(cutoff)}\t${tsvString(scoredAt)}\n` };
  // Each batch's insert stays in flight while the next batch's text is built: the body is ready
  // Buffers, and this thread yields every block of rows so the embedded endpoint (on this thread)
  // can take the body in and hand it to the engine, whose own threads parse and write it
  // meanwhile. At most one insert is in flight, and a failed one fails the run.
  let inFlight: Promise<void> | undefined;
  let insertError: unknown;
  const waitForInsert = async (): Promise<void> => {
    if (!inFlight) return;
    const tw = performance.now();
    const cw = cpuNow();
    await inFlight;
    inFlight = undefined;
    insertMs += performance.now() - tw;
    cpuInsert += cpuNow() - cw;
    if (insertError !== undefined) throw insertError;
  };
  let written = 0;
  let parts: Buffer[] = [];
  let partRows = 0;
  const send = async (): Promise<void> => {
    await waitForInsert();
    const body = parts;
    const upTo = (written += partRows);
    parts = [];
    partRows = 0;
    // TabSeparated, not JSONEachRow: the same numbers written the same way (JS's shortest
    // round-trip text, which JSON.stringify writes too), and 0.59× JSONEachRow's CPU per 50k rows
    // with the engine's parse included (bench:scoring measures both in the same run); the embedded
    // endpoint spools a large line-format body to a file, chDB's fastest way in.
    inFlight = warehouse.client
      .insert({
        table: 'churn_scores_runs',
        values: Readable.from(body, { objectMode: false }),
        format: 'TabSeparated',
        clickhouse_settings: runInsertSettings(warehouse),
      })
      .then(
        () => log(`  scored ${upTo}/${n}`),
        (error: unknown) => {
          insertError = error;
        },
      );
  };
  for (const b of blocks) {
    opts.signal?.throwIfAborted();
    if (inFlight) await new Promise(setImmediate);
    const tm = performance.now();
    const cw = cpuNow();
    parts.push(pendingRowsBytes(model, b, 0, b.customerIds.length, ctx));
    partRows += b.customerIds.length;
    modelMs += performance.now() - tm;
    cpuModel += cpuNow() - cw;
    if (partRows >= batchSize) await send();
  }
  if (partRows > 0) await send();
  await waitForInsert();
  const result: ChurnScoringResult = {
    modelVersion: version,
    cutoff,
    scoredAt,
    customers: n,
    bands,
    meanProbability: n ? sum / n : 0,
    seconds: (performance.now() - t0) / 1000,
    timings: { featuresSeconds, modelSeconds: modelMs / 1000, insertSeconds: insertMs / 1000 },
    cpuSeconds: { features: cpuFeatures, model: cpuModel, insert: cpuInsert },
  };
  log(`churn scores written: ${n} customers (high ${bands.high}, medium ${bands.medium}, low ${bands.low} among the active; lapsed ${bands.lapsed}) in ${result.seconds.toFixed(1)} s ` +
      `(features ${featuresSeconds.toFixed(1)} s, model and reasons ${(modelMs / 1000).toFixed(1)} s, inserts ${(insertMs / 1000).toFixed(1)} s)`);
  return result;
}

/** One array of the values of several, in order. */
function concat<A extends Float64Array | Uint8Array>(parts: readonly A[], make: (length: number) => A): A {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = make(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
