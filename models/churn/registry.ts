/**
 * Model registry: every trained model is a JSON file under `<dataDir>/models/` (the forest, its
 * feature list, the churn definition, metrics and training parameters) and a row in the
 * `model_versions` table, so the cockpit can show which model produced a score and how good it was.
 * The file is the source of truth for loading; the table is the catalogue.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirFrom } from '../../lib/config.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { ChurnDefinition } from './definition.ts';
import type { PlattCalibration } from './calibration.ts';
import type { CandidateModelJSON } from './candidates.ts';
import { RandomForest, type RandomForestJSON } from './forest/random-forest.ts';
import { LogisticModel } from './logistic.ts';

export type ModelKind = 'churn' | 'clv';

/** What reasons are measured from (ShippedPredictor.reference in predict.ts; stored in the model file so a model explains against its own training population). */
export interface ExplanationReference {
  /** Mean raw contribution per model feature over the reference rows (log-odds for the logistic, raw probability for the forest, the probability for a baseline). */
  contributions: number[];
  /** The calibrated probability of the reference: a row scored above it has a positive contribution sum. */
  probability: number;
  /** Training rows averaged (those scored at low risk). */
  rows: number;
  /**
   * Median over the reference rows (the ones averaged) of each feature whose words have a direction
   * (population.ts): a reason that raises the risk must point toward churn against the customers the
   * contributions are measured from (reasons.ts pickReasons). Absent in older files.
   */
  medians?: Record<string, number>;
}

export interface ModelVersionRecord {
  modelVersion: string;
  model: ModelKind;
  /** ISO timestamp. */
  trainedAt: string;
  /** YYYY-MM-DD: facts before this day trained the model. */
  cutoff: string;
  features: string[];
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
}

/**
 * What version 2 files add: which validated candidate shipped (candidates.ts) and the Platt map
 * from its raw score to the probability the product shows. Version 1 files (a bare forest,
 * uncalibrated) still load and score as before.
 */
export interface ShippedPredictor {
  candidate: string;
  model: CandidateModelJSON;
  /** null: the raw probability is used as is (a model trained without validation). */
  calibration: PlattCalibration | null;
  usesBgnbd: boolean;
  /** Churn rate of the training rows (what a single-feature model's reason was measured from before `reference`). */
  baseRate: number;
  /**
   * What reasons are measured from: the training customers scored at low risk (predict.ts).
   * Absent in files trained before it; they score as they did.
   */
  reference?: ExplanationReference;
}

export interface ChurnModelFile extends ModelVersionRecord {
  format: 'ci-churn-model';
  formatVersion: 1 | 2;
  model: 'churn';
  definition: ChurnDefinition;
  /** The forest, when the shipped candidate is one (always in version 1). */
  forest?: RandomForestJSON;
  predictor?: ShippedPredictor;
}

export interface LoadedChurnModel {
  file: ChurnModelFile;
  forest?: RandomForest;
  logistic?: LogisticModel;
}

