import type { ValueFormat } from '../format/format.ts';

/**
 * The metric dictionary (issue 15, item 1): every figure a page shows is a semantic-layer measure
 * with one definition, and its label, help text and format come from the layer — Cube's /v1/meta —
 * not from strings written in the pages. Pure: build it from the /meta answer, look members up,
 * search it. The browser loads it once per session (dictionary.svelte.ts).
 *
 * Cube 0.33 passes a member's `description` and `meta` through a view, but not its `title` or
 * `format` (a view member's title is its name in title case, "Avg Predicted Clv"): the model
 * files carry the words and the format in `meta: { label, format }` (semantic/README.md), and
 * this module falls back to the title case name and the member's type when a member has none.
 */

/** The parts of a /v1/meta member this module reads. */
export interface MetaMember {
  name: string;
  title?: string;
  shortTitle?: string;
  description?: string;
  format?: string;
  type?: string;
  aggType?: string;
  meta?: { label?: unknown; format?: unknown } | null;
  isVisible?: boolean;
}

export interface MetaCube {
  name: string;
  title?: string;
  description?: string;
  type?: string;
  measures?: MetaMember[];
  dimensions?: MetaMember[];
}

export interface MetaAnswer {
  cubes: MetaCube[];
}

export interface Metric {
  /** Full member name, e.g. `sales.revenue`. */
  name: string;
  /** The view (or cube) it belongs to, e.g. `sales`. */
  view: string;
  kind: 'measure' | 'dimension';
  /** What pages call it: meta.label, else the member's title without the view's. */
  label: string;
  /** The layer's one definition (empty when the model gives none). */
  description: string;
  format: ValueFormat;
}

export interface MetricGroup {
  view: string;
  title: string;
  description: string;
  metrics: Metric[];
}

export interface MetricDictionary {
  /** Views (and visible cubes) with their measures, in /meta order, measures by label. */
  groups: MetricGroup[];
  /** Every measure and every dimension that has a meta label, by full name. */
  byName: Map<string, Metric>;
}

const FORMATS: readonly ValueFormat[] = ['currency', 'percent', 'number', 'quantity', 'days', 'date', 'datetime', 'label', 'text'];

function formatOf(m: MetaMember, kind: Metric['kind']): ValueFormat {
  const declared = typeof m.meta?.format === 'string' ? m.meta.format : m.format;
  if (declared && (FORMATS as readonly string[]).includes(declared)) return declared as ValueFormat;
  if (kind === 'dimension') return m.type === 'time' ? 'date' : m.type === 'number' ? 'number' : 'text';
  return 'number';
}

/** "Avg Predicted Clv" from Cube's short title, for a member the model gives no label. */
function fallbackLabel(m: MetaMember): string {
  const short = m.shortTitle ?? m.name.split('.').pop() ?? m.name;
  return short.charAt(0).toUpperCase() + short.slice(1).toLowerCase();
}

function toMetric(view: string, m: MetaMember, kind: Metric['kind']): Metric {
  const label = typeof m.meta?.label === 'string' && m.meta.label.trim() ? m.meta.label.trim() : fallbackLabel(m);
  return { name: m.name, view, kind, label, description: (m.description ?? '').trim(), format: formatOf(m, kind) };
}

export function buildDictionary(meta: MetaAnswer): MetricDictionary {
  if (!meta || !Array.isArray(meta.cubes)) throw new Error('the semantic layer’s /meta answer has no cubes list');
  const byName = new Map<string, Metric>();
  const groups: MetricGroup[] = [];
  for (const cube of meta.cubes) {
    const metrics = (cube.measures ?? []).filter((m) => m.isVisible !== false).map((m) => toMetric(cube.name, m, 'measure'));
    for (const m of metrics) byName.set(m.name, m);
    // Dimensions that are figures (a customer's value at risk) join the dictionary when labelled.
    for (const d of cube.dimensions ?? []) if (d.isVisible !== false && typeof d.meta?.label === 'string') byName.set(d.name, toMetric(cube.name, d, 'dimension'));
    if (!metrics.length) continue;
    metrics.sort((a, b) => a.label.localeCompare(b.label));
    groups.push({ view: cube.name, title: cube.title ?? cube.name, description: (cube.description ?? '').trim(), metrics });
  }
  return { groups, byName };
}

/** The dictionary entry of a member; an error naming it when the layer does not define it. */
export function metricOf(dict: MetricDictionary, name: string): Metric {
  const m = dict.byName.get(name);
  if (!m) throw new Error(`the semantic layer defines no measure ${name}`);
  return m;
}

/** The label of a member, or `fallback` while the dictionary is loading (or has no such member). */
export function labelOf(dict: MetricDictionary | undefined, name: string, fallback = ''): string {
  return dict?.byName.get(name)?.label ?? fallback;
}

/** The definition of a member, or '' while loading. */
export function definitionOf(dict: MetricDictionary | undefined, name: string): string {
  return dict?.byName.get(name)?.description ?? '';
}

const fold = (s: string): string => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/**
 * The groups filtered by a search text: every word must occur in the measure's label, name,
 * definition or its view's title (case and accents ignored). Empty groups are left out.
 */
export function searchDictionary(groups: readonly MetricGroup[], text: string): MetricGroup[] {
  const words = fold(text).split(/\s+/).filter(Boolean);
  if (!words.length) return [...groups];
  return groups
    .map((g) => ({
      ...g,
      metrics: g.metrics.filter((m) => {
        const hay = fold(`${m.label} ${m.name} ${m.description} ${g.title}`);
        return words.every((w) => hay.includes(w));
      }),
    }))
    .filter((g) => g.metrics.length > 0);
}
