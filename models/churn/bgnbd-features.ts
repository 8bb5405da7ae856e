/**
 * The BG/NBD outputs as churn features: P(alive), expected purchases in the churn horizon, the
 * log-odds of no purchase in the horizon (the churn label's own event, models/clv/bg-nbd.ts; as
 * log-odds so a linear model reads it on its natural scale) and
 * the predicted 12-month CLV, each from a BG/NBD + Gamma-Gamma fit on the purchases strictly before
 * the cutoff (the fit is unsupervised, so refitting it at every cutoff leaks nothing). Computed in
 * TypeScript (models/clv), not in the feature SQL, and appended to a FeatureSet as extra columns.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { bgNbdLogOddsNoPurchase } from '../clv/bg-nbd.ts';
import { fitClv } from '../clv/fit-clv.ts';
import { addDays, type ChurnDefinition } from './definition.ts';
import type { FeatureSet } from './features.ts';
import { loadPurchaseDays, type PurchaseDay } from './purchase-days.ts';

export const BGNBD_FEATURES = [
  'bgnbd_p_alive',
  'bgnbd_expected_purchases',
  'bgnbd_clv_12m',
  'bgnbd_logodds_no_purchase',
] as const;

export interface BgnbdColumns {
  customerIds: string[];
  pAlive: Float64Array;
  expectedPurchases: Float64Array;
  clv: Float64Array;
  /** log-odds of P(no purchase in the horizon | history). */
  logOddsNoPurchase: Float64Array;
  /** Why the fit failed, when it did (columns are then empty and the BG/NBD candidates sit out). */
  error?: string;
}

/** Fits on the purchase days before `cutoff` and predicts for the definition's horizon. */
export function bgnbdColumnsFrom(purchases: PurchaseDay[], cutoff: string, definition: ChurnDefinition): BgnbdColumns {
  try {
    const fit = fitClv(purchases, addDays(cutoff, -1), { horizonDays: definition.horizonDays });
    const c = fit.customers;
    return {
      customerIds: c.customerIds,
      pAlive: c.probabilityAlive,
      expectedPurchases: c.expectedPurchases,
      clv: c.clv,
      logOddsNoPurchase: bgNbdLogOddsNoPurchase(fit.bgNbd.params, c, definition.horizonDays / 7),
    };
  } catch (err) {
    // Too few repeat buyers for a fit is a property of the data, not a bug: the caller says so.
    return {
      customerIds: [],
      pAlive: new Float64Array(),
      expectedPurchases: new Float64Array(),
      clv: new Float64Array(),
      logOddsNoPurchase: new Float64Array(),
      error: (err as Error).message,
    };
  }
}

export async function loadBgnbdColumns(
  warehouse: Warehouse,
  cutoff: string,
  definition: ChurnDefinition,
): Promise<BgnbdColumns> {
  return bgnbdColumnsFrom(await loadPurchaseDays(warehouse, cutoff, definition.purchaseStatuses), cutoff, definition);
}

/** A copy of `set` with the BG/NBD columns appended (NaN for customers the fit did not see). */
export function withBgnbdColumns<T extends FeatureSet>(set: T, bg: BgnbdColumns): T {
  const index = new Map<string, number>();
  bg.customerIds.forEach((id, i) => index.set(id, i));
  const n = set.customerIds.length;
  const cols = BGNBD_FEATURES.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const k = index.get(set.customerIds[i]);
    cols[0][i] = k === undefined ? NaN : bg.pAlive[k];
    cols[1][i] = k === undefined ? NaN : bg.expectedPurchases[k];
    cols[2][i] = k === undefined ? NaN : bg.clv[k];
    cols[3][i] = k === undefined ? NaN : bg.logOddsNoPurchase[k];
  }
  return { ...set, features: [...set.features, ...BGNBD_FEATURES], columns: [...set.columns, ...cols] };
}
