import type { LayoutServerLoad } from './$types';
import { asOfNotice, dataAsOf, todayUtc } from '$lib/server/cube.ts';

/** Every page gets the same as-of date (default periods end there) and, when it is not today, the notice. */
export const load: LayoutServerLoad = async ({ locals }) => {
  const u = locals.user;
  const today = todayUtc();
  const asOf = u ? await dataAsOf(u) : today;
  return {
    user: u ? { name: u.name, email: u.email, role: u.role, ownerId: u.ownerId } : undefined,
    asOf,
    asOfNotice: u ? asOfNotice(asOf, today) : undefined,
  };
};
