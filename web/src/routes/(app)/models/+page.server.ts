import type { PageServerLoad } from './$types';
import { latestChurnCard } from '$lib/models/card.server.ts';
import { publicError } from '$lib/server/errors.ts';

/** The newest churn model card (analysts and admins: access.ts). */
export const load: PageServerLoad = async ({ locals }) => {
  try {
    return { card: await latestChurnCard(), error: undefined as string | undefined };
  } catch (err) {
    return { card: undefined, error: publicError('The model card could not be read', err, locals.requestId) };
  }
};
