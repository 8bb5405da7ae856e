import type { EChartsOption } from 'echarts';
import { escapeHtml } from '../../format/escape-html.ts';
import { formatChange, humanize, relativeChange, type ValueFormat } from '../../format/format.ts';
import { baseOption, COLORS, truncate, valueAxis, valueFormatter } from './theme.ts';

/**
 * Which categories are growing: the change of a measure from the previous period to this one,
 * largest increase on top. For losses an increase is bad (red), a decrease good (green).
 */
export interface ChangeItem {
  key: string;
  current: number;
  previous: number;
}

export function changeRows(items: ChangeItem[]): (ChangeItem & { change: number; relative: number | undefined })[] {
  return items
    .map((i) => ({ ...i, change: i.current - i.previous, relative: relativeChange(i.current, i.previous) }))
    .sort((a, b) => b.change - a.change || a.key.localeCompare(b.key));
}

export function changeBarsOption(input: { items: ChangeItem[]; format: ValueFormat; name: string; increaseIsBad?: boolean; label?: (key: string) => string }): EChartsOption {
  const rows = changeRows(input.items);
  const label = input.label ?? humanize;
  const fmt = valueFormatter(input.format);
  const up = input.increaseIsBad === false ? COLORS.good : COLORS.bad;
  const down = input.increaseIsBad === false ? COLORS.bad : COLORS.good;
  return {
    ...baseOption,
    grid: { left: 8, right: 24, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: unknown) => {
        const p = (ps as { dataIndex: number }[])[0];
        const r = rows[p.dataIndex];
        // ECharts sets this as innerHTML, and the key is data (a loss reason anyone can load).
        const e = escapeHtml;
        return `<b>${e(label(r.key))}</b><br/>This period: ${e(fmt(r.current))}<br/>Previous: ${e(fmt(r.previous))}<br/>Change: ${r.change >= 0 ? '+' : '−'}${e(fmt(Math.abs(r.change)))} (${e(formatChange(r.relative))})`;
      },
    },
    xAxis: valueAxis(input.format),
    yAxis: { type: 'category', data: rows.map((r) => r.key), inverse: true, axisLabel: { formatter: (v: string) => truncate(label(v), 22), color: COLORS.muted }, axisTick: { show: false } },
    series: [
      {
        type: 'bar',
        name: input.name,
        data: rows.map((r) => ({ value: r.change, itemStyle: { color: r.change > 0 ? up : down } })),
        barMaxWidth: 20,
        cursor: 'pointer',
      },
    ],
  };
}
