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

export const RISK_THRESHOLDS = Object.freeze({ high: 0.6, medium: 0.3 });
export type RiskBand = 'high' | 'medium' | 'low';

export function riskBand(probability: number, t: { high: number; medium: number } = RISK_THRESHOLDS): RiskBand {
  return probability >= t.high ? 'high' : probability >= t.medium ? 'medium' : 'low';
}

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

/** Rows scored between two yields to the event loop while an insert is in flight. */
const YIELD_ROWS = 4096;

const TSV_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/**
 * A String as ClickHouse's TabSeparated (and its quoted array elements) read it: backslash, quote,
 * tab and line breaks escaped with a backslash, so no raw tab or newline ever splits a row.
 */
export function tsvString(s: string): string {
  return /[\\'\t\n\r\0]/.test(s) ? s.replace(/[\\'\t\n\r\0]/g, (c) => TSV_ESCAPES[c]) : s;
}

/** top_reasons (Array(Tuple(feature, text, contribution))) as a TabSeparated field. */
export function tsvReasons(reasons: readonly Reason[]): string {
  let out = '[';
  for (let k = 0; k < reasons.length; k++) {
    const r = reasons[k];
    if (!Number.isFinite(r.contribution)) throw new RangeError(`reason "${r.feature}" has a non-finite contribution ${r.contribution}`);
    out += `${k ? ',' : ''}('${tsvString(r.feature)}','${tsvString(r.text)}',${r.contribution})`;
  }
  return `${out}]`;
}

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
  const names = model.file.features;
  // Reasons say where each customer stands among everyone scored today.
  const population = populationOf(set);
  // Score and insert batch by batch, so reasons for a million customers never sit in memory at once.
  const limit = opts.reasons ?? 3;
  // "after €29,065 the quarter before": amounts in the reasons carry the base currency (issue 15).
  const format = opts.format ?? formatContextOf(loadConfig());
  // One name → value record, refilled for each customer (topReasons reads it and keeps nothing):
  // a fresh 40-key object per customer was a measurable part of the reasons' time.
  const values: Record<string, number> = rowValues(set, 0);
  const { features, columns } = set;
  const cutoffField = tsvString(cutoff);
  const head = `${tsvString(opts.runId)}\t`;
  const tail = `\t${tsvString(version)}\t${cutoffField}\t${tsvString(scoredAt)}\n`;
  // Each batch's insert stays in flight while the next batch is scored: the body is one ready
  // Buffer, and the scoring loop yields every YIELD_ROWS rows so the embedded endpoint (on this
  // thread) can take the body in and hand it to the engine, whose own threads parse and write it
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
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    opts.signal?.throwIfAborted();
    const tm = performance.now();
    const cm = cpuNow();
    const lines: string[] = new Array(end - start);
    // One pass gives both the probability and the contributions the reasons need.
    const explained = predictBlock(model, set, start, end);
    for (let i = start; i < end; i++) {
      if (inFlight && (i - start) % YIELD_ROWS === YIELD_ROWS - 1) await new Promise(setImmediate);
      const p = explained.probability[i - start];
      const band = riskBand(p);
      bands[band]++;
      sum += p;
      for (let j = 0; j < columns.length; j++) values[features[j]] = columns[j][i];
      const reasons = topReasons(names, explained.contributions, values, limit, (i - start) * names.length, population, format);
      lines[i - start] = `${head}${tsvString(set.customerIds[i])}\t${p}\t${band}\t${tsvReasons(reasons)}${tail}`;
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
        values: Readable.from([Buffer.from(lines.join(''), 'utf8')], { objectMode: false }),
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
