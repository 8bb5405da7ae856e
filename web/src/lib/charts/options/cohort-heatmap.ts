import type { EChartsOption } from 'echarts';
import { escapeHtml } from '../../format/escape-html.ts';
import { formatNumber, formatPercent, formatPeriod } from '../../format/format.ts';
import { baseOption, COLORS } from './theme.ts';
import { INCOMPLETE_CELL_STYLE, monthAfter } from './incomplete.ts';

/**
 * Cohort retention heatmap: one row per first-purchase month (oldest on top), one column per
 * month since, the colour and label the share of the cohort that bought in that month.
 * Data items are [column, row, rate, customers]: a click reports them in `value`. Cells of the
 * month still running on the as-of day (`incompleteMonth`) have a dashed border and say so.
 */
export interface CohortCell {
  /** Cohort month as Cube returns it (ISO). */
  cohort: string;
  offset: number;
  rate: number | null;
  customers?: number | null;
}

export interface CohortGrid {
  cohorts: string[];
  offsets: number[];
  data: [number, number, number | null, number | null][];
}

export function cohortGrid(cells: CohortCell[], maxOffset = 12): CohortGrid {
  const cohorts = [...new Set(cells.map((c) => c.cohort))].sort();
  const top = Math.min(maxOffset, Math.max(0, ...cells.map((c) => c.offset)));
  const offsets = Array.from({ length: top + 1 }, (_, i) => i);
  const row = new Map(cohorts.map((c, i) => [c, i]));
  const data = cells
    .filter((c) => c.offset >= 0 && c.offset <= top)
    .map((c): [number, number, number | null, number | null] => [c.offset, row.get(c.cohort)!, c.rate, c.customers ?? null]);
  return { cohorts, offsets, data };
}

export function cohortHeatmapOption(input: { cells: CohortCell[]; maxOffset?: number; incompleteMonth?: string }): EChartsOption {
  const grid = cohortGrid(input.cells, input.maxOffset);
  const running = (d: [number, number, ...unknown[]]): boolean => input.incompleteMonth !== undefined && monthAfter(grid.cohorts[d[1]], d[0]) === input.incompleteMonth;
  // Month 0 is 100 % by definition; scale colours on the later months so differences show.
  const later = grid.data.filter((d) => d[0] > 0 && d[2] !== null).map((d) => d[2] as number);
  const max = later.length ? Math.max(...later) : 1;
  const dense = grid.offsets.length > 13 || grid.cohorts.length > 18;
  return {
    ...baseOption,
    grid: { left: 8, right: 8, top: 8, bottom: 40, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: {
      formatter: (p: unknown) => {
        const v = (p as { value: [number, number, number | null, number | null] }).value;
        // Returned as HTML (innerHTML): every piece of data is escaped.
        const e = escapeHtml;
        const cohort = formatPeriod(grid.cohorts[v[1]], 'month');
        const partial = running(v) ? '<br/><i>Incomplete: the month is still running</i>' : '';
        return `Cohort ${e(cohort)}, month ${e(v[0])}<br/>Retained: <b>${e(formatPercent(v[2]))}</b>${v[3] !== null ? `<br/>Cohort size: ${e(formatNumber(v[3]))}` : ''}${partial}`;
      },
    },
    xAxis: { type: 'category', data: grid.offsets.map(String), name: 'Months since first purchase', nameLocation: 'middle', nameGap: 26, nameTextStyle: { color: COLORS.muted }, axisLabel: { color: COLORS.muted }, splitArea: { show: true } },
    yAxis: { type: 'category', data: grid.cohorts, inverse: true, axisLabel: { formatter: (v: string) => formatPeriod(v, 'month'), color: COLORS.muted }, splitArea: { show: true } },
    visualMap: {
      show: false,
      min: 0,
      max: Math.max(max, 0.01),
      dimension: 2,
      inRange: { color: ['#eff6ff', '#93c5fd', '#2563eb', '#1e3a8a'] },
    },
    series: [
      {
        type: 'heatmap',
        name: 'Retention',
        data: grid.data.map((d) => (running(d) ? { value: d, itemStyle: INCOMPLETE_CELL_STYLE } : d)),
        cursor: 'pointer',
        label: { show: !dense, formatter: (p: unknown) => { const r = (p as { value: unknown[] }).value[2] as number | null; return r === null ? '' : formatPercent(r, 0); }, fontSize: 10 },
        emphasis: { itemStyle: { borderColor: COLORS.text, borderWidth: 1 } },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
      },
    ],
  };
}
