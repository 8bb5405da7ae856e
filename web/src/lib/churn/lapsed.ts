/**
 * Lapsed customers (issue 14 point 4): scoring stores risk_band 'lapsed' for a customer with no
 * placed order in the churn model's active window before the scores' as-of date. They are outside
 * the population the model is trained on, so their probability is not a risk: every page says
 * "lapsed" for them, counts them on their own line and leaves them out of value at risk. The words
 * live here so the churn page, the cockpit and the customer page say the same thing.
 */
import { formatDate, formatNumber } from '../format/format.ts';

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

/** The customer page's small print under "lapsed — no order since …". */
export function lapsedNote(windowDays: number | undefined): string {
  return `no order in the ${formatNumber(windowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS)} days before the scores' as-of day: outside the churn model's customers, no churn probability`;
}
