import type { ClickHouseClient } from '@clickhouse/client';
import { checkName, quoteIdent, rows, type BoundQuery } from './warehouse/sql.ts';

/**
 * The one as-of date: the day everything relative to "now" is computed for — recency, active
 * customers, RFM, churn training and scoring, alerts, the dashboard's default periods and the
 * derived tables (issue 13, item 4). One rule, used by every process, so the parts agree:
 *
 * 1. `CRM_AS_OF` (YYYY-MM-DD) when set → that day (reason `configured`), whatever the data holds.
 * 2. else, when the data's last fact (the latest paid order's day; see lastFactQuery) is more than
 *    STALE_AFTER_DAYS (7) days before today → the last fact's date (reason `data-end`): an export
 *    of the past (CDNOW ends 1998-06-30) is analysed as of its own end, not as of an empty today,
 *    and the product says "data as of <date>".
 * 3. else → today, UTC (reason `today`): a gap of up to a week is normal trading (weekends,
 *    holidays, a weekly export), and counting it as the data's end would freeze live data.
 *    An empty warehouse and facts dated after today also give today.
 *
 * Facts after the as-of date are not deleted; every consumer filters them out. The as-of day
 * itself: the derived tables include it (paid_orders keeps orders up to and including it, so a
 * purchase on it has recency 0); models and alerts take it as their `today` cutoff and use facts
 * strictly before it (models/churn/definition.ts), so a data set's last day is not in the churn
 * features or the alerts' 12-month revenue.
 */
export type AsOfReason = 'configured' | 'today' | 'data-end';

export interface AsOf {
  /** YYYY-MM-DD. */
  date: string;
  reason: AsOfReason;
}

export interface ResolveAsOfInput {
  /** CRM_AS_OF, when set (YYYY-MM-DD). */
  configured?: string;
  /** Today as YYYY-MM-DD (UTC): injected, so the rule is tested without a clock. */
  today: string;
  /** The last fact's date (YYYY-MM-DD), undefined when there are no facts. */
  lastFactDate?: string;
}

/** Data whose last fact is more than this many days before today is treated as ending in the past. */
export const STALE_AFTER_DAYS = 7;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `s` when it is a YYYY-MM-DD calendar day; otherwise an Error naming `what`. */
export function checkDay(s: string, what: string): string {
  const t = DAY.test(s) ? Date.parse(`${s}T00:00:00Z`) : NaN;
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s)
    throw new Error(`${what} must be a calendar date YYYY-MM-DD, got "${s}"`);
  return s;
}

const daysBetween = (from: string, to: string): number =>
  (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;

/** The rule above, pure. Throws when a given date is not YYYY-MM-DD (naming which one). */
export function resolveAsOf(input: ResolveAsOfInput): AsOf {
  const today = checkDay(input.today, 'today');
  if (input.configured !== undefined && input.configured.trim() !== '')
    return { date: checkDay(input.configured.trim(), 'CRM_AS_OF'), reason: 'configured' };
  const last = input.lastFactDate === undefined ? undefined : checkDay(input.lastFactDate, 'the last fact date');
  if (last !== undefined && daysBetween(last, today) > STALE_AFTER_DAYS) return { date: last, reason: 'data-end' };
  return { date: today, reason: 'today' };
}

/** One line for logs and the CLI: what was chosen and why. */
export function describeAsOf(a: AsOf, lastFactDate?: string): string {
  switch (a.reason) {
    case 'configured':
      return `as of ${a.date} (CRM_AS_OF)`;
    case 'data-end':
      return `as of ${a.date}: the data ends there, more than ${STALE_AFTER_DAYS} days before today (set CRM_AS_OF to choose another day)`;
    default:
      return lastFactDate
        ? `as of today, ${a.date} (last fact ${lastFactDate})`
        : `as of today, ${a.date} (no facts yet)`;
  }
}

/** Today's date in UTC (YYYY-MM-DD). */
export const todayUtc = (now: Date = new Date()): string => now.toISOString().slice(0, 10);

/** Order lines that are sales: `completed`, or `refunded` (a later version of a paid line). */
export const PAID_STATUSES = ['completed', 'refunded'] as const;

/**
 * The last fact's day: the latest paid order (a pending or cancelled line is not a sale, and every
 * metric is about sales); with no paid order at all, the latest order line or interaction of any
 * kind. `FINAL` applies upserts (a line corrected to `cancelled` no longer counts) without the
 * *_resolved views' alias join, which a date does not need.
 */
export function lastFactQuery(database: string): BoundQuery {
  const db = quoteIdent(checkName(database));
  return {
    query: `SELECT toString(t.last_paid) AS last_paid, toString(t.paid) AS paid, toString(t.last_line) AS last_line, toString(t.lines) AS lines,
  toString(i.last_interaction) AS last_interaction, toString(i.interactions) AS interactions
FROM (
  SELECT maxIf(toDate(order_date), status IN {paid:Array(String)}) AS last_paid, countIf(status IN {paid:Array(String)}) AS paid,
    max(toDate(order_date)) AS last_line, count() AS lines
  FROM ${db}.transactions FINAL
) AS t
CROSS JOIN (SELECT max(toDate(occurred_at)) AS last_interaction, count() AS interactions FROM ${db}.interactions FINAL) AS i`,
    query_params: { paid: [...PAID_STATUSES] },
  };
}

interface LastFactRow {
  last_paid: string;
  paid: string;
  last_line: string;
  lines: string;
  last_interaction: string;
  interactions: string;
}

export async function readLastFactDate(client: ClickHouseClient, database: string): Promise<string | undefined> {
  const [r] = await rows<LastFactRow>(client, lastFactQuery(database));
  if (!r) return undefined;
  if (Number(r.paid) > 0) return r.last_paid;
  const any = [Number(r.lines) > 0 ? r.last_line : '', Number(r.interactions) > 0 ? r.last_interaction : '']
    .filter((d) => DAY.test(d))
    .sort();
  return any.at(-1);
}

/** The warehouse's as-of date now: reads the last fact and applies resolveAsOf(). */
export async function warehouseAsOf(
  client: ClickHouseClient,
  database: string,
  opts: { configured?: string; now?: Date } = {},
): Promise<AsOf & { lastFactDate?: string }> {
  const lastFactDate = await readLastFactDate(client, database);
  return { ...resolveAsOf({ configured: opts.configured, today: todayUtc(opts.now), lastFactDate }), lastFactDate };
}
