/**
 * Which churn horizon an unattended training uses (the first `npm start`, the worker's scheduled
 * re-score). A user whose history is too short for 90 days trains once with `--horizon N`; if the
 * next scheduled run went back to 90 it would be refused and the N-day scores would go stale. So
 * the order is: an explicit option, then CRM_CHURN_HORIZON_DAYS, then the horizon of the latest
 * trained churn model (its file records the definition), then the default.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { DEFAULT_CHURN_DEFINITION } from './definition.ts';
import { latestChurnModel, ModelRegistryError } from './registry.ts';

export type HorizonSource = 'option' | 'CRM_CHURN_HORIZON_DAYS' | 'latest model' | 'default';

export interface ResolvedChurnHorizon {
  horizonDays: number;
  source: HorizonSource;
  /** One line for the run's log: the horizon and where it came from. */
  describe: string;
}

export async function resolveChurnHorizon(
  warehouse: Warehouse,
  opts: { explicit?: number; configured?: number; dataDir?: string } = {},
): Promise<ResolvedChurnHorizon> {
  const at = (horizonDays: number, source: HorizonSource, why: string): ResolvedChurnHorizon => ({
    horizonDays,
    source,
    describe: `churn horizon ${horizonDays} days (${why})`,
  });
  if (opts.explicit !== undefined) return at(opts.explicit, 'option', 'given');
  const configured = 'configured' in opts ? opts.configured : loadConfig().CRM_CHURN_HORIZON_DAYS;
  if (configured !== undefined) return at(configured, 'CRM_CHURN_HORIZON_DAYS', 'CRM_CHURN_HORIZON_DAYS');
  try {
    const latest = await latestChurnModel(warehouse, opts.dataDir);
    const h = latest.file.definition?.horizonDays;
    if (Number.isInteger(h) && h > 0) return at(h, 'latest model', `the horizon of the latest churn model, ${latest.file.modelVersion}; CRM_CHURN_HORIZON_DAYS overrides it`);
  } catch (err) {
    // No model yet is the first start; an unreadable one is reported by the scoring that needs it.
    if (!(err instanceof ModelRegistryError)) throw err;
  }
  const d = DEFAULT_CHURN_DEFINITION.horizonDays;
  return at(d, 'default', `default; CRM_CHURN_HORIZON_DAYS sets another`);
}
