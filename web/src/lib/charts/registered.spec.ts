// @vitest-environment jsdom
import type { EChartsOption } from 'echarts';
import { afterEach, describe, expect, test } from 'vitest';
import echarts from './echarts-svg.ts';
import { calibrationOption } from './options/calibration.ts';
import { categoryBarOption } from './options/category-bar.ts';
import { changeBarsOption } from './options/change-bars.ts';
import { cohortHeatmapOption } from './options/cohort-heatmap.ts';
import { dualTrendOption } from './options/dual-trend.ts';
import { paretoOption } from './options/pareto.ts';
import { trendOption } from './options/trend.ts';

/**
 * Every option builder's output, drawn with the parts the dashboard registers (echarts-lib.ts):
 * ECharts silently drops a series type or mark that is not registered, so a chart can look fine
 * and still leave out what it is about (the calibration chart drew its diagonal without one
 * held-out point; the trend charts' "Incomplete" shading was missing under a note naming it).
 */
interface Model {
  getSeries(): { subType: string }[];
  queryComponents(q: { mainType: string }): unknown[];
}
let box: HTMLDivElement | undefined;
afterEach(() => {
  if (box) echarts.getInstanceByDom(box)?.dispose();
  box?.remove();
});
function draw(option: EChartsOption): Model {
  box = document.createElement('div');
  document.body.append(box);
  const chart = echarts.init(box, undefined, { renderer: 'svg', width: 600, height: 300 });
  chart.setOption(option);
  return (chart as unknown as { getModel(): Model }).getModel();
}
const typesOf = (o: EChartsOption): string[] => (o.series as { type: string }[]).map((s) => s.type);
const months = ['2026-01-01T00:00:00.000', '2026-02-01T00:00:00.000', '2026-03-01T00:00:00.000'];

describe('the dashboard’s ECharts parts draw every option builder’s series and marks', () => {
  test.each([
    [
      'calibration',
      calibrationOption([
        { meanPredicted: 0.2, observedRate: 0.25, rows: 40 },
        { meanPredicted: 0.8, observedRate: 0.7, rows: 60 },
      ]),
    ],
    [
      'trend with previous',
      trendOption({
        buckets: months,
        values: [1, 2, 3],
        previous: [1, 1, 1],
        granularity: 'month',
        format: 'currency',
        name: 'Revenue',
      }),
    ],
    [
      'category bars',
      categoryBarOption({
        items: [{ key: 'a', value: 1, secondary: 2 }],
        name: 'n',
        format: 'number',
        secondary: { name: 's', format: 'currency' },
      }),
    ],
    ['change bars', changeBarsOption({ items: [{ key: 'a', current: 2, previous: 1 }], format: 'number', name: 'n' })],
    [
      'pareto',
      paretoOption({
        items: [
          { key: 'a', value: 2 },
          { key: 'b', value: 1 },
        ],
        name: 'n',
        format: 'currency',
      }),
    ],
    ['cohort heatmap', cohortHeatmapOption({ cells: [{ cohort: months[0], offset: 0, rate: 1, customers: 3 }] })],
  ])('%s', (_, option) => {
    const drawn = draw(option)
      .getSeries()
      .map((s) => s.subType);
    expect(drawn).toEqual(typesOf(option));
  });

  test('the incomplete bucket’s shading (markArea) on the trend and dual-trend charts', () => {
    const partial = [false, false, true];
    for (const option of [
      trendOption({
        buckets: months,
        values: [1, 2, 3],
        granularity: 'month',
        format: 'currency',
        name: 'Revenue',
        partial,
      }),
      trendOption({
        buckets: months,
        values: [1, 2, 3],
        granularity: 'month',
        format: 'number',
        name: 'Orders',
        kind: 'line',
        partial,
      }),
      dualTrendOption({
        buckets: months,
        granularity: 'month',
        left: { name: 'Lost deals', values: [1, 2, 3], format: 'number', kind: 'bar' },
        right: { name: 'Lost value', values: [4, 5, 6], format: 'currency', kind: 'line' },
        partial,
      }),
    ]) {
      expect(draw(option).queryComponents({ mainType: 'markArea' }).length).toBeGreaterThan(0);
      echarts.getInstanceByDom(box!)?.dispose();
    }
  });
});
