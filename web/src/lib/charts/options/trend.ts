import type { EChartsOption, SeriesOption } from 'echarts';
import { formatPeriod, type Granularity, type ValueFormat } from '../../format/format.ts';
import { baseOption, COLORS, valueAxis, valueFormatter } from './theme.ts';
import { hatchPartialBars, incompleteMarkArea } from './incomplete.ts';

/**
 * A measure over time: bars for the selected period, optionally a dashed line for the previous
 * period aligned bucket by bucket (bucket i of the previous period sits under bucket i of this one).
 * Category values are the raw bucket keys (ISO timestamps): a click reports the key. Partial
 * buckets (`partial`, see incomplete.ts) are shaded and labelled "Incomplete".
 */
export interface TrendInput {
  /** Bucket starts as Cube returns them, ascending. */
  buckets: string[];
  values: (number | null)[];
  /** Same length as buckets, or shorter (missing buckets are gaps). */
  previous?: (number | null)[];
  granularity: Granularity;
  format: ValueFormat;
  name: string;
  previousName?: string;
  /** 'bar' (default) or 'line'. */
  kind?: 'bar' | 'line';
  /** Per bucket, whether it covers only part of its length (partialBuckets()). */
  partial?: boolean[];
}

export function trendOption(input: TrendInput): EChartsOption {
  const fmt = valueFormatter(input.format);
  const markArea = incompleteMarkArea(input.buckets, input.partial, input.kind !== 'line');
  const series: SeriesOption[] = [
    input.kind === 'line'
      ? { type: 'line', name: input.name, data: input.values, smooth: true, showSymbol: input.buckets.length <= 24, lineStyle: { width: 2.5 }, areaStyle: { opacity: 0.08 }, markArea }
      : { type: 'bar', name: input.name, data: hatchPartialBars(input.values, input.partial, COLORS.primary), barMaxWidth: 36, itemStyle: { color: COLORS.primary, borderRadius: [3, 3, 0, 0] }, emphasis: { itemStyle: { color: '#1d4ed8' } }, cursor: 'pointer', markArea },
  ];
  if (input.previous) {
    series.push({
      type: 'line',
      name: input.previousName ?? 'Previous period',
      data: input.buckets.map((_, i) => input.previous?.[i] ?? null),
      symbol: 'none',
      lineStyle: { type: 'dashed', color: COLORS.previous, width: 1.5 },
      itemStyle: { color: COLORS.previous },
      silent: true,
      z: 3,
    });
  }
  return {
    ...baseOption,
    grid: { left: 8, right: 16, top: input.previous ? 36 : 16, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    legend: input.previous ? { top: 0, right: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: COLORS.muted } } : undefined,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => fmt(v),
    },
    xAxis: {
      type: 'category',
      data: input.buckets,
      axisLabel: { formatter: (v: string) => formatPeriod(v, input.granularity), color: COLORS.muted, hideOverlap: true },
      axisTick: { alignWithLabel: true },
    },
    yAxis: valueAxis(input.format),
    series,
  };
}
