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
import { loadFeatures, rowValues, type FeatureSet } from '../churn/features.ts';
import { latestChurnModel, ModelRegistryError, type LoadedChurnModel } from '../churn/registry.ts';
import { loadBgnbdColumns, withBgnbdColumns } from '../churn/bgnbd-features.ts';
import { predictBlock } from '../churn/predict.ts';
import { populationOf } from '../churn/population.ts';
import { topReasons, type Reason } from '../churn/reasons.ts';
import { consentSettings } from '../../lib/consent/purposes.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { DEFAULT_FORMAT, formatContextOf, type FormatContext } from '../../lib/format/index.ts';
import { runInsertSettings } from './runs.ts';
import { churnRowsTsv, riskBand, tsvString, type RiskBand, type RowContext } from './churn-rows.ts';
import { ChurnRowsPool } from './churn-rows-pool.ts';

export { RISK_THRESHOLDS, riskBand, tsvReasons, tsvString, type RiskBand } from './churn-rows.ts';

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
   * Threads that score (probabilities, reasons, row text) while this one feeds the inserts
   * (forest models); default 1: scoring here. bench:scoring at 200k found 2 workers slower and
   * dearer (model phase 19.4 s wall / 8.7 s CPU against 9.5 s / 4.6 s in this thread), so they are
   * opt-in until that changes. The rows are the same either way.
   */
  threads?: number;
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
   * Where the time went: feature query, probabilities + reasons, and the wait for inserts (each
   * insert runs while the next batch is scored: only the part that did not overlap shows here).
   */
  timings: { featuresSeconds: number; modelSeconds: number; insertSeconds: number };
  /**
   * CPU seconds of this process per phase (user + system, all threads: with the embedded engine
   * its work counts here too). On a shared machine wall time mostly measures the other jobs.
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
  const population = populationOf(set);
  const out: Reason[][] = new Array(set.customerIds.length);
  for (let i = 0; i < out.length; i++) out[i] = topReasons(names, explained.contributions, rowValues(set, i), reasons, i * names.length, population, format);
  return { probability: explained.probability, reasons: out };
}

/** Rows scored between two yields to the event loop while an insert is in flight (in-thread scoring). */
const YIELD_ROWS = 4096;

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
  log(`scoring with ${version} at ${cutoff}: loading features…`);
  let lastLog = performance.now();
  let set = await loadFeatures(warehouse, {
    cutoff,
    definition: model.file.definition,
    population: 'buyers',
    // Customers without profiling consent are not scored (issue 16; lib/consent/purposes.ts).
    profilingConsent: consentSettings().profilingDefault,
    onProgress: (n) => {
      const now = performance.now();
      if (now - lastLog >= 2000) {
        lastLog = now;
        log(`  ${n} customers read`);
      }
    },
  });
  if (model.file.predictor?.usesBgnbd) {
    // The model reads the BG/NBD outputs: fit on the purchases before this cutoff, as in training.
    log('  BG/NBD features…');
    set = withBgnbdColumns(set, await loadBgnbdColumns(warehouse, cutoff, resolveDefinition(model.file.definition)));
  }
  const featuresSeconds = (performance.now() - t0) / 1000;
  const cpuFeatures = cpuNow() - cpu0;
  let cpuModel = 0;
  let cpuInsert = 0;
  let modelMs = 0;
  let insertMs = 0;
  const scoredAt = (opts.scoredAt ?? new Date()).toISOString();
  const bands: Record<RiskBand, number> = { high: 0, medium: 0, low: 0 };
  const n = set.customerIds.length;
  const batchSize = opts.batchSize ?? 50_000;
  let sum = 0;
  alignFeatures(set, model.file.features);
  // Reasons say where each customer stands among everyone scored today.
  const population = populationOf(set);
  // Score and insert batch by batch, so reasons for a million customers never sit in memory at once.
  const limit = opts.reasons ?? 3;
  // "after €29,065 the quarter before": amounts in the reasons carry the base currency (issue 15).
  const format = opts.format ?? formatContextOf(loadConfig());
  const ctx: RowContext = { limit, population, format, head: `${tsvString(opts.runId)}\t`, tail: `\t${tsvString(version)}\t${tsvString(cutoff)}\t${tsvString(scoredAt)}\n` };
  const kind = model.file.predictor?.model.kind ?? 'forest';
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const pool = threads > 1 && kind === 'forest' && model.forest ? new ChurnRowsPool(model, set.features, ctx, threads) : null;
  // Each batch's insert stays in flight while the next batch is scored: the body is ready
  // Buffers, and this thread stays free (workers score) or yields every YIELD_ROWS rows (scoring
  // here) so the embedded endpoint (on this thread) can take the body in and hand it to the
  // engine, whose own threads parse and write it meanwhile. At most one insert is in flight, and
  // a failed one fails the run.
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
  try {
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      opts.signal?.throwIfAborted();
      const tm = performance.now();
      const cm = cpuNow();
      let parts: { body: Uint8Array; probability: Float64Array }[];
      if (pool) {
        const per = Math.ceil((end - start) / pool.size);
        const slices: Promise<{ body: Uint8Array; probability: Float64Array }>[] = [];
        for (let k = 0, a = start; a < end; k++, a += per) slices.push(pool.score(k, set, a, Math.min(end, a + per)));
        parts = await Promise.all(slices);
      } else {
        parts = [];
        for (let a = start; a < end; a += YIELD_ROWS) {
          if (inFlight && a > start) await new Promise(setImmediate);
          const r = churnRowsTsv(model, set, a, Math.min(end, a + YIELD_ROWS), ctx);
          parts.push({ body: Buffer.from(r.text, 'utf8'), probability: r.probability });
        }
      }
      for (const part of parts) {
        for (const p of part.probability) {
          bands[riskBand(p)]++;
          sum += p;
        }
      }
      modelMs += performance.now() - tm;
      cpuModel += cpuNow() - cm;
      await waitForInsert();
      // TabSeparated, not JSONEachRow: the same numbers written the same way (JS's shortest
      // round-trip text, which JSON.stringify writes too), and 0.59× JSONEachRow's CPU per 50k rows
      // with the engine's parse included (bench:scoring measures both in the same run); the embedded
      // endpoint spools a large line-format body to a file, chDB's fastest way in.
      inFlight = warehouse.client
        .insert({
          table: 'churn_scores_runs',
          values: Readable.from(
            parts.map((part) => Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength)),
            { objectMode: false },
          ),
          format: 'TabSeparated',
          clickhouse_settings: runInsertSettings(warehouse),
        })
        .then(
          () => log(`  scored ${end}/${n}`),
          (error: unknown) => {
            insertError = error;
          },
        );
    }
    await waitForInsert();
  } finally {
    await pool?.close();
  }
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
  log(`churn scores written: ${n} customers (high ${bands.high}, medium ${bands.medium}, low ${bands.low}) in ${result.seconds.toFixed(1)} s ` +
      `(features ${featuresSeconds.toFixed(1)} s, model and reasons ${(modelMs / 1000).toFixed(1)} s, inserts ${(insertMs / 1000).toFixed(1)} s)`);
  return result;
}
