import { expect, test } from 'vitest';
import type { EChartsOption } from 'echarts';
import { trendOption } from './trend.ts';
import { categoryBarOption } from './category-bar.ts';
import { paretoOption } from './pareto.ts';
import { cohortHeatmapOption } from './cohort-heatmap.ts';
import { dualTrendOption } from './dual-trend.ts';
import { changeBarsOption } from './change-bars.ts';
import { valueAtRiskOption } from '../../churn/value-at-risk-chart.ts';

/**
 * ECharts puts a tooltip formatter's string into the page with innerHTML, so every formatter of
 * every builder is called here with data that is an HTML payload (category keys are loss reasons,
 * segments, owners… anyone who can load data chooses them) and must not return live markup.
 * A new builder belongs in BUILDERS.
 */
const EVIL = '<img src=x onerror=alert(1)>';
const evilLabel = (k: string): string => `${k}${EVIL}`;

const BUILDERS: [string, EChartsOption][] = [
  ['trend', trendOption({ buckets: [EVIL], values: [1], previous: [2], granularity: 'month', format: 'currency', name: EVIL })],
  ['category bar', categoryBarOption({ items: [{ key: EVIL, value: 1, secondary: 2 }], name: EVIL, format: 'number', secondary: { name: EVIL, format: 'currency' }, label: evilLabel })],
  ['pareto', paretoOption({ items: [{ key: EVIL, value: 3 }], name: EVIL, format: 'currency', label: evilLabel })],
  ['cohort heatmap', cohortHeatmapOption({ cells: [{ cohort: EVIL, offset: 0, rate: 1, customers: 3 }] })],
  ['dual trend', dualTrendOption({ buckets: [EVIL], granularity: 'month', left: { name: EVIL, values: [1], format: 'percent', kind: 'bar' }, right: { name: EVIL, values: [2], format: 'days', kind: 'line' } })],
  ['change bars', changeBarsOption({ items: [{ key: EVIL, current: 3, previous: 1 }], format: 'number', name: EVIL })],
  ['value at risk', valueAtRiskOption([{ key: EVIL, label: EVIL, value: 1, customers: 2 }])],
  ['change bars, own label', changeBarsOption({ items: [{ key: 'price', current: 3, previous: 1 }], format: 'number', name: 'x', label: evilLabel })],
];

/** Every function under a `tooltip` key, wherever it sits in the option. */
function tooltipFunctions(node: unknown, inTooltip = false, out: ((p: unknown) => unknown)[] = []): ((p: unknown) => unknown)[] {
  if (typeof node === 'function') {
    if (inTooltip) out.push(node as (p: unknown) => unknown);
  } else if (Array.isArray(node)) node.forEach((n) => tooltipFunctions(n, inTooltip, out));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) tooltipFunctions(v, inTooltip || k === 'tooltip', out);
  return out;
}

const point = { dataIndex: 0, seriesIndex: 0, name: EVIL, seriesName: EVIL, value: [0, 0, 0.5, 3], data: EVIL, marker: '' };

test.each(BUILDERS)('%s: tooltips never return markup from data', (_, option) => {
  const outputs: string[] = [];
  for (const fn of tooltipFunctions(option)) {
    for (const params of [[point], point, 1234.5, EVIL]) {
      try {
        const out = fn(params);
        if (typeof out === 'string') outputs.push(out);
      } catch {
        // A formatter that cannot take this shape of params is not called with it by ECharts.
      }
    }
  }
  for (const out of outputs) expect(out).not.toMatch(/<img|<script/i);
});

test('the lost-orders reason is shown, escaped, in the change tooltip', () => {
  const o = changeBarsOption({ items: [{ key: 'price', current: 3, previous: 1 }], format: 'number', name: 'x', label: () => `<b onmouseover="x">Price & "terms"</b>` });
  const fn = tooltipFunctions(o)[0];
  expect(fn([{ dataIndex: 0 }])).toContain('&lt;b onmouseover=&quot;x&quot;&gt;Price &amp; &quot;terms&quot;&lt;/b&gt;');
});
