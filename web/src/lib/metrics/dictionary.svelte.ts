import { API_URL, cubeToken } from '../cube/client.ts';
import { createResource, type Resource } from '../cube/resource.svelte.ts';
import { buildDictionary, type MetaAnswer, type MetricDictionary } from './dictionary.ts';

/**
 * The metric dictionary in the browser: Cube's /v1/meta, asked once per page load through the
 * dashboard's Cube door with the user's token (the model changes only with a deploy), shared by
 * every page and card. A failed answer is forgotten so the next page asks again.
 */
let pending: Promise<MetricDictionary> | undefined;

export function loadDictionary(): Promise<MetricDictionary> {
  pending ??= (async () => {
    const res = await fetch(`${API_URL}/meta`, { headers: { authorization: await cubeToken(), accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) throw new Error(`The metric definitions could not be loaded (semantic layer answered HTTP ${res.status}).`);
    return buildDictionary((await res.json()) as MetaAnswer);
  })();
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}

/**
 * The dictionary as a resource with the four data states (loading, error, empty, loaded).
 * `wanted` false: nothing is asked (the page brought the entries it shows, rendered on the server).
 */
export function useDictionary(wanted: () => boolean = () => true): Resource<MetricDictionary> {
  return createResource(
    () => (wanted() ? 'meta' : null),
    () => loadDictionary(),
    (d) => d.groups.length === 0,
  );
}
