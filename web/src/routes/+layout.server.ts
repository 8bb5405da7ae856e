import type { LayoutServerLoad } from './$types';
import { asOfNotice, todayUtc } from '$lib/server/cube.ts';
import { getWebContext } from '$lib/server/context.ts';
import { DEFAULT_FORMAT } from '../../../lib/format/context.ts';
import { qualified } from '../../../lib/warehouse/sql.ts';

/**
 * Every page gets the same as-of date (default periods end there) and, when it is not today, the
 * notice; and the locale and base currency every amount is shown in (CRM_BASE_CURRENCY).
 */
export const load: LayoutServerLoad = async ({ locals }) => {
  const u = locals.user;
  const today = todayUtc();
  const asOf = u ? await asOfDay(today) : today;
  return {
    user: u ? { name: u.name, email: u.email, role: u.role, ownerId: u.ownerId } : undefined,
    asOf,
    // The pages say when a period ends on a day not yet over (filters/comparison.ts runningDayNote).
    today,
    asOfNotice: u ? asOfNotice(asOf, today) : undefined,
    format: getWebContext().format ?? { ...DEFAULT_FORMAT },
  };
};

/**
 * The as-of day is the committed derived snapshot's (semantic/derived/refresh.ts writes it with the
 * one as-of rule, lib/as-of.ts; Cube's customer_base.value_as_of reads the same column). It used to
 * be asked of Cube on every page view once a minute had passed: while a load's re-warm kept Cube's
 * queue busy that one question held every page up to 30 s (bench:load --load-every 15, 2026-12-07).
 * Now it is read from the warehouse's small commit table, at most once per AS_OF_RENEW_MS and by one
 * read for all page views; once known, a page never waits for it: the last day read answers while
 * the next read runs (an as-of day moves only with a derived refresh, at most once a day).
 */
const AS_OF_RENEW_MS = 10_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
let known: { day: string; at: number } | undefined;
let reading: Promise<string | undefined> | undefined;

async function readAsOfDay(): Promise<string | undefined> {
  const db = getWebContext().warehouse;
  const table = db.database ? qualified(db.database, 'derived_snapshots') : 'derived_snapshots';
  const rs = await db.client.query({ query: `SELECT toString(as_of) AS as_of FROM ${table} ORDER BY snapshot DESC LIMIT 1`, format: 'JSONEachRow' });
  const [row] = await rs.json<{ as_of: string }>();
  return row && DAY.test(row.as_of) ? row.as_of : undefined;
}

/** The as-of day; today when no derived snapshot is committed yet (or before the first read succeeds). */
async function asOfDay(today: string): Promise<string> {
  if (!reading && (!known || Date.now() - known.at >= AS_OF_RENEW_MS)) {
    reading = readAsOfDay()
      .then(
        (day) => {
          if (day) known = { day, at: Date.now() };
          return day;
        },
        // The pages still work with the last day known (or today); their own queries show any error.
        () => undefined,
      )
      .finally(() => {
        reading = undefined;
      });
  }
  if (known) return known.day;
  return (await reading) ?? today;
}
