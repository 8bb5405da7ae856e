/**
 * ECharts rendered on the server to an SVG string: no browser, no canvas, and the chart is part of
 * the executed notebook and its HTML export. Cells build the option object (that is the example
 * worth copying); this file only renders it and holds the few shared pieces.
 */
import * as echarts from 'echarts';

export type ChartOption = echarts.EChartsOption;

export interface ChartSize {
  width?: number;
  height?: number;
}

/** One palette for every notebook (the ECharts default, first colours). */
export const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];

export function renderSvg(option: ChartOption, size: ChartSize = {}): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width ?? 720, height: size.height ?? 380 });
  try {
    chart.setOption({ animation: false, color: PALETTE, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** A dashed grey y = x line from (0, 0) to (1, 1): the chance line of ROC, perfect calibration. */
export function diagonalSeries(name: string): echarts.LineSeriesOption {
  return {
    name,
    type: 'line',
    data: [
      [0, 0],
      [1, 1],
    ],
    showSymbol: false,
    lineStyle: { type: 'dashed', color: '#999', width: 1 },
    itemStyle: { color: '#999' },
  };
}

/** Thins a long curve to at most `max` points (first and last kept) so the SVG stays small. */
export function thin<T>(points: readonly T[], max = 400): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]);
  return out;
}

/**
 * Bars of an average that some categories do not have (a segment without buyers has no average
 * LTV): the value stays null, a gap, and the category's label says why. Drawn as 0 it read as
 * "these customers are worth nothing", not "there are none to average".
 */
export function barsWithGaps(categories: readonly string[], values: readonly (number | null | undefined)[], gap: string, digits = 0): { categories: string[]; data: (number | null)[] } {
  const data = categories.map((_, i) => {
    const v = values[i];
    return v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits));
  });
  return { categories: categories.map((c, i) => (data[i] === null ? `${c} (${gap})` : c)), data };
}
