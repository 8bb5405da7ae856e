import type { Resource, ResourceState } from '../cube/resource.svelte.ts';

/**
 * A resource that shows `initial()` (the answers the server load put in the page) while it has
 * nothing of its own yet. The server renders the cockpit from those answers (resources load only in
 * the browser), and the browser's first render must show the same thing to hydrate it; the
 * resource's own look-up then finds the same answers (load.ts) and takes over. Once the resource
 * has data (or an error) it is shown as it is: refreshing after a filter change keeps its rules.
 */
export function withInitial<T>(resource: Resource<T>, initial: () => T | undefined, isEmpty: (data: T) => boolean = () => false): Resource<T> {
  const state = (): ResourceState<T> => {
    const s = resource.state;
    if (s.status !== 'loading') return s;
    const data = initial();
    return data === undefined ? s : { status: isEmpty(data) ? 'empty' : 'loaded', data, refreshing: false };
  };
  return {
    get state() {
      return state();
    },
    get data() {
      return state().data;
    },
    retry: () => resource.retry(),
  };
}
