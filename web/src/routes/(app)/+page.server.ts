import type { PageServerLoad } from './$types';
import { parseFilters } from '$lib/filters/url-filters.ts';
import { cockpitPlan } from '$lib/cockpit/plan.ts';
import { prefetchQueries } from '$lib/cockpit/prefetch.server.ts';
import type { Prefetched } from '$lib/cockpit/load.ts';

/**
 * The cockpit's data, asked while the page goes out (issue 17, cold start ≤ 3 s): bench:web's
 * profile showed the first Cube request leaving the browser 2–5 s after the HTML (scripts, then the
 * data token), then ~20 requests queueing behind Chromium's six connections. Here the server asks
 * every cockpit query at once, as the signed-in user (one token of theirs: an owner gets exactly their rows,
 * as in the browser), and SvelteKit streams each answer into the page as it comes; the HTML is not
 * held for them. A failed answer is null and the browser asks that query itself. Server loads
 * run again on every filter change (the URL), so a change is one __data.json request too.
 */
export const load: PageServerLoad = async ({ locals, url, parent }) => {
  const user = locals.user;
  // `?prefetch=off`: the browser asks everything itself (bench:web's same-run baseline).
  if (!user || url.searchParams.get('prefetch') === 'off') return { prefetch: undefined satisfies Prefetched };
  const { asOf } = await parent();
  const f = parseFilters(url.searchParams, asOf);
  return { prefetch: prefetchQueries(cockpitPlan(f), user) };
};
