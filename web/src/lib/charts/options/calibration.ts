import type { EChartsOption } from 'echarts';
import { formatNumber, formatPercent } from '../../format/format.ts';
import { baseOption, COLORS, tickDigits } from './theme.ts';

/**
 * Reliability chart of a churn model: per bin of predicted probability, the mean prediction (x)
 * against the share that actually churned (y), held out; the diagonal is a perfectly calibrated
 * model. Point size follows the customers in the bin.
 */
export interface CalibrationPointInput {
  meanPredicted: number;
  observedRate: number;
  rows: number;
}

const pct = (v: number): string => formatPercent(v, 0);
const tick = (v: number): string => formatPercent(v, tickDigits(v * 100));

export function calibrationOption(
  points: readonly CalibrationPointInput[],
  name = 'held-out customers',
): EChartsOption {
  const most = Math.max(1, ...points.map((p) => p.rows));
  return {
    ...baseOption,
    grid: { left: 48, right: 16, top: 24, bottom: 40 },
    xAxis: {
      type: 'value',
      min: 0,
      max: 1,
      name: 'predicted',
      nameLocation: 'middle',
      nameGap: 26,
      axisLabel: { formatter: tick, color: COLORS.muted },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 1,
      name: 'observed churn',
      axisLabel: { formatter: tick, color: COLORS.muted },
    },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const d = (p as { data?: number[] }).data;
        return d && d.length === 3
          ? `predicted ${pct(d[0])} · observed ${pct(d[1])} · ${formatNumber(d[2])} customers`
          : '';
      },
    },
    series: [
      {
        type: 'line',
        name: 'perfect calibration',
        data: [
          [0, 0],
          [1, 1],
        ],
        symbol: 'none',
        lineStyle: { type: 'dashed', color: COLORS.muted },
        silent: true,
      },
      {
        type: 'scatter',
        name,
        data: points.map((p) => [p.meanPredicted, p.observedRate, p.rows]),
        symbolSize: (d: number[]) => 6 + 14 * Math.sqrt(d[2] / most),
        itemStyle: { color: COLORS.primary },
      },
    ],
  };
}
