import type { PageServerLoad } from './$types';
import { latestChurnCard } from '$lib/models/card.server.ts';
import { cardSummary } from '$lib/models/card.ts';
import { decide } from '$lib/auth/access.ts';
import { modelRunStatus } from '$lib/models/run.server.ts';

/**
 * The churn model card's summary above the list (what shipped, how it validated, against which
 * baseline). Secondary: the page works without it, so a read failure only hides the summary.
 */
export const load: PageServerLoad = async ({ locals }) => {
  // Which model run the scores come from (issue 17): secondary like the card.
  const [card, modelRun] = await Promise.all([
    latestChurnCard().catch(() => undefined),
    modelRunStatus().catch(() => undefined),
  ]);
  return {
    modelSummary: card ? cardSummary(card) : undefined,
    modelRun,
    canOpenModels: decide('/(app)/models', locals.user?.role) === 'allow',
  };
};
