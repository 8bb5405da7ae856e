import { getWebContext } from '../server/context.ts';
import { buildDictionary, type MetaAnswer, type Metric, type MetricDictionary } from './dictionary.ts';

/**
 * The metric dictionary on the server, so a page can render its labels and formats into the HTML
 * instead of the browser asking /v1/meta (and first a data token) before the cards can show
 * (issue 17, bench:web's profile). Cube's /meta is the same for every role (semantic/cube-process.ts:
 * every role gets the same API surface; rows are restricted in SQL), so one copy serves everyone.
 *
 * Cached per semantic-layer address: the model changes with a deploy, which restarts the layer.
 * After REVALIDATE_MS the cached copy is still served and a fresh one is asked in the background
 * (a model edited in place shows up within minutes); a failed ask is forgotten, so the next page asks again.
 */
const REVALIDATE_MS = 5 * 60_000;

interface Entry {
  cubeUrl: string;
  at: number;
  dict: Promise<MetricDictionary>;
  /** The last copy that loaded (served while a revalidation runs). */
  settled?: MetricDictionary;
}
let entry: Entry | undefined;

async function fetchDictionary(cubeUrl: string, token: string): Promise<MetricDictionary> {
  const res = await fetch(`${cubeUrl}/v1/meta`, { headers: { authorization: token, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`the semantic layer answered /v1/meta with HTTP ${res.status}`);
  return buildDictionary((await res.json()) as MetaAnswer);
}

/** The dictionary, asked with `token` (any signed-in user's) when there is no fresh copy. */
export function serverDictionary(token: string, now = Date.now()): Promise<MetricDictionary> {
  const { cubeUrl } = getWebContext();
  if (entry?.cubeUrl === cubeUrl && now - entry.at < REVALIDATE_MS) return entry.settled ? Promise.resolve(entry.settled) : entry.dict;
  const stale = entry?.cubeUrl === cubeUrl ? entry.settled : undefined;
  const next: Entry = { cubeUrl, at: now, dict: fetchDictionary(cubeUrl, token), settled: stale };
  entry = next;
  next.dict.then(
    (d) => void (next.settled = d),
    () => {
      if (entry === next) entry = stale ? { cubeUrl, at: 0, dict: Promise.resolve(stale), settled: stale } : undefined;
    },
  );
  return stale ? Promise.resolve(stale) : next.dict;
}

/** The dictionary entries of `names` (those the layer defines): the part of it one page shows. */
export function metricsOf(dict: MetricDictionary, names: readonly string[]): Record<string, Metric> {
  const out: Record<string, Metric> = {};
  for (const n of names) {
    const m = dict.byName.get(n);
    if (m) out[n] = m;
  }
  return out;
}
