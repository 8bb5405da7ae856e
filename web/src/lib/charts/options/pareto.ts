import type { EChartsOption } from 'echarts';
import { formatPercent, humanize, type ValueFormat } from '../../format/format.ts';
import { baseOption, COLORS, tickDigits, truncate, valueAxis, valueFormatter } from './theme.ts';

/**
 * Pareto chart: categories sorted by value (largest first) as bars, the cumulative share as a line
 * on a 0-100 % axis, and a marker at 80 % — the few reasons that explain most of the loss.
 */
export interface ParetoItem {
  key: string;
  value: number;
}

/**
 * Sorted items with their cumulative share (0-1); pure, shared with the table view. `total`: the
 * whole the items are the largest part of (a query with a limit), so the shares are of it and the
 * line ends below 100 % when reasons are left out; the items' own sum when absent or smaller.
 */
export function paretoRows(items: ParetoItem[], total?: number): (ParetoItem & { share: number; cumulative: number })[] {
  const sorted = [...items].filter((i) => Number.isFinite(i.value)).sort((a, b) => b.value - a.value || a.key.localeCompare(b.key));
  const shownTotal = sorted.reduce((s, i) => s + i.value, 0);
  const whole = total !== undefined && Number.isFinite(total) ? total : 0;
  const base = Math.max(whole, shownTotal);
  let running = 0;
  return sorted.map((i) => {
    running += i.value;
    return { ...i, share: base ? i.value / base : 0, cumulative: base ? running / base : 0 };
  });
}

export function paretoOption(input: { items: ParetoItem[]; name: string; format: ValueFormat; label?: (key: string) => string; total?: number }): EChartsOption {
  const rows = paretoRows(input.items, input.total);
  const label = input.label ?? humanize;
  const fmt = valueFormatter(input.format);
  return {
    ...baseOption,
    grid: { left: 8, right: 8, top: 32, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: COLORS.muted } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'category',
      data: rows.map((r) => r.key),
      axisLabel: { formatter: (v: string) => truncate(label(v), 16), color: COLORS.muted, interval: 0, rotate: rows.length > 4 ? 25 : 0 },
      axisTick: { show: false },
    },
    yAxis: [valueAxis(input.format), { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => formatPercent(v, tickDigits(v * 100)), color: COLORS.muted }, splitLine: { show: false } }],
    series: [
      {
        type: 'bar',
        name: input.name,
        data: rows.map((r) => r.value),
        barMaxWidth: 36,
        cursor: 'pointer',
        itemStyle: { color: COLORS.bad, borderRadius: [3, 3, 0, 0] },
        tooltip: { valueFormatter: (v: unknown) => fmt(v) },
      },
      {
        type: 'line',
        name: 'Cumulative share',
        yAxisIndex: 1,
        data: rows.map((r) => r.cumulative),
        symbolSize: 6,
        itemStyle: { color: COLORS.text },
        tooltip: { valueFormatter: (v: unknown) => formatPercent(v as number) },
        markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: COLORS.muted }, label: { show: false }, data: [{ yAxis: 0.8 }] },
      },
    ],
  };
}
