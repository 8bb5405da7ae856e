/**
 * The project's own modules (models/, lib/, semantic/) for notebook cells, loaded at run time the
 * way `npm start` loads them, with the types a notebook needs.
 *
 * Why not `import { fitClv } from "../models/clv/index.ts"` in a cell: tslab compiles cells with its
 * own TypeScript 5.0 and fixed options (CommonJS, no `allowImportingTsExtensions`, rootDir = the
 * notebook's folder), so it can neither type-check nor run the project's ESM sources, which import
 * each other with `.ts` extensions and use `import.meta`. Instead the kernel runs under tsx
 * (`--import tsx`, see run.ts) and this file loads the modules through a real dynamic import
 * (import.cjs). The interfaces below declare the part of each module the notebooks use; the project's
 * compiler checks them against the real modules (test/notebooks/project-api.check.ts, compiled by
 * test/notebooks/notebooks.test.ts), so a renamed function or a changed result fails the tests.
 *
 * Functions are declared as methods, as the real modules' class types (RandomForest) cannot be
 * named here.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { join, resolve } from 'path';
import { pathToFileURL } from 'url';

// ── models/clv ────────────────────────────────────────────────────────────────────────────────

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** A day: a string starting YYYY-MM-DD (or YYYYMMDD), or a Date (its UTC day). */
export type DateInput = string | Date;

export interface Transaction {
  customerId: string;
  date: DateInput;
  amount: number;
}

export interface CdnowTransaction extends Transaction {
  quantity: number;
}

export interface ModelFit<P> {
  params: P;
  standardErrors?: P;
  logLikelihood: number;
  customers: number;
  converged: boolean;
}

export interface RfmSummary {
  customerIds: string[];
  frequency: Int32Array;
  /** Weeks. */
  recency: Float64Array;
  /** Weeks. */
  T: Float64Array;
  monetaryValue: Float64Array;
  /** Days since 1970-01-01. */
  firstPurchaseDay: Int32Array;
  cutoffDay: number;
  holdoutFrequency?: Int32Array;
  holdoutDays?: number;
}

export interface ClvFit {
  cutoff: string;
  bgNbd: ModelFit<BgNbdParams>;
  gammaGamma: ModelFit<GammaGammaParams> & { frequencyMonetaryCorrelation: number };
  customers: {
    customerIds: string[];
    frequency: Int32Array;
    probabilityAlive: Float64Array;
    /** Expected purchases in the next `horizonDays`. */
    expectedPurchases: Float64Array;
    expectedOrderValue: Float64Array;
    clv: Float64Array;
  };
  holdout?: { days: number; actualPurchases: number; predictedPurchases: number; meanAbsoluteError: number };
  warnings: string[];
}

export interface ClvApi {
  CDNOW_FILE: string;
  CDNOW_CALIBRATION_END: string;
  CDNOW_HOLDOUT_END: string;
  cdnowAvailable(path?: string): boolean;
  loadCdnow(path?: string): CdnowTransaction[];
  buildRfmSummary(transactions: Iterable<Transaction>, cutoff: DateInput, options?: { holdoutEnd?: DateInput }): RfmSummary;
  fitClvFromSummary(summary: RfmSummary, options?: { horizonDays?: number; months?: number; annualDiscountRate?: number }): ClvFit;
  /** E[X(t)]: expected purchases of a new customer in their first t weeks (excluding the first purchase). */
  bgNbdExpectedPurchasesNewCustomer(params: BgNbdParams, t: number): number;
  /** E[Y(t) | x, t_x, T]: expected purchases in the next t weeks of a customer with that history. */
  bgNbdExpectedPurchasesOne(params: BgNbdParams, x: number, tx: number, T: number, t: number): number;
  toEpochDay(date: DateInput): number;
  epochDayToIso(day: number): string;
}

// ── lib/warehouse ─────────────────────────────────────────────────────────────────────────────

