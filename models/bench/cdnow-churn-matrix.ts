/**
 * A churn matrix from a real purchase log (the CDNOW sample) in the shape of the product's feature
 * query: the 32 columns `models/churn/features.ts` exported when issue 14 measured the gap to
 * scikit-learn (13 from orders, the rest from interactions, deals and campaigns, which a purchase
 * log does not have). The order features follow the SQL's definitions; the others take what the
 * SQL gives a customer without such facts: 0 for counts, missing (NaN) for NULLable ones. That
 * mix — a dozen informative columns beside many constant ones — is what a retailer's log looks
 * like to the product, and is where the forest and scikit-learn parted (see forest/README.md).
 *
 * Pure: transactions in, matrix out. Label: no purchase in [cutoff, cutoff + horizon).
 * Population: customers with an order in the year before the cutoff (the default definition).
 */
export interface PurchaseLine {
  customerId: string;
  /** YYYY-MM-DD */
  date: string;
  amount: number;
}

/** The product's 32 features as of issue 14, in matrix order; `?` marks NULLable ones. */
export const PRODUCT_FEATURES_V32 = [
  'recency_days', 'orders_90d', 'orders_prev_90d', 'orders_365d', 'orders_total', 'revenue_90d', 'revenue_prev_90d',
  'revenue_365d', 'aov_365d?', 'spend_change_90d?', 'tenure_days', 'order_gap_days?', 'overdue_ratio?', 'refunds_365d',
  'support_tickets_90d', 'complaints_90d', 'complaints_30d', 'calls_90d', 'meetings_90d', 'web_visits_90d', 'chats_90d',
  'csat_avg_180d?', 'emails_sent_90d', 'email_open_rate_90d?', 'email_click_rate_90d?', 'days_since_last_contact?',
  'days_since_last_interaction?', 'campaign_responses_365d', 'open_deals', 'lost_deals_365d', 'won_deals_365d', 'is_b2b',
] as const;

export interface ChurnMatrix {
  featureNames: string[];
  /** Row-major, n × featureNames.length; NaN = missing. */
  values: Float64Array;
  nCols: number;
  /** 1 = churned (no purchase in the horizon). */
  y: Uint8Array;
  customerIds: string[];
}

const DAY_MS = 86_400_000;
const epochDay = (s: string): number => {
  const t = Date.parse(`${s}T00:00:00Z`);
  if (Number.isNaN(t)) throw new RangeError(`not a YYYY-MM-DD date: "${s}"`);
  return t / DAY_MS;
};

/** Rows for every customer with an order in the 365 days before `cutoff`. */
export function cdnowChurnMatrix(lines: readonly PurchaseLine[], cutoff: string, horizonDays: number): ChurnMatrix {
  const c = epochDay(cutoff);
  // Orders = customer-days (the SQL groups lines by order id; CDNOW has none, and same-day lines
  // are one visit, as in the published CLV fits).
  const byCustomer = new Map<string, Map<number, number>>();
  const future = new Set<string>();
  lines.forEach((l, i) => {
    const d = epochDay(l.date);
    if (!Number.isFinite(l.amount)) throw new RangeError(`line ${i} (customer ${l.customerId}): amount ${l.amount} is not a number`);
    if (d >= c) {
      if (d < c + horizonDays) future.add(l.customerId);
      return;
    }
    let days = byCustomer.get(l.customerId);
    if (!days) byCustomer.set(l.customerId, (days = new Map()));
    days.set(d, (days.get(d) ?? 0) + l.amount);
  });
  const names = PRODUCT_FEATURES_V32.map((n) => n.replace('?', ''));
  const nullable = PRODUCT_FEATURES_V32.map((n) => n.endsWith('?'));
  const nCols = names.length;
  const ids = [...byCustomer.keys()].filter((id) => [...byCustomer.get(id)!.keys()].some((d) => d >= c - 365)).sort();
  const values = new Float64Array(ids.length * nCols);
  const y = new Uint8Array(ids.length);
  ids.forEach((id, i) => {
    const days = [...byCustomer.get(id)!.entries()];
    let first = Infinity;
    let last = -Infinity;
    const f: Record<string, number> = { orders_90d: 0, orders_prev_90d: 0, orders_365d: 0, revenue_90d: 0, revenue_prev_90d: 0, revenue_365d: 0 };
    for (const [d, v] of days) {
      first = Math.min(first, d);
      last = Math.max(last, d);
      if (d >= c - 90) {
        f.orders_90d++;
        f.revenue_90d += v;
      } else if (d >= c - 180) {
        f.orders_prev_90d++;
        f.revenue_prev_90d += v;
      }
      if (d >= c - 365) {
        f.orders_365d++;
        f.revenue_365d += v;
      }
    }
    f.recency_days = c - last;
    f.tenure_days = c - first;
    f.orders_total = days.length;
    f.aov_365d = f.orders_365d > 0 ? f.revenue_365d / f.orders_365d : NaN;
    f.spend_change_90d = f.revenue_prev_90d !== 0 ? f.revenue_90d / f.revenue_prev_90d - 1 : NaN;
    f.order_gap_days = f.orders_total > 1 ? (f.tenure_days - f.recency_days) / (f.orders_total - 1) : NaN;
    f.overdue_ratio = f.order_gap_days > 0 ? f.recency_days / f.order_gap_days : NaN;
    f.refunds_365d = 0;
    for (let j = 0; j < nCols; j++) values[i * nCols + j] = f[names[j]] ?? (nullable[j] ? NaN : 0);
    y[i] = future.has(id) ? 0 : 1;
  });
  return { featureNames: names, values, nCols, y, customerIds: ids };
}
