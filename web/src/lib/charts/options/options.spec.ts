import { describe, expect, test } from 'vitest';
import type { EChartsOption } from 'echarts';
import { trendOption } from './trend.ts';
import { categoryBarOption } from './category-bar.ts';
import { paretoOption, paretoRows } from './pareto.ts';
import { cohortGrid, cohortHeatmapOption } from './cohort-heatmap.ts';
import { dualTrendOption } from './dual-trend.ts';
import { changeBarsOption, changeRows } from './change-bars.ts';
import { axisFormatter, RISK_COLORS, tickDigits } from './theme.ts';
import { winRateBase } from '../../format/rate-base.ts';

type Series = { type: string; name?: string; data: unknown[]; yAxisIndex?: number; xAxisIndex?: number; lineStyle?: { type?: string } };
const seriesOf = (o: EChartsOption): Series[] => o.series as Series[];
const axis = (a: unknown) => (Array.isArray(a) ? a[0] : a) as { type: string; data?: string[]; axisLabel?: { formatter?: (v: string) => string } };

describe('trendOption', () => {
  const buckets = ['2026-01-01T00:00:00.000', '2026-02-01T00:00:00.000', '2026-03-01T00:00:00.000'];
  test('bars for the period, a dashed line for the previous one, keys on the axis', () => {
    const o = trendOption({ buckets, values: [10, null, 30], previous: [5, 6], granularity: 'month', format: 'currency', name: 'Revenue' });
    const [bars, prev] = seriesOf(o);
    expect(bars).toMatchObject({ type: 'bar', name: 'Revenue', data: [10, null, 30] });
    expect(prev).toMatchObject({ type: 'line', data: [5, 6, null] });
    expect(prev.lineStyle?.type).toBe('dashed');
    const x = axis(o.xAxis);
    expect(x.data).toEqual(buckets);
    expect(x.axisLabel?.formatter?.(buckets[1])).toBe('Feb 2026');
  });
  test('no previous series unless given; line kind', () => {
    const o = trendOption({ buckets, values: [1, 2, 3], granularity: 'month', format: 'number', name: 'Orders', kind: 'line' });
    expect(seriesOf(o)).toHaveLength(1);
    expect(seriesOf(o)[0].type).toBe('line');
    expect(o.legend).toBeUndefined();
  });
});

describe('categoryBarOption', () => {
  const items = [
    { key: 'high', value: 10, secondary: 1000 },
    { key: 'low', value: 30, secondary: 50 },
  ];
  test('keeps order, keys on the category axis, colours by key', () => {
    const o = categoryBarOption({ items, name: 'Customers', format: 'number', colors: RISK_COLORS, secondary: { name: 'Value', format: 'currency' } });
    expect(axis(o.xAxis).data).toEqual(['high', 'low']);
    const [bars, line] = seriesOf(o);
    expect(bars.data).toEqual([{ value: 10, itemStyle: { color: RISK_COLORS.high } }, { value: 30, itemStyle: { color: RISK_COLORS.low } }]);
    expect(line).toMatchObject({ type: 'line', yAxisIndex: 1, data: [1000, 50] });
    expect(axis(o.xAxis).axisLabel?.formatter?.('high')).toBe('High');
  });
  test('horizontal: categories on the y axis, first on top', () => {
    const o = categoryBarOption({ items, name: 'x', format: 'number', horizontal: true, label: (k) => k.toUpperCase() });
    const y = axis(o.yAxis) as { data?: string[]; inverse?: boolean; axisLabel?: { formatter?: (v: string) => string } };
    expect(y.data).toEqual(['high', 'low']);
    expect(y.inverse).toBe(true);
    expect(y.axisLabel?.formatter?.('low')).toBe('LOW');
  });
});

describe('paretoOption', () => {
  const items = [
    { key: 'timing', value: 20 },
    { key: 'price', value: 50 },
    { key: 'competitor', value: 30 },
  ];
  test('sorted descending with the cumulative share', () => {
    expect(paretoRows(items)).toEqual([
      { key: 'price', value: 50, share: 0.5, cumulative: 0.5 },
      { key: 'competitor', value: 30, share: 0.3, cumulative: 0.8 },
      { key: 'timing', value: 20, share: 0.2, cumulative: 1 },
    ]);
    const o = paretoOption({ items, name: 'Lost value', format: 'currency' });
    expect(axis(o.xAxis).data).toEqual(['price', 'competitor', 'timing']);
    const [bars, cumulative] = seriesOf(o);
    expect(bars.data).toEqual([50, 30, 20]);
    expect(cumulative).toMatchObject({ type: 'line', yAxisIndex: 1, data: [0.5, 0.8, 1] });
  });
  test('empty and zero totals do not divide by zero', () => {
    expect(paretoRows([])).toEqual([]);
    expect(paretoRows([{ key: 'a', value: 0 }])[0].cumulative).toBe(0);
  });
});

