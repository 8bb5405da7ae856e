import { goto } from '$app/navigation';
import { page } from '$app/state';
import { parseFilters, writeFilters, type Filters } from './url-filters.ts';

/**
 * The URL filter store: the filters of the current page, read from the URL (so back/forward,
 * reload and shared links all restore a view), and a setter that navigates to the new URL.
 * `asOf` (the last day with data) comes from the root layout's data.
 *
 *   const f = useFilters();
 *   f.current.region          // reactive
 *   f.set({ region: 'DACH' }) // → ?region=DACH
 */
export function useFilters() {
  const asOf = $derived((page.data as { asOf: string }).asOf);
  const current = $derived(parseFilters(page.url.searchParams, asOf));
  return {
    get asOf() {
      return asOf;
    },
    get current(): Filters {
      return current;
    },
    /** Merge `patch` into the filters; `extra` sets or (null) removes other parameters, e.g. a page number. */
    set(patch: Partial<Filters>, extra: Record<string, string | null> = {}): Promise<void> {
      const params = writeFilters({ ...current, ...patch }, asOf, page.url.searchParams);
      for (const [k, v] of Object.entries(extra)) {
        if (v === null || v === '') params.delete(k);
        else params.set(k, v);
      }
      const qs = params.toString();
      return goto(`${page.url.pathname}${qs ? `?${qs}` : ''}`, { keepFocus: true, noScroll: true, replaceState: false });
    },
  };
}
