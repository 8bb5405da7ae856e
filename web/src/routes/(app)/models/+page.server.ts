import type { PageServerLoad } from './$types';
import { latestChurnCard, latestClvCard, latestWinLossCard } from '$lib/models/card.server.ts';
import { modelRunStatus } from '$lib/models/run.server.ts';
import { publicError } from '$lib/server/errors.ts';

/**
 * The published run's churn model card, the model run status and the published win/loss card with
 * its drivers (analysts and admins: access.ts). The win/loss card fails on its own: the churn card
 * stays readable; so does the CLV card (its own error).
 */
export const load: PageServerLoad = async ({ locals }) => {
  const winloss = latestWinLossCard().then(
    (page) => ({ page, error: undefined as string | undefined }),
    (err: unknown) => ({
      page: undefined,
      error: publicError('The win/loss model card could not be read', err, locals.requestId),
    }),
  );
  const clv = latestClvCard().then(
    (card) => ({ card, error: undefined as string | undefined }),
    (err: unknown) => ({
      card: undefined,
      error: publicError('The CLV model card could not be read', err, locals.requestId),
    }),
  );
  try {
    // Which model run the scores come from, and what the newest run did (issue 17).
    const [card, modelRun] = await Promise.all([latestChurnCard(), modelRunStatus().catch(() => undefined)]);
    return { card, modelRun, winloss: await winloss, clv: await clv, error: undefined as string | undefined };
  } catch (err) {
    return {
      card: undefined,
      modelRun: undefined,
      winloss: await winloss,
      clv: await clv,
      error: publicError('The model card could not be read', err, locals.requestId),
    };
  }
};
