/**
 * The BG/NBD + Gamma-Gamma figures are per purchase day (models/clv: several orders on one day are
 * one event, the day's amounts summed). The 360 read "2.0 orders expected in 90 days", which a
 * customer who places three orders a day buys three times over; the words say what is counted.
 */
import { formatNumber, MISSING } from './format.ts';

/** What a purchase day is, for a title beside either figure. */
export const PURCHASE_DAY =
  'a purchase day is a day with at least one completed order: several orders on one day count once (BG/NBD)';

/**
 * The 360's CLV card note: "0.8 purchase days expected in the 90 days after the scores' as-of day"
 * (whole numbers without decimals, as formatNumber writes them). The 90 days start at the scores'
 * day, not today: "in the next 90 days" on data ending in 1998 read as the coming quarter.
 */
export function expectedPurchaseDaysNote(expected: number | string | null | undefined): string {
  const shown = formatNumber(expected, { digits: 1 });
  if (shown === MISSING) return 'no purchase forecast';
  return `${shown} purchase day${shown === '1' ? '' : 's'} expected in the 90 days after the scores' as-of day`;
}