describe('cohort heatmap', () => {
  const cells = [
    { cohort: '2026-02-01T00:00:00.000', offset: 0, rate: 1, customers: 40 },
    { cohort: '2026-01-01T00:00:00.000', offset: 0, rate: 1, customers: 50 },
    { cohort: '2026-01-01T00:00:00.000', offset: 1, rate: 0.3, customers: 50 },
    { cohort: '2026-01-01T00:00:00.000', offset: 20, rate: 0.1, customers: 50 },
  ];
  test('rows are cohorts (oldest first), columns months since, capped', () => {
    const g = cohortGrid(cells, 12);
    expect(g.cohorts).toEqual(['2026-01-01T00:00:00.000', '2026-02-01T00:00:00.000']);
    expect(g.offsets).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(g.data).toEqual([
      [0, 1, 1, 40],
      [0, 0, 1, 50],
      [1, 0, 0.3, 50],
    ]);
  });
  test('cell labels never round a retention that is not 0 or 1 to "0" or "100"', () => {
    const o = cohortHeatmapOption({
      cells: [
        { cohort: '2026-01-01T00:00:00.000', offset: 0, rate: 1 },
        { cohort: '2026-01-01T00:00:00.000', offset: 1, rate: 0.004 },
        { cohort: '2026-01-01T00:00:00.000', offset: 2, rate: 0.996 },
        { cohort: '2026-01-01T00:00:00.000', offset: 3, rate: 0.25 },
      ],
      maxOffset: 3,
    });
    const label = (seriesOf(o)[0] as unknown as { label: { formatter: (p: unknown) => string } }).label.formatter;
    expect([1, 0.004, 0.996, 0.25, null].map((r) => label({ value: [0, 0, r] }))).toEqual(['100%', '<1%', '>99%', '25%', '']);
  });
  test('colour scale ignores month 0 (always 100 %)', () => {
    const o = cohortHeatmapOption({ cells, maxOffset: 12 });
    expect((o.visualMap as { max: number }).max).toBe(0.3);
    expect(seriesOf(o)[0].type).toBe('heatmap');
  });
});

describe('dual trend and change bars', () => {
  test('two axes, bar + line', () => {
    const o = dualTrendOption({
      buckets: ['2026-01-01T00:00:00.000'],
      granularity: 'month',
      left: { name: 'Win rate', values: [0.4], format: 'percent', kind: 'bar' },
      right: { name: 'Cycle', values: [30], format: 'days', kind: 'line' },
    });
    expect(seriesOf(o).map((s) => [s.type, s.yAxisIndex])).toEqual([
      ['bar', 0],
      ['line', 1],
    ]);
    expect((o.yAxis as unknown[]).length).toBe(2);
  });
  // A monthly win rate's tooltip said "100.0%" for one deal as for 400 (session 11): each bucket's
  // rate now carries its deals, counted here by hand: 5 won + 8 lost; 1 won + 0 lost.
  test('a rate’s tooltip says what it rests on, per bucket', () => {
    const won = [5, 1];
    const lost = [8, 0];
    const o = dualTrendOption({
      buckets: ['2026-01-01T00:00:00.000', '2026-02-01T00:00:00.000'],
      granularity: 'month',
      left: { name: 'Win rate', values: [5 / 13, 1], format: 'percent', kind: 'bar', bases: won.map((w, i) => winRateBase(w, lost[i])) },
      right: { name: 'Cycle', values: [30, null], format: 'days', kind: 'line' },
    });
    const fmt = (i: number) => (seriesOf(o)[i] as unknown as { tooltip: { valueFormatter: (v: unknown, i: number) => string } }).tooltip.valueFormatter;
    expect(fmt(0)(5 / 13, 0)).toBe('38.5% · 5 won of 13 closed deals');
    expect(fmt(0)(1, 1)).toBe('100.0% · 1 won of 1 closed deal (too few to compare)');
    expect(fmt(1)(30, 0)).toBe('30 days');
  });
  test('growing reasons: sorted by change, red when losses grow', () => {
    const items = [
      { key: 'price', current: 10, previous: 4 },
      { key: 'timing', current: 2, previous: 5 },
      { key: 'fit', current: 3, previous: 3 },
    ];
    expect(changeRows(items).map((r) => [r.key, r.change])).toEqual([
      ['price', 6],
      ['fit', 0],
      ['timing', -3],
    ]);
    const data = seriesOf(changeBarsOption({ items, format: 'number', name: 'Change' }))[0].data as { value: number; itemStyle: { color: string } }[];
    expect(data.map((d) => d.value)).toEqual([6, 0, -3]);
    expect(data[0].itemStyle.color).not.toBe(data[2].itemStyle.color);
  });
});

test('axis labels are compact, with the cards\' three significant digits (lib/format)', () => {
  expect(axisFormatter('currency')(1_500_000)).toBe('€1.50m');
  expect(axisFormatter('currency')(0)).toBe('€0');
  expect(axisFormatter('percent')(0.25)).toBe('25%');
  expect(axisFormatter('number')(12_000)).toBe('12.0k');
});

// A tick is a position on the axis, shown exactly: the value formatters' "<1" / "<1%" (for a
// measured value too small for the digits) would mislabel a tick at 0.2 or 0.5 %.
test('axis ticks show the decimals they need (tickDigits)', () => {
  expect([0, 3, 0.5, 0.25, 0.125, 0.0625].map(tickDigits)).toEqual([0, 0, 1, 2, 3, 3]);
  expect(axisFormatter('number')(0.2)).toBe('0.2');
  expect(axisFormatter('number')(1.5)).toBe('1.5');
  expect(axisFormatter('percent')(0.005)).toBe('0.5%');
  expect(axisFormatter('percent')(0.0025)).toBe('0.25%');
  expect(axisFormatter('percent')(1)).toBe('100%');
  expect(axisFormatter('currency')(0.5)).toBe('€0.50');
  expect(axisFormatter('currency')(2500)).toBe('€2,500');
  expect(axisFormatter('days')(0.5)).toBe('0.5 d');
});
