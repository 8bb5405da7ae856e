import { formatNumber, formatPercent } from '../format/format.ts';

/**
 * A chart of the largest categories (a query with a limit: the 15 owners who lost most, the 10
 * largest loss reasons) shows part of a total the page states elsewhere (the Lost value card).
 * Without a word the bars read as the whole and never add up to the card. The rest is the total
 * minus what the bars hold, from the page's own total query over the same filters and period.
 */
export interface Part {
  value: number;
  /** What the value is summed over (deals, customers), when the chart says it. */
  count?: number;
}

export interface Rest extends Part {
  /** The rest's share of the total value, 0-1. */
  share: number;
}

/**
 * The part of `total` the shown rows leave out; undefined when there is nothing to say: fewer rows
 * than the limit (every category is shown), no total yet, or rows that hold the whole total.
 */
export function restOfTotal(shown: Part[], total: Part | undefined, limit: number): Rest | undefined {
  if (!total || shown.length < limit || !Number.isFinite(total.value)) return undefined;
  const value = total.value - shown.reduce((s, p) => s + (Number.isFinite(p.value) ? p.value : 0), 0);
  const count = total.count === undefined ? undefined : total.count - shown.reduce((s, p) => s + (p.count ?? 0), 0);
  // Sums of money in floating point: a cent's noise is not a category left out.
  if (value <= Math.abs(total.value) * 1e-9 && !(count && count > 0)) return undefined;
  return { value, ...(count === undefined ? {} : { count }), share: total.value ? value / total.value : 0 };
}

/** "The 15 largest owners are shown; the others add up to €1.2m (8.0% of the total) in 34 deals." */
export function restNote(rest: Rest, opts: { shown: number; what: string; format: (v: number) => string; countLabel?: string }): string {
  const inCount = opts.countLabel && rest.count !== undefined ? ` in ${formatNumber(rest.count)} ${opts.countLabel}` : '';
  return `The ${formatNumber(opts.shown)} largest ${opts.what} are shown; the others add up to ${opts.format(rest.value)} (${formatPercent(rest.share)} of the total)${inCount}.`;
}