export interface Warehouse {
  client: ClickHouseClient;
  url: string;
  user: string;
  password: string;
  database: string;
  cluster?: string;
  close(): Promise<void>;
}

// ── models/churn ──────────────────────────────────────────────────────────────────────────────

export interface ChurnDefinition {
  horizonDays: number;
  activeWindowDays: number;
  minOrdersInWindow: number;
  purchaseStatuses: string[];
}

export interface FeatureSet {
  cutoff: string;
  features: string[];
  customerIds: string[];
  /** columns[j][i]: feature j of customer i (NaN = unknown). */
  columns: Float64Array[];
  labels?: Uint8Array;
}

/** The trained forest, opaque here: pass it back to explainRows. */
export interface Forest {
  readonly nFeatures: number;
  readonly nTrees: number;
}

export type ModelName = 'random_forest' | 'recency_logistic' | 'bgnbd_p_alive';

export interface ModelMetrics {
  model: ModelName;
  roc_auc: number;
  pr_auc: number;
  brier: number;
  lift_top_decile: number;
}

export interface EvaluationResult {
  trainCutoff: string;
  evalCutoff: string;
  definition: ChurnDefinition;
  trained: { forest: Forest; train: FeatureSet & { labels: Uint8Array }; trainSeconds: number };
  evaluation: FeatureSet & { labels: Uint8Array };
  scores: Record<ModelName, Float64Array>;
  metrics: ModelMetrics[];
  importance: { feature: string; importance: number }[];
  summary: { train_rows: number; train_churn_rate: number; eval_rows: number; eval_churn_rate: number; train_seconds: number };
}

export interface Reason {
  feature: string;
  text: string;
  /** Contribution to P(churn) in probability points (0.12 = +12 points). */
  contribution: number;
}

export interface ChurnApi {
  MODEL_NAMES: readonly ModelName[];
  evaluateChurn(
    warehouse: Warehouse,
    options?: { today?: string; forest?: { nEstimators?: number; seed?: number }; onProgress?: (line: string) => void },
  ): Promise<EvaluationResult>;
  describeDefinition(definition: ChurnDefinition): string;
  explainRows(forest: Forest, x: { columns: Float64Array[] }, start?: number, end?: number): { probability: Float64Array; contributions: Float64Array; bias: number };
  topReasons(features: readonly string[], contributions: ArrayLike<number>, values: Readonly<Record<string, number>>, limit?: number, offset?: number): Reason[];
  /** Feature → the topic its reason belongs to (recency, frequency, spend, complaints, …). */
  REASON_TOPICS: Readonly<Record<string, string>>;
  rowValues(set: FeatureSet, i: number): Record<string, number>;
  /** The band among active customers; lapsed (no order in the model's active window) is its own state, decided by the caller. */
  riskBand(probability: number, lapsed?: boolean): 'high' | 'medium' | 'low' | 'lapsed';
}

// ── semantic/ ─────────────────────────────────────────────────────────────────────────────────

export interface TokenApi {
  issueToken(request: { role: 'executive' | 'marketer' | 'analyst' | 'owner' | 'admin'; name: string; days?: number; secret: string }): string;
  cubeApiSecret(env?: Record<string, string | undefined>): string;
}

// ── loading ───────────────────────────────────────────────────────────────────────────────────

/** Repository root: this file is notebooks/lib/project.ts. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');

let nativeImport: ((specifier: string) => Promise<unknown>) | undefined;

/** Imports a project module by its path from the repository root, e.g. "models/clv/index.ts". */
export async function importProject<T>(path: string): Promise<T> {
  // tslab runs notebooks as CommonJS, where TypeScript would turn import() into require():
  // import.cjs keeps a real import(), and only require() can load it from here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  nativeImport ??= require(join(__dirname, 'import.cjs')) as (specifier: string) => Promise<unknown>;
  return (await nativeImport(pathToFileURL(join(PROJECT_ROOT, path)).href)) as T;
}

export function loadClv(): Promise<ClvApi> {
  return importProject<ClvApi>('models/clv/index.ts');
}

