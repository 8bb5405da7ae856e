import type { EChartsOption } from 'echarts';
import { humanize, type ValueFormat } from '../../format/format.ts';
import { baseOption, COLORS, PALETTE, truncate, valueAxis, valueFormatter } from './theme.ts';

/**
 * Bars per category (segment, stage, reason, owner, …), optionally with a second measure as a line
 * on its own axis (e.g. value bars + count line). Categories keep the caller's order. Axis values
 * are the raw keys; labels go through `label` (default: humanize).
 */
export interface CategoryItem {
  key: string;
  value: number | null;
  secondary?: number | null;
}

export interface CategoryBarInput {
  items: CategoryItem[];
  name: string;
  format: ValueFormat;
  /** Horizontal bars (long labels, many categories). */
  horizontal?: boolean;
  secondary?: { name: string; format: ValueFormat };
  label?: (key: string) => string;
  /** One colour for every bar (default the primary blue). */
  color?: string;
  /** Fixed colours per key (risk bands); otherwise `color`, or the palette with `colorful`. */
  colors?: Record<string, string>;
  colorful?: boolean;
}

export function categoryBarOption(input: CategoryBarInput): EChartsOption {
  const label = input.label ?? humanize;
  const keys = input.items.map((i) => i.key);
  const fmt = valueFormatter(input.format);
  const base = input.color ?? COLORS.primary;
  const color = (key: string, i: number): string => input.colors?.[key] ?? (input.colorful ? PALETTE[i % PALETTE.length] : base);
  // The legend shows the series colour: the bars' own when they share one, neutral when they differ.
  const legendColor = input.colors || input.colorful ? COLORS.muted : base;
  const bars = input.items.map((item, i) => ({ value: item.value, itemStyle: { color: color(item.key, i) } }));
  const categoryAxis = {
    type: 'category' as const,
    data: keys,
    inverse: input.horizontal, // first item on top
    axisLabel: { formatter: (v: string) => truncate(label(v), input.horizontal ? 22 : 14), color: COLORS.muted, interval: 0, hideOverlap: !input.horizontal },
    axisTick: { show: false },
  };
  const series: NonNullable<EChartsOption['series']> = [
    { type: 'bar', name: input.name, data: bars, barMaxWidth: 28, cursor: 'pointer', itemStyle: { color: legendColor, borderRadius: input.horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] } },
  ];
  const valueAxes: ReturnType<typeof valueAxis>[] = [valueAxis(input.format)];
  if (input.secondary) {
    const sfmt = valueFormatter(input.secondary.format);
    series.push({
      type: input.horizontal ? 'bar' : 'line',
      name: input.secondary.name,
      data: input.items.map((i) => i.secondary ?? null),
      ...(input.horizontal ? { xAxisIndex: 1, barMaxWidth: 6, itemStyle: { color: COLORS.previous } } : { yAxisIndex: 1, symbolSize: 7, itemStyle: { color: COLORS.warn } }),
      tooltip: { valueFormatter: (v: unknown) => sfmt(v) },
    });
    valueAxes.push({ ...valueAxis(input.secondary.format), splitLine: { lineStyle: { color: 'transparent' } } });
  }
  return {
    ...baseOption,
    grid: { left: 8, right: input.secondary && !input.horizontal ? 8 : 24, top: input.secondary ? 32 : 12, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    legend: input.secondary ? { top: 0, right: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: COLORS.muted } } : undefined,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => fmt(v),
      formatter: undefined,
    },
    xAxis: input.horizontal ? valueAxes : categoryAxis,
    yAxis: input.horizontal ? categoryAxis : valueAxes,
    series,
  };
}
