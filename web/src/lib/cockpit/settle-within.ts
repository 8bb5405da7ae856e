import type { QueryResult } from '../cube/types.ts';
import type { Prefetched } from './load.ts';

/**
 * The answers that came within `budgetMs` (they go into the page and the server renders them: the
 * cards and chart boxes are in the HTML, no script needed to show them), and the rest as promises
 * SvelteKit streams into the page as each settles. A short budget: remembered answers
 * (semantic/warm-up.ts, Cube's cache) take tens of milliseconds, and holding the HTML longer
 * delays the scripts it names, which the charts need.
 */
export async function settleWithin(answers: Record<string, Promise<QueryResult | null>>, budgetMs: number): Promise<NonNullable<Prefetched>> {
  const ready: Record<string, QueryResult | null> = {};
  const all = Promise.all(Object.entries(answers).map(([k, p]) => p.then((r) => void (ready[k] = r))));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)))]);
  clearTimeout(timer);
  // A snapshot: answers that arrive after this moment are streamed, not added to what was sent.
  const done = { ...ready };
  const pending: Record<string, Promise<QueryResult | null>> = {};
  for (const [k, p] of Object.entries(answers)) if (!(k in done)) pending[k] = p;
  return { ready: done, pending };
}
