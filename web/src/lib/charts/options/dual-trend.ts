import type { EChartsOption } from 'echarts';
import { formatPeriod, type Granularity, type ValueFormat } from '../../format/format.ts';
import { baseOption, COLORS, valueAxis, valueFormatter } from './theme.ts';
import { hatchPartialBars, incompleteMarkArea } from './incomplete.ts';

/**
 * Two measures over time on two axes (win rate and sales cycle; lost deals and lost value).
 * Partial buckets (`partial`, see incomplete.ts) are shaded and labelled "Incomplete".
 */
export interface DualSeries {
  name: string;
  values: (number | null)[];
  format: ValueFormat;
  kind: 'bar' | 'line';
  color?: string;
  /**
   * Per bucket, what the value rests on, said after it in the tooltip: "100.0% · 1 won of 1 closed
   * deal (too few to compare)". A monthly win rate alone read 100 % from one deal like from 400.
   */
  bases?: (string | undefined)[];
}

export function dualTrendOption(input: { buckets: string[]; granularity: Granularity; left: DualSeries; right: DualSeries; partial?: boolean[] }): EChartsOption {
  const bands = input.left.kind === 'bar' || input.right.kind === 'bar';
  const mk = (s: DualSeries, axis: number) => {
    const fmt = valueFormatter(s.format);
    const markArea = axis === 0 ? incompleteMarkArea(input.buckets, input.partial, bands) : undefined;
    // ECharts passes the data index as the second argument (5.5 and later).
    const text = (v: unknown, i: number): string => (s.bases?.[i] ? `${fmt(v)} · ${s.bases[i]}` : fmt(v));
    const common = { name: s.name, data: s.values, yAxisIndex: axis, tooltip: { valueFormatter: text }, markArea };
    return s.kind === 'bar'
      ? { ...common, data: hatchPartialBars(s.values, input.partial, s.color ?? COLORS.primary), type: 'bar' as const, barMaxWidth: 32, cursor: 'pointer', itemStyle: { color: s.color ?? COLORS.primary, borderRadius: [3, 3, 0, 0] } }
      : { ...common, type: 'line' as const, smooth: true, symbolSize: 6, connectNulls: true, itemStyle: { color: s.color ?? COLORS.warn }, lineStyle: { width: 2.5 } };
  };
  return {
    ...baseOption,
    grid: { left: 8, right: 8, top: 32, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: COLORS.muted } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'category',
      data: input.buckets,
      axisLabel: { formatter: (v: string) => formatPeriod(v, input.granularity), color: COLORS.muted, hideOverlap: true },
      axisTick: { alignWithLabel: true },
    },
    yAxis: [valueAxis(input.left.format), { ...valueAxis(input.right.format), splitLine: { show: false } }],
    series: [mk(input.left, 0), mk(input.right, 1)],
  };
}
