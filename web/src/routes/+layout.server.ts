import type { LayoutServerLoad } from './$types';
import { dataAsOf } from '$lib/server/cube.ts';

export const load: LayoutServerLoad = async ({ locals }) => {
  const u = locals.user;
  return {
    user: u ? { name: u.name, email: u.email, role: u.role, ownerId: u.ownerId } : undefined,
    asOf: u ? await dataAsOf(u) : new Date().toISOString().slice(0, 10),
  };
};
