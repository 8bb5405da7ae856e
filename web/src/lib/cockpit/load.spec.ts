import { expect, test } from 'vitest';
import { comparisonOf, granularityFor, type Filters } from '../filters/url-filters.ts';
import type { QueryResult } from '../cube/types.ts';
import { loadKpis, loadTrend, readyKpis, readyTrend, type Prefetched } from './load.ts';
import { cockpitPlan, queryKey } from './plan.ts';

const f: Filters = { from: '2025-11-01', to: '2026-10-31', region: '', channel: '', owner: '', segment: '' };

/** Every planned query answered in the page, each with rows of its own (so a mix-up shows). */
function allReady(filters: Filters): NonNullable<Prefetched> {
  const ready: Record<string, QueryResult | null> = {};
  cockpitPlan(filters).forEach((q, i) => {
    const m = [...(q.measures ?? [])];
    ready[queryKey(q)] = { rows: [Object.fromEntries([...m.map((name, j) => [name, String(100 * i + j)]), ['n', i]])] };
  });
  return { ready, pending: {} };
}

test.each([
  ['previous period', f],
  ['no comparison', { ...f, compare: 'none' } as Filters],
])('what the server rendered is what the browser computes from the same answers (%s): the page hydrates without a change', async (_name, filters) => {
  const pre = allReady(filters);
  const kpis = readyKpis(filters, pre);
  expect(kpis).toBeDefined();
  // loadKpis would ask Cube (and fail here: no server) for any answer it did not find in the page.
  expect(await loadKpis(filters, pre)).toEqual(kpis);
  const g = granularityFor(filters);
  const trend = readyTrend(filters, comparisonOf(filters), g, pre);
  expect(trend).toBeDefined();
  expect(await loadTrend(filters, comparisonOf(filters), g, pre)).toEqual(trend);
  expect(Boolean(trend!.previous)).toBe(Boolean(comparisonOf(filters)));
});

test('one answer missing from the page (still streaming, or failed there): nothing is rendered from a partial set', () => {
  const pre = allReady(f);
  const [first] = Object.keys(pre.ready);
  const streaming = { ready: { ...pre.ready }, pending: { [first]: new Promise<QueryResult | null>(() => {}) } };
  delete streaming.ready[first];
  expect(readyKpis(f, streaming)).toBeUndefined();
  expect(readyKpis(f, { ready: { ...pre.ready, [first]: null }, pending: {} })).toBeUndefined();
  expect(readyKpis(f, undefined)).toBeUndefined();
});
