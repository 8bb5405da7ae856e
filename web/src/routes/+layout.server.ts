import type { LayoutServerLoad } from './$types';
import { asOfNotice, dataAsOf, todayUtc } from '$lib/server/cube.ts';
import { getWebContext } from '$lib/server/context.ts';
import { DEFAULT_FORMAT } from '../../../lib/format/context.ts';

/**
 * Every page gets the same as-of date (default periods end there) and, when it is not today, the
 * notice; and the locale and base currency every amount is shown in (CRM_BASE_CURRENCY).
 */
export const load: LayoutServerLoad = async ({ locals }) => {
  const u = locals.user;
  const today = todayUtc();
  const asOf = u ? await dataAsOf(u) : today;
  return {
    user: u ? { name: u.name, email: u.email, role: u.role, ownerId: u.ownerId } : undefined,
    asOf,
    asOfNotice: u ? asOfNotice(asOf, today) : undefined,
    format: getWebContext().format ?? { ...DEFAULT_FORMAT },
  };
};
