import { untrack } from 'svelte';
import { errorMessage, loadQuery } from './client.ts';
import type { CubeQuery, QueryResult, Row } from './types.ts';

/**
 * Reactive data loading with the four states every data view shows (components/QueryLoad.svelte):
 * loading (nothing to show yet), error, empty, loaded. When the input changes, the previous data
 * stays on screen with `refreshing` set until the new answer arrives; answers to an outdated input
 * are dropped. Runs in the browser only ($effect does not run during server rendering), so the
 * server sends the page with skeletons and the browser fills them.
 */
export type LoadStatus = 'loading' | 'error' | 'empty' | 'loaded';

export interface ResourceState<T> {
  status: LoadStatus;
  data: T | undefined;
  error?: string;
  refreshing: boolean;
}

export interface Resource<T> {
  readonly state: ResourceState<T>;
  readonly data: T | undefined;
  retry(): void;
}

export function createResource<I, T>(
  input: () => I | null | undefined,
  load: (input: I) => Promise<T>,
  isEmpty: (data: T) => boolean = () => false,
): Resource<T> {
  let state = $state<ResourceState<T>>({ status: 'loading', data: undefined, refreshing: false });
  let attempt = $state(0);

  $effect(() => {
    const value = input();
    void attempt;
    if (value === null || value === undefined) return;
    let live = true;
    untrack(() => {
      state = state.data === undefined ? { status: 'loading', data: undefined, refreshing: true } : { ...state, refreshing: true };
    });
    load(value).then(
      (data) => {
        if (live) state = { status: isEmpty(data) ? 'empty' : 'loaded', data, refreshing: false };
      },
      (err: unknown) => {
        if (live) state = { status: 'error', data: undefined, error: errorMessage(err), refreshing: false };
      },
    );
    return () => {
      live = false;
    };
  });

  return {
    get state() {
      return state;
    },
    get data() {
      return state.data;
    },
    retry() {
      attempt += 1;
    },
  };
}

/** One Cube query; empty when it returns no rows. */
export function createQuery(query: () => CubeQuery | null | undefined): Resource<QueryResult> {
  return createResource(query, loadQuery, (r) => r.rows.length === 0);
}

/** Several Cube queries answered together (e.g. a KPI for this and the previous period). */
export function createQueries<K extends string>(
  queries: () => Record<K, CubeQuery> | null | undefined,
  isEmpty: (r: Record<K, Row[]>) => boolean = () => false,
): Resource<Record<K, Row[]>> {
  return createResource(
    queries,
    async (qs) => {
      const keys = Object.keys(qs) as K[];
      const results = await Promise.all(keys.map((k) => loadQuery(qs[k])));
      return Object.fromEntries(keys.map((k, i) => [k, results[i].rows])) as Record<K, Row[]>;
    },
    isEmpty,
  );
}
