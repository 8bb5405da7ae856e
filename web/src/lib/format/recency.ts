/**
 * "How long since the last order", said against the day the figure is counted to. The semantic
 * layer's days_since_last_purchase counts to value_as_of (the day the customer figures were last
 * rebuilt, the data's end for an old export), not to today: "180 days ago" on a warehouse whose data
 * ends in 1998 read as last spring. That day is the last order's day plus the days, so the text
 * names it without another query.
 */
import { formatDate, formatNumber, parseDay } from './format.ts';

const DAY_MS = 86_400_000;

/** "180 days before 30 Jun 1998" (the as-of day), "on 30 Jun 1998" for 0, or undefined without both figures. */
export function daysSinceLastOrder(lastOrderAt: string | null | undefined, days: number | string | null | undefined): string | undefined {
  const last = parseDay(lastOrderAt ?? undefined);
  const n = days === null || days === undefined || days === '' ? undefined : Number(days);
  if (!last || n === undefined || !Number.isFinite(n)) return undefined;
  const day = Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate());
  const asOf = formatDate(new Date(day + Math.round(n) * DAY_MS));
  if (Math.round(n) === 0) return `on the as-of day, ${asOf}`;
  return `${formatNumber(n)} day${Math.round(n) === 1 ? '' : 's'} before ${asOf} (as of)`;
}

/**
 * "545 days to 30 Jun 1998 (as of)": the customer's tenure (customer_base.tenure_days) counts from
 * sign-up to the same as-of day, not to today. The 360 read "Customer since 1 Jan 1997 (545 days)"
 * on data ending in 1998, which reads as a customer of 545 days now. Undefined without both figures.
 */
export function daysToAsOf(from: string | null | undefined, days: number | string | null | undefined): string | undefined {
  const start = parseDay(from ?? undefined);
  const n = days === null || days === undefined || days === '' ? undefined : Number(days);
  if (!start || n === undefined || !Number.isFinite(n)) return undefined;
  const day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  const asOf = formatDate(new Date(day + Math.round(n) * DAY_MS));
  return `${formatNumber(n)} day${Math.round(n) === 1 ? '' : 's'} to ${asOf} (as of)`;
}
