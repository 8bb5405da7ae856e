/**
 * The day a page's model scores are as of: the published model run's as-of day (model_runs), not
 * the dashboard's as-of date — the churn page said "scores as of <dashboard as-of>" while its own
 * run line below said the run was as of an earlier day. Without a published run nothing is claimed.
 */
import { formatDate } from './format.ts';

export function scoresAsOf(published: { asOf: string } | undefined | null): string {
  return published?.asOf ? ` (scores as of ${formatDate(published.asOf)})` : '';
}
