/**
 * What "churn" means on the churn page, in days: the model's probability is of no completed purchase
 * in its horizon (the published model card's horizon_days, 90 by default) after the scores' as-of
 * day. The page said "customers the churn model expects to leave" and "Expected churners: sum of
 * probabilities" with no window, which read as "ever" or "this year". Without a card nothing is
 * claimed.
 */
import { formatNumber } from './format.ts';

const days = (n: number | undefined): number | undefined =>
  n !== undefined && Number.isFinite(n) && n > 0 ? Math.round(n) : undefined;

/** "no completed purchase in the 90 days after the scores' as-of day", or undefined without a horizon. */
export function churnWindow(horizonDays: number | undefined): string | undefined {
  const h = days(horizonDays);
  return h === undefined
    ? undefined
    : `no completed purchase in the ${formatNumber(h)} day${h === 1 ? '' : 's'} after the scores' as-of day`;
}

/** The churn page's opening line; `asOf` is scoresAsOf()'s " (scores as of …)" or ''. */
export function churnIntro(horizonDays: number | undefined, asOf: string): string {
  const w = churnWindow(horizonDays);
  return `Customers the churn model expects to leave${w ? ` (${w})` : ''}, why, and what they are worth${asOf}.`;
}

/**
 * The "Expected churners" card's note: a sum of probabilities over the model's horizon, counted
 * from the scores' as-of day as the page's intro says ("next 90 days" read as the coming quarter on
 * data ending in 1998).
 */
export function expectedChurnersNote(horizonDays: number | undefined): string {
  const h = days(horizonDays);
  return h === undefined
    ? 'sum of probabilities'
    : `sum of probabilities, ${formatNumber(h)} day${h === 1 ? '' : 's'} after the scores' as-of day`;
}

/**
 * The 360's P(alive) card's note. BG/NBD's P(alive) is the chance the customer has not stopped
 * buying for good, a different event from the churn probability beside it (no purchase in the
 * horizon): CDNOW's C-TEE0Y17H63VQ read "P(alive) 86.9%" next to "Churn probability 50.1%", two
 * figures that look like one event's chances and do not add up to 100%.
 */
export function pAliveNote(horizonDays: number | undefined): string {
  const h = days(horizonDays);
  const not =
    h === undefined
      ? 'not the churn probability'
      : `not of buying in the ${formatNumber(h)} day${h === 1 ? '' : 's'} after the scores' as-of day`;
  return `chance they have not stopped buying for good (BG/NBD); ${not}`;
}
