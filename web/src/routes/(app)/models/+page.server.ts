import type { PageServerLoad } from './$types';
import { latestChurnCard } from '$lib/models/card.server.ts';
import { modelRunStatus } from '$lib/models/run.server.ts';
import { publicError } from '$lib/server/errors.ts';

/** The published run's churn model card and the model run status (analysts and admins: access.ts). */
export const load: PageServerLoad = async ({ locals }) => {
  try {
    // Which model run the scores come from, and what the newest run did (issue 17).
    const [card, modelRun] = await Promise.all([latestChurnCard(), modelRunStatus().catch(() => undefined)]);
    return { card, modelRun, error: undefined as string | undefined };
  } catch (err) {
    return {
      card: undefined,
      modelRun: undefined,
      error: publicError('The model card could not be read', err, locals.requestId),
    };
  }
};
