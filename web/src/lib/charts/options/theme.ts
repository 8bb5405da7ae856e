import { formatCurrency, formatNumber, formatPercent, formatQuantity, type ValueFormat } from '../../format/format.ts';

/** Colours and shared option pieces, so every chart looks like one product. */
export const COLORS = {
  primary: '#2563eb',
  primarySoft: '#93c5fd',
  previous: '#94a3b8',
  good: '#059669',
  bad: '#dc2626',
  warn: '#d97706',
  text: '#1e293b',
  muted: '#64748b',
  grid: '#e2e8f0',
};

export const PALETTE = ['#2563eb', '#0d9488', '#d97706', '#7c3aed', '#dc2626', '#0891b2', '#65a30d', '#db2777', '#475569', '#ca8a04'];

/** Risk bands and a few known categories keep their colour everywhere. */
export const RISK_COLORS: Record<string, string> = { high: '#dc2626', medium: '#d97706', low: '#059669', lapsed: '#94a3b8' };

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export const ANIMATION = { animationDuration: 350, animationDurationUpdate: 250 };

export const baseOption = {
  color: PALETTE,
  textStyle: { fontFamily: FONT, color: COLORS.text },
  aria: { enabled: true },
  ...ANIMATION,
};

/**
 * Decimals a tick needs to be shown as it is (at most 3): ECharts puts ticks on round values, and
 * an axis label is a position, not a measurement — a tick at 0.2 is "0.2", not "0" (or "<1", which
 * is what the value formatters say of a measured 0.2), a tick at 0.5 % is "0.5%", not "1%".
 */
export function tickDigits(v: number): number {
  for (let d = 0; d < 3; d++) if (Math.abs(Number(v.toFixed(d)) - v) < 1e-9 * Math.max(1, Math.abs(v))) return d;
  return 3;
}

/** Axis labels: compact (€1.2M, 12.3K, 45 %), with the decimals a tick needs. */
export function axisFormatter(format: ValueFormat): (v: number) => string {
  switch (format) {
    case 'currency':
      return (v) => formatCurrency(v, { compact: true, cents: tickDigits(v) > 0 });
    case 'percent':
      return (v) => formatPercent(v, tickDigits(v * 100));
    case 'days':
      return (v) => `${formatNumber(v, { digits: tickDigits(v) })} d`;
    default:
      return (v) => formatNumber(v, { compact: true, digits: tickDigits(v) });
  }
}

/** Tooltip values: full precision. */
export function valueFormatter(format: ValueFormat): (v: unknown) => string {
  switch (format) {
    case 'currency':
      return (v) => formatCurrency(v as number);
    case 'percent':
      return (v) => formatPercent(v as number);
    case 'days':
      return (v) => `${formatNumber(v as number, { digits: 1 })} days`;
    case 'quantity':
      return (v) => formatQuantity(v as number);
    default:
      return (v) => formatNumber(v as number, { digits: 2 });
  }
}

export const valueAxis = (format: ValueFormat) => ({
  type: 'value' as const,
  axisLabel: { formatter: axisFormatter(format), color: COLORS.muted },
  splitLine: { lineStyle: { color: COLORS.grid } },
});

/** Shortens long category labels on axes (the tooltip shows them in full). */
export function truncate(label: string, max = 18): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}