export class ModelRegistryError extends Error {
  constructor(
    readonly code: 'NO_MODEL' | 'BAD_MODEL_FILE' | 'FEATURE_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

/** `<dataDir>/models`, created on demand. */
export function modelsDir(dataDir: string = dataDirFrom()): string {
  return join(dataDir, 'models');
}

/** e.g. churn-20240601-lzx3k2a-9f1c: model, training cutoff, time of training, a random tail. */
export function newModelVersion(model: ModelKind, cutoff: string, now: Date = new Date()): string {
  return `${model}-${cutoff.replaceAll('-', '')}-${now.getTime().toString(36)}-${randomBytes(2).toString('hex')}`;
}

const VERSION_RE = /^[a-z]+-\d{8}-[0-9a-z]+-[0-9a-f]{4}$/;

function modelPath(dataDir: string, version: string): string {
  if (!VERSION_RE.test(version)) throw new ModelRegistryError('NO_MODEL', `not a model version: "${version}"`);
  return join(modelsDir(dataDir), `${version}.json`);
}

/** Writes a JSON file atomically (temp file + rename), so a crash never leaves half a model. */
function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/** Inserts the catalogue row. `version` orders re-registrations of the same model version. */
export async function recordModelVersion(warehouse: Warehouse, r: ModelVersionRecord): Promise<void> {
  await warehouse.client.insert({
    table: 'model_versions',
    format: 'JSONEachRow',
    values: [
      {
        model_version: r.modelVersion,
        model: r.model,
        trained_at: r.trainedAt,
        cutoff: r.cutoff,
        features: r.features,
        metrics: JSON.stringify(r.metrics),
        params: JSON.stringify(r.params),
        version: Date.now(),
      },
    ],
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
}

/** Saves the model file and records it in model_versions; returns the file path. */
export async function saveChurnModel(warehouse: Warehouse, file: ChurnModelFile, dataDir: string = dataDirFrom()): Promise<string> {
  mkdirSync(modelsDir(dataDir), { recursive: true });
  const path = modelPath(dataDir, file.modelVersion);
  writeJsonAtomic(path, file);
  await recordModelVersion(warehouse, file);
  return path;
}

/** Saves any model's parameters as a file (CLV keeps its fitted parameters this way). */
export async function saveModelRecord(warehouse: Warehouse, record: ModelVersionRecord & Record<string, unknown>, dataDir: string = dataDirFrom()): Promise<string> {
  mkdirSync(modelsDir(dataDir), { recursive: true });
  const path = modelPath(dataDir, record.modelVersion);
  writeJsonAtomic(path, record);
  await recordModelVersion(warehouse, record);
  return path;
}

export function loadChurnModelFile(dataDir: string, version: string): LoadedChurnModel {
  const path = modelPath(dataDir, version);
  if (!existsSync(path)) throw new ModelRegistryError('NO_MODEL', `no model file ${path}`);
  let file: ChurnModelFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as ChurnModelFile;
  } catch (err) {
    throw new ModelRegistryError('BAD_MODEL_FILE', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (file.format !== 'ci-churn-model' || (file.formatVersion !== 1 && file.formatVersion !== 2)) {
    throw new ModelRegistryError('BAD_MODEL_FILE', `${path} is not a ci-churn-model v1 or v2 file`);
  }
  return loadedChurnModelOf(file, path);
}

/**
 * The model of a parsed churn model file (its forest or logistic model built from the file's JSON);
 * `where` names the file in errors. Scoring's worker threads build their copy with it.
 */
export function loadedChurnModelOf(file: ChurnModelFile, where: string): LoadedChurnModel {
  const loaded: LoadedChurnModel = { file };
  if (file.forest) {
    loaded.forest = RandomForest.fromJSON(file.forest);
    if (loaded.forest.featureNames.join(',') !== file.features.join(',')) {
      throw new ModelRegistryError('BAD_MODEL_FILE', `${where}: forest features differ from the recorded feature list`);
    }
  }
  const m = file.predictor?.model;
  if (m?.kind === 'logistic') loaded.logistic = new LogisticModel(m.logistic);
  if (!loaded.forest && (m === undefined || m.kind === 'forest')) throw new ModelRegistryError('BAD_MODEL_FILE', `${where}: a forest model without its forest`);
  return loaded;
}

/**
 * The newest churn model: by model_versions (trained_at) among versions whose file exists, else the
 * newest file on disk (a warehouse that was reset keeps working with the models already trained).
 */
export async function latestChurnModel(warehouse: Warehouse, dataDir: string = dataDirFrom()): Promise<LoadedChurnModel> {
  const rs = await warehouse.client.query({
    query: `SELECT model_version FROM model_versions FINAL WHERE model = {model:String} ORDER BY trained_at DESC, model_version DESC LIMIT 20`,
    query_params: { model: 'churn' },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ model_version: string }>();
  for (const r of rows) {
    if (VERSION_RE.test(r.model_version) && existsSync(modelPath(dataDir, r.model_version))) return loadChurnModelFile(dataDir, r.model_version);
  }
  const dir = modelsDir(dataDir);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('churn-') && f.endsWith('.json')) : [];
  let best: ChurnModelFile | undefined;
  for (const f of files) {
    try {
      const file = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ChurnModelFile;
      if (file.format === 'ci-churn-model' && (!best || file.trainedAt > best.trainedAt)) best = file;
    } catch {
      // A half-written or foreign file is not a model: skip it.
    }
  }
  if (!best) throw new ModelRegistryError('NO_MODEL', `no churn model trained yet (looked in model_versions and ${dir}); run \`npm run models -- train\``);
  return loadChurnModelFile(dataDir, best.modelVersion);
}
