import type { PageServerLoad } from './$types';
import { parseFilters } from '$lib/filters/url-filters.ts';
import { cockpitPlan, filterBarPlan, queryKey } from '$lib/cockpit/plan.ts';
import { prefetchQueries } from '$lib/cockpit/prefetch.server.ts';
import { settleWithin } from '$lib/cockpit/settle-within.ts';
import type { Prefetched } from '$lib/cockpit/load.ts';
import { COCKPIT_KPIS } from '$lib/cockpit/kpis.ts';
import { metricsOf, serverDictionary } from '$lib/metrics/dictionary.server.ts';
import type { Metric } from '$lib/metrics/dictionary.ts';
import { sharedModelRunStatus } from '$lib/models/run.server.ts';
import { noScoresText } from '$lib/models/run.ts';

/**
 * The cockpit's data, asked while the page is rendered (issue 17, cold start ≤ 3 s): bench:web's
 * profile showed the first Cube request leaving the browser seconds after the HTML (scripts, then
 * the data token, then the dictionary's /v1/meta), then ~20 requests queueing behind Chromium's six
 * connections. Here the server asks every cockpit query and the filter bar's at once, as the
 * signed-in user (one token of theirs: an owner gets exactly their rows, as in the browser).
 * Answers that come within RENDER_BUDGET_MS are rendered into the HTML with the cards' labels
 * (the dictionary, cached on the server); the rest stream into the page as they come. A failed
 * answer is null and the browser asks that query itself (the filter bar's: when not ready in time).
 * The token goes to the browser too, for its own later requests. Server loads run again on every
 * filter change (the URL).
 */
const RENDER_BUDGET_MS = 400;

export const load: PageServerLoad = async ({ locals, url, parent }) => {
  const user = locals.user;
  // `?prefetch=off`: the browser asks everything itself (bench:web's same-run baseline).
  if (!user || url.searchParams.get('prefetch') === 'off') return { prefetch: undefined satisfies Prefetched, cubeToken: undefined, metrics: undefined, publishedRun: undefined };
  const { asOf } = await parent();
  const f = parseFilters(url.searchParams, asOf);
  const plan = cockpitPlan(f);
  const { token, answers } = prefetchQueries([...plan, ...filterBarPlan(f)], user);
  const metrics = serverDictionary(token.token).then(
    (d) => metricsOf(d, COCKPIT_KPIS.map((k) => k.measure)),
    (): Record<string, Metric> | undefined => undefined,
  );
  // The published model run's as-of day, for the score cards' notes (secondary: none in time, none said).
  const status = sharedModelRunStatus();
  const run = status.then(
    (r) => (r.published ? { asOf: r.published.asOf } : undefined),
    () => undefined,
  );
  // Without published scores, the churn card says why the newest run failed (a short history, …).
  const noScores = status.then(
    (r) => noScoresText(r),
    () => undefined,
  );
  const [prefetch, kpiMetrics, publishedRun, noScoresNote] = await Promise.all([settleWithin(answers, RENDER_BUDGET_MS), withinBudget(metrics, RENDER_BUDGET_MS), withinBudget(run, RENDER_BUDGET_MS), withinBudget(noScores, RENDER_BUDGET_MS)]);
  // The filter bar's answers go with the page only when they are ready: streamed, they would hold
  // the document (its load event) open for options nobody waits for; the browser asks for those.
  const own = new Set(plan.map(queryKey));
  for (const k of Object.keys(prefetch.pending)) if (!own.has(k)) delete prefetch.pending[k];
  return { prefetch, cubeToken: token, metrics: kpiMetrics, publishedRun, noScoresNote };
};

/** `p`'s value if it settles within `ms`, else undefined (the browser asks then). */
async function withinBudget<T>(p: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
