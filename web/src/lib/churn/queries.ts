import type { Filters } from '../filters/url-filters.ts';
import { scopeFilters } from '../cube/scopes.ts';
import type { CubeFilter, CubeQuery } from '../cube/types.ts';
import { customerHref, type Column } from '../drill.ts';

/**
 * Churn risk page and its CSV export: scored customers (customer_risk view), largest value at risk
 * first, filtered by the URL filters and an optional risk band. The export runs the same query
 * server-side with the user's own token, so an owner's file holds only their customers.
 */
export const BANDS = ['high', 'medium', 'low', 'lapsed'] as const;
export type Band = (typeof BANDS)[number];
/** The bands of active customers: value at risk exists for these only (lapsed.ts). */
export const RISK_BANDS = ['high', 'medium', 'low'] as const;
export const PAGE_SIZE = 25;

export const parseBand = (v: string | null): Band | '' => (BANDS as readonly string[]).includes(v ?? '') ? (v as Band) : '';

export function riskFilters(f: Filters, band: Band | ''): CubeFilter[] {
  return [...scopeFilters('risk', f), ...(band ? [{ member: 'customer_risk.risk_band', operator: 'equals' as const, values: [band] }] : [])];
}

export const RISK_DIMENSIONS = [
  'customer_risk.customer_id',
  'customer_risk.customer_name',
  'customer_risk.region',
  'customer_risk.owner_id',
  'customer_risk.risk_band',
  'customer_risk.churn_probability',
  'customer_risk.churn_value_at_risk',
  'customer_risk.predicted_clv',
  'customer_risk.lifetime_value',
  'customer_risk.days_since_last_purchase',
  'customer_risk.top_reasons',
];

export function riskListQuery(f: Filters, band: Band | '', page: number): CubeQuery {
  return {
    dimensions: RISK_DIMENSIONS,
    filters: riskFilters(f, band),
    // Lapsed customers have no value at risk: their list is the win-back list, largest predicted CLV first.
    order: band === 'lapsed' ? [['customer_risk.predicted_clv', 'desc'], ['customer_risk.customer_id', 'asc']] : [['customer_risk.churn_value_at_risk', 'desc'], ['customer_risk.customer_id', 'asc']],
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    total: true,
  };
}

export function riskSummaryQuery(f: Filters, band: Band | ''): CubeQuery {
  return {
    measures: [
      'customer_risk.scored_customers',
      'customer_risk.active_scored_customers',
      'customer_risk.high_risk_customers',
      'customer_risk.value_at_risk',
      'customer_risk.expected_churners',
      'customer_risk.lapsed_customers',
      'customer_risk.lapsed_predicted_clv',
    ],
    filters: riskFilters(f, band),
  };
}

/** Value at risk per band, whatever band tab is open (the chart shows high, medium and low side by side; lapsed have none). */
export function riskByBandQuery(f: Filters): CubeQuery {
  return {
    measures: ['customer_risk.value_at_risk', 'customer_risk.scored_customers'],
    dimensions: ['customer_risk.risk_band'],
    filters: riskFilters(f, ''),
  };
}

/** Value at risk per owner (an owner's token answers only their own), largest first, with the active customers it is summed over. */
export const OWNER_BARS = 15;

export function riskByOwnerQuery(f: Filters, band: Band | '', limit = OWNER_BARS): CubeQuery {
  return {
    measures: ['customer_risk.value_at_risk', 'customer_risk.active_scored_customers'],
    dimensions: ['customer_risk.owner_id'],
    filters: riskFilters(f, band),
    order: [['customer_risk.value_at_risk', 'desc'], ['customer_risk.owner_id', 'asc']],
    limit,
  };
}

export const RISK_COLUMNS: Column[] = [
  { key: 'customer_risk.customer_name', label: 'Customer', href: customerHref('customer_risk.customer_id'), fallback: { id: 'customer_risk.customer_id' } },
  { key: 'customer_risk.region', label: 'Region', priority: 3 },
  { key: 'customer_risk.risk_band', label: 'Risk', format: 'label', priority: 1 },
  { key: 'customer_risk.churn_probability', label: 'Probability', format: 'percent' },
  { key: 'customer_risk.churn_value_at_risk', label: 'Value at risk', format: 'currency', priority: 1 },
  { key: 'customer_risk.predicted_clv', label: 'CLV (12 m)', format: 'currency', priority: 3 },
  { key: 'customer_risk.lifetime_value', label: 'LTV', format: 'currency', priority: 3 },
  { key: 'customer_risk.top_reasons', label: 'Why (model reasons)', wrap: true },
];

/** CSV columns of the export: header → member. */
export const EXPORT_COLUMNS: [string, string][] = [
  ['customer_id', 'customer_risk.customer_id'],
  ['customer_name', 'customer_risk.customer_name'],
  ['region', 'customer_risk.region'],
  ['owner_id', 'customer_risk.owner_id'],
  ['risk_band', 'customer_risk.risk_band'],
  ['churn_probability', 'customer_risk.churn_probability'],
  ['value_at_risk_eur', 'customer_risk.churn_value_at_risk'],
  ['predicted_clv_12m_eur', 'customer_risk.predicted_clv'],
  ['lifetime_value_eur', 'customer_risk.lifetime_value'],
  ['days_since_last_purchase', 'customer_risk.days_since_last_purchase'],
  // The day those days count to (the figures' as-of day, not the download's), as the segment export says it.
  ['days_counted_to', 'customer_risk.value_as_of'],
  ['reasons', 'customer_risk.top_reasons'],
];
