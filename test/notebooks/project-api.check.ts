/**
 * Compile-time check, nothing to run: notebooks/lib/project.ts declares by hand the part of the
 * project's API the notebooks use (tslab cannot compile the project's sources itself). Here the
 * project's compiler checks that the real modules satisfy those declarations, so renaming a function
 * or changing a result the notebooks read fails `tsc` — run by test/notebooks/notebooks.test.ts and
 * by `npm run typecheck`.
 */
import type { Warehouse as RealWarehouse } from '../../lib/warehouse/index.ts';
import * as config from '../../lib/config.ts';
import * as embedded from '../../lib/warehouse/embedded/server.ts';
import * as warehouse from '../../lib/warehouse/index.ts';
import * as definition from '../../models/churn/definition.ts';
import * as evaluate from '../../models/churn/evaluate.ts';
import * as explain from '../../models/churn/explain.ts';
import * as features from '../../models/churn/features.ts';
import * as reasons from '../../models/churn/reasons.ts';
import * as clv from '../../models/clv/index.ts';
import * as scoring from '../../models/scoring/score-churn.ts';
import * as auth from '../../semantic/security/auth.ts';
import * as secret from '../../semantic/secret.ts';
import type { ChurnApi, ClvApi, TokenApi, Warehouse } from '../../notebooks/lib/project.ts';

export const clvApi: ClvApi = clv;

export const churnApi: ChurnApi = {
  MODEL_NAMES: evaluate.MODEL_NAMES,
  evaluateChurn: evaluate.evaluateChurn,
  describeDefinition: definition.describeDefinition,
  explainRows: explain.explainRows,
  topReasons: reasons.topReasons,
  REASON_TOPICS: reasons.REASON_TOPICS,
  rowValues: features.rowValues,
  riskBand: scoring.riskBand,
};

export const tokenApi: TokenApi = { issueToken: auth.issueToken, cubeApiSecret: secret.cubeApiSecret };

// A warehouse goes both ways: connectWarehouse's result into the notebooks, and back into evaluateChurn.
export function toNotebook(w: RealWarehouse): Warehouse {
  return w;
}
export function toProject(w: Warehouse): RealWarehouse {
  return w;
}

// What connectRunningWarehouse calls.
export const runningWarehouse: {
  loadWarehouseConfig: typeof config.loadWarehouseConfig;
  findRunningEndpoint(dataDir: string): Promise<string | undefined>;
  connectWarehouse(options: { config: ReturnType<typeof config.loadWarehouseConfig> }): Promise<Warehouse>;
} = { loadWarehouseConfig: config.loadWarehouseConfig, findRunningEndpoint: embedded.findRunningEndpoint, connectWarehouse: warehouse.connectWarehouse };
