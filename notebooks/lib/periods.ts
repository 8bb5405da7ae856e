/**
 * Twelve months against the twelve before, like for like: when the data end inside their last
 * month (the data end at the last paid order, rarely on a month's last day), that partial month is
 * left out and the comparison ends at the month before — else a few days of a month sat in the
 * "last 12 months" against twelve full ones and the change read as a fall that is not there.
 */
export interface TwelveMonths {
  /** First and last month compared, YYYY-MM. */
  from: string;
  to: string;
  last: number;
  before: number;
  /** last / before − 1; undefined without a base. */
  change: number | undefined;
  /** The partial month left out, YYYY-MM, when there was one. */
  partialMonth?: string;
}

/** The last day (YYYY-MM-DD) of a month given as YYYY-MM. */
export function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/**
 * `months` (YYYY-MM, ascending, one per month) and their `values`; `lastDataDay` the last day with
 * data (YYYY-MM-DD). Undefined when fewer than 24 complete months remain.
 */
export function lastTwelveVsPrevious(months: readonly string[], values: readonly number[], lastDataDay: string): TwelveMonths | undefined {
  if (months.length !== values.length) throw new Error(`lastTwelveVsPrevious: ${months.length} months but ${values.length} values`);
  let n = months.length;
  let partialMonth: string | undefined;
  if (n && lastDataDay.slice(0, 7) === months[n - 1] && lastDataDay.slice(0, 10) < monthEnd(months[n - 1])) {
    partialMonth = months[n - 1];
    n -= 1;
  }
  if (n < 24) return undefined;
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const last = sum(values.slice(n - 12, n));
  const before = sum(values.slice(n - 24, n - 12));
  return { from: months[n - 12], to: months[n - 1], last, before, change: before ? last / before - 1 : undefined, ...(partialMonth ? { partialMonth } : {}) };
}
