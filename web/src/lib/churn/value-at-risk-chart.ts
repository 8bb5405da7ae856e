import type { EChartsOption } from 'echarts';
import { categoryBarOption } from '../charts/options/category-bar.ts';
import { COLORS, RISK_COLORS } from '../charts/options/theme.ts';
import { escapeHtml } from '../format/escape-html.ts';
import { formatCurrency, formatNumber, humanize } from '../format/format.ts';
import type { Row } from '../cube/types.ts';
import { RISK_BANDS } from './queries.ts';

/**
 * The churn page's charts (issue 15): value at risk (customer_risk.value_at_risk, probability ×
 * 12-month CLV summed) by risk band and by owner, with the active customers behind each bar (lapsed customers have no value at risk) in the
 * tooltip. Band and owner names come from data (owner names are typed by admins): the tooltip
 * builds HTML, so every piece of text is escaped here.
 */
export interface RiskBar {
  key: string;
  label: string;
  value: number | null;
  customers: number | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));

/** Bars in band order (high, medium, low), a band without customers as an empty bar; lapsed customers have no value at risk and no bar. */
export function bandBars(rows: Row[]): RiskBar[] {
  return RISK_BANDS.map((band) => {
    const r = rows.find((x) => x['customer_risk.risk_band'] === band);
    return { key: band, label: humanize(band), value: r ? num(r['customer_risk.value_at_risk']) : 0, customers: r ? num(r['customer_risk.scored_customers']) : 0 };
  });
}

/** Bars per owner, largest value at risk first (as queried), labelled with the owner's name when known. */
export function ownerBars(rows: Row[], names: Map<string, string>): RiskBar[] {
  return rows.map((r) => {
    const id = String(r['customer_risk.owner_id'] ?? '');
    // The customers the value is summed over: the active ones (lapsed customers have no value at risk).
    return { key: id, label: id ? (names.get(id) ?? id) : 'No owner', value: num(r['customer_risk.value_at_risk']), customers: num(r['customer_risk.active_scored_customers'] ?? r['customer_risk.scored_customers']) };
  });
}

export function valueAtRiskOption(bars: RiskBar[], opts: { byBand?: boolean } = {}): EChartsOption {
  const labels = new Map(bars.map((b) => [b.key, b.label]));
  const option = categoryBarOption({
    items: bars.map((b) => ({ key: b.key, value: b.value })),
    name: 'Value at risk',
    format: 'currency',
    horizontal: true,
    label: (k) => labels.get(k) ?? k,
    ...(opts.byBand ? { colors: RISK_COLORS } : { color: COLORS.bad }),
  });
  return {
    ...option,
    tooltip: {
      ...(option.tooltip as object),
      formatter: (params: unknown) => {
        const p = (Array.isArray(params) ? params[0] : params) as { dataIndex?: number } | undefined;
        const bar = p && typeof p.dataIndex === 'number' ? bars[p.dataIndex] : undefined;
        if (!bar) return '';
        return `<strong>${escapeHtml(bar.label)}</strong><br/>Value at risk ${escapeHtml(formatCurrency(bar.value))}<br/>${escapeHtml(formatNumber(bar.customers))} active customers`;
      },
    },
  };
}
