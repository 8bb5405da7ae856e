/**
 * The cockpit's dormancy rate (customer_base.dormancy_rate): buyers with no paid order in the 180
 * days before the as-of day. It used to be called the "lapse rate" with a "Lapsed customers" drill,
 * beside the churn model's lapsed state (no order in the model's active window, 365 days by
 * default, stored with the scores): two "lapsed" counts with two windows on one page. The words here
 * name the window and say which figure this is not.
 */
import type { CubeFilter } from '../cube/types.ts';
import { formatNumber, toNumber } from '../format/format.ts';
import type { Num } from '../../../../lib/format/index.ts';
import { FEW } from '../format/rate-base.ts';

/** The same window as the semantic layer's dormant_customers and RFM's recency split (semantic/derived/sql.ts RFM_ACTIVE_DAYS). */
export const DORMANT_DAYS = 180;

export const DORMANT_DRILL_TITLE = `Dormant customers (no order in ${DORMANT_DAYS} days)`;

export const DORMANT_DRILL_DESCRIPTION = `Buyers with no paid order in the ${DORMANT_DAYS} days before the as-of day. Not the churn model's "lapsed" customers (no order in the model's active window, shown on the Churn risk page).`;

/** The drill's rows: the same buyers dormant_customers counts. */
export const dormantFilter = (): CubeFilter[] => [{ member: 'customer_base.days_since_last_purchase', operator: 'gt', values: [String(DORMANT_DAYS)] }];

/**
 * "1,843 of 2,357 buyers" under the dormancy rate: on a purchase log whose customers all arrived in
 * one quarter, "78.2%" alone did not say it was of every customer who ever bought.
 */
export function dormantBase(dormant: Num, buyers: Num): string | undefined {
  const d = toNumber(dormant);
  const b = toNumber(buyers);
  if (d === undefined || b === undefined) return undefined;
  if (b === 0) return 'no customer has bought';
  return `${formatNumber(d)} of ${formatNumber(b)} buyers${b < FEW ? ' (too few to compare)' : ''}`;
}
