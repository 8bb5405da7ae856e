import type { PageServerLoad } from './$types';
import { latestChurnCard } from '$lib/models/card.server.ts';

/**
 * The churn model's horizon for the list's "Churn risk" column: a probability of no completed
 * purchase in that many days after the scores' as-of day, which "99.8%" alone does not say (it read
 * as "will leave, ever"). Secondary: without a card the list shows no window.
 */
export const load: PageServerLoad = async () => ({
  churnHorizonDays: (await latestChurnCard().catch(() => undefined))?.horizonDays,
});