export async function loadChurn(): Promise<ChurnApi> {
  const [evaluate, definition, explain, reasons, features, scoring] = await Promise.all([
    importProject<Pick<ChurnApi, 'MODEL_NAMES' | 'evaluateChurn'>>('models/churn/evaluate.ts'),
    importProject<Pick<ChurnApi, 'describeDefinition'>>('models/churn/definition.ts'),
    importProject<Pick<ChurnApi, 'explainRows'>>('models/churn/explain.ts'),
    importProject<Pick<ChurnApi, 'topReasons' | 'REASON_TOPICS'>>('models/churn/reasons.ts'),
    importProject<Pick<ChurnApi, 'rowValues'>>('models/churn/features.ts'),
    importProject<Pick<ChurnApi, 'riskBand'>>('models/scoring/score-churn.ts'),
  ]);
  return {
    MODEL_NAMES: evaluate.MODEL_NAMES,
    evaluateChurn: evaluate.evaluateChurn,
    describeDefinition: definition.describeDefinition,
    explainRows: explain.explainRows,
    topReasons: reasons.topReasons,
    REASON_TOPICS: reasons.REASON_TOPICS,
    rowValues: features.rowValues,
    riskBand: scoring.riskBand,
  };
}

export async function loadTokens(): Promise<TokenApi> {
  const [auth, secret] = await Promise.all([
    importProject<Pick<TokenApi, 'issueToken'>>('semantic/security/auth.ts'),
    importProject<Pick<TokenApi, 'cubeApiSecret'>>('semantic/secret.ts'),
  ]);
  return { issueToken: auth.issueToken, cubeApiSecret: secret.cubeApiSecret };
}

/**
 * The day the product's current churn scores were computed (the latest `cutoff` of the published run, churn_scores_current),
 * or undefined when nothing was scored yet.
 */
export async function latestChurnCutoff(warehouse: Warehouse): Promise<string | undefined> {
  const rs = await warehouse.client.query({
    query: 'SELECT toString(max(cutoff)) AS cutoff, count() AS scored FROM churn_scores_current',
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ cutoff: string; scored: string }>();
  return row && Number(row.scored) > 0 ? row.cutoff : undefined;
}

export class ProductNotRunningError extends Error {}

interface ConfigModule {
  loadWarehouseConfig(env?: Record<string, string | undefined>): { url?: string; user: string; password: string; database: string; dataDir: string; embeddedPort: number; cluster?: string };
}

/**
 * Connects to the warehouse of the running product: CLICKHOUSE_URL when set, else the embedded
 * endpoint that `npm start` publishes in CRM_DATA_DIR (default ./.data). Unlike the product's own
 * connectWarehouse, it never starts an embedded engine: a notebook reads a running product, it
 * does not become one.
 */
export async function connectRunningWarehouse(env: Record<string, string | undefined> = process.env): Promise<Warehouse> {
  const [{ loadWarehouseConfig }, { findRunningEndpoint }, { connectWarehouse }] = await Promise.all([
    importProject<ConfigModule>('lib/config.ts'),
    importProject<{ findRunningEndpoint(dataDir: string): Promise<string | undefined> }>('lib/warehouse/embedded/server.ts'),
    importProject<{ connectWarehouse(options: { config: ReturnType<ConfigModule['loadWarehouseConfig']> }): Promise<Warehouse> }>('lib/warehouse/index.ts'),
  ]);
  const config = loadWarehouseConfig(env);
  if (!config.url) {
    const url = await findRunningEndpoint(config.dataDir);
    if (!url) {
      throw new ProductNotRunningError(
        `no running warehouse for the data directory ${config.dataDir}: start the product with \`npm start\` in another terminal ` +
          '(or set CRM_DATA_DIR to the directory it uses, or CLICKHOUSE_URL for a ClickHouse server)',
      );
    }
    config.url = url;
  }
  return connectWarehouse({ config });
}
