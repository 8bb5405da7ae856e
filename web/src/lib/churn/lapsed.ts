/**
 * Lapsed customers (issue 14 point 4): scoring stores risk_band 'lapsed' for a customer with no
 * placed order in the churn model's active window before the scores' as-of date. They are outside
 * the population the model is trained on, so their probability is not a risk: every page says
 * "lapsed" for them, counts them on their own line and leaves them out of value at risk. The words
 * live here so the churn page, the cockpit and the customer page say the same thing.
 */
import { formatCurrency, formatDate, formatNumber, toNumber } from '../format/format.ts';
import { daysSinceLastOrder } from '../format/recency.ts';

/** The window scoring used when the card does not name one (cards before it was stored). */
export const DEFAULT_ACTIVE_WINDOW_DAYS = 365;

/** One line: what lapsed means, with the window and the scores' as-of day when known. */
export function lapsedDefinition(windowDays: number | undefined, asOf: string | undefined): string {
  const days = windowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS;
  const before = asOf ? ` before ${formatDate(asOf)}` : '';
  return `Lapsed: no order in the ${formatNumber(days)} days${before}. The churn model is trained on active customers only, so lapsed customers are not counted as at risk (not in high, medium or low, nor in value at risk): a win-back audience.`;
}

/** The customer page's line for a lapsed customer, instead of a churn probability. */
export function lapsedSince(lastPurchaseAt: string | null | undefined): string {
  return lastPurchaseAt ? `lapsed — no order since ${formatDate(lastPurchaseAt)}` : 'lapsed — no order on record';
}

/** A list row of a lapsed customer shows no churn probability (it is an extrapolation for them). */
export function withoutLapsedProbability<T extends Record<string, unknown>>(row: T, bandKey: string, probabilityKey: string): T {
  return row[bandKey] === 'lapsed' ? { ...row, [probabilityKey]: null } : row;
}

/** What a value-at-risk figure includes: "active customers; 1,545 lapsed not included". */
export function valueAtRiskBase(lapsed: unknown): string {
  const n = lapsed === null || lapsed === undefined || lapsed === '' ? NaN : Number(lapsed);
  return Number.isFinite(n) && n > 0 ? `active customers; ${formatNumber(n)} lapsed not included` : 'active customers';
}

/**
 * The churn page's base of its at-risk figures: "of 817 active customers (an order in the 365 days
 * before 30 Jun 1998)". Active here is the churn model's population, not the cockpit's "Active
 * customers" (bought in the chosen period): on CDNOW the two read 817 and 812 side by side, the
 * window ending the day before the as-of day and the period on it.
 */
export function activeCustomersBase(count: number | undefined, windowDays: number | undefined, asOf: string | undefined): string {
  const days = formatNumber(windowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS);
  const before = asOf ? ` before ${formatDate(asOf)}` : ` before the scores' as-of day`;
  return `of ${formatNumber(count)} active customers (an order in the ${days} days${before})`;
}

/** The customer page's small print under "lapsed — no order since …". */
export function lapsedNote(windowDays: number | undefined): string {
  return `no order in the ${formatNumber(windowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS)} days before the scores' as-of day: outside the churn model's customers, no churn probability`;
}

export interface LapsedFacts {
  /** "Last order 12 Mar 1997" or "No order on record". */
  lastOrder: string;
  /** "475 days before 30 Jun 1998 (as of)", when both figures are known. */
  since?: string;
  /** "While active: 5 paid orders, $312.40 net revenue, 3 Jan 1997 – 12 Mar 1997". */
  whileActive?: string;
  /** Why no churn reasons are shown. */
  why: string;
}

/**
 * What is true of a lapsed customer, shown where an active customer's churn reasons are: the forest's
 * reasons for them explain an extrapolated probability ("why this churn risk" of someone gone for
 * years), so the page gives the last order, how long ago and what they were worth while active.
 */
export function lapsedFacts(c: {
  lastPurchaseAt: string | null | undefined;
  firstPurchaseAt: string | null | undefined;
  daysSinceLastPurchase: number | string | null | undefined;
  lifetimeValue: number | string | null | undefined;
  lifetimeOrders: number | string | null | undefined;
  windowDays: number | undefined;
}): LapsedFacts {
  const orders = toNumber(c.lifetimeOrders ?? undefined);
  const value = toNumber(c.lifetimeValue ?? undefined);
  const span = c.firstPurchaseAt && c.lastPurchaseAt ? (formatDate(c.firstPurchaseAt) === formatDate(c.lastPurchaseAt) ? `on ${formatDate(c.lastPurchaseAt)}` : `${formatDate(c.firstPurchaseAt)} – ${formatDate(c.lastPurchaseAt)}`) : undefined;
  const parts = [orders !== undefined ? `${formatNumber(orders)} paid order${orders === 1 ? '' : 's'}` : undefined, value !== undefined ? `${formatCurrency(value)} net revenue` : undefined, span].filter(Boolean);
  return {
    lastOrder: c.lastPurchaseAt ? `Last order ${formatDate(c.lastPurchaseAt)}` : 'No order on record',
    since: daysSinceLastOrder(c.lastPurchaseAt, c.daysSinceLastPurchase),
    whileActive: c.lastPurchaseAt && parts.length ? `While active: ${parts.join(', ')}` : undefined,
    why: `No order in the churn model's active window (${formatNumber(c.windowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS)} days before the scores' as-of day): the model does not score such customers as a risk, so there are no churn reasons. A win-back audience.`,
  };
}
