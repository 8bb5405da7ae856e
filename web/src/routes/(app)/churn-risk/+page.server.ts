import type { PageServerLoad } from './$types';
import { latestChurnCard } from '$lib/models/card.server.ts';
import { cardSummary } from '$lib/models/card.ts';
import { decide } from '$lib/auth/access.ts';

/**
 * The churn model card's summary above the list (what shipped, how it validated, against which
 * baseline). Secondary: the page works without it, so a read failure only hides the summary.
 */
export const load: PageServerLoad = async ({ locals }) => {
  const card = await latestChurnCard().catch(() => undefined);
  return {
    modelSummary: card ? cardSummary(card) : undefined,
    canOpenModels: decide('/(app)/models', locals.user?.role) === 'allow',
  };
};
