import { FILTER_KEYS, type FilterKey, type Filters } from '../filters/url-filters.ts';
import { scopeFilters } from '../cube/scopes.ts';
import { formatCurrency, formatNumber, toNumber } from '../format/format.ts';
import type { CubeFilter, CubeQuery, Row } from '../cube/types.ts';
import { customerHref, type Column } from '../drill.ts';
import { causesText } from '../lost-orders/causes.ts';

/**
 * Open deals at risk (issue 18): the win/loss model's scores of the open pipeline, read from the
 * semantic layer's `deal_risk` view, largest value at risk first. Value at risk of an open deal =
 * amount × (1 − win probability), defined once in semantic/model/cubes/sales/deal_scores.yml. An
 * owner's token restricts every row to their customers' deals (row-level security in the cube), so
 * these builders never add an owner filter for them. Pure functions of the URL filters.
 */
export const PAGE_SIZE = 25;

/** Which deal_risk member each dashboard filter maps to; the segment filter has none (deals carry no RFM segment). */
export const DEAL_RISK_FILTERS: Partial<Record<FilterKey, string>> = {
  region: 'deal_risk.region',
  channel: 'deal_risk.acquisition_channel',
  owner: 'deal_risk.deal_owner_id',
};

export const OPEN: CubeFilter = { member: 'deal_risk.deal_status', operator: 'equals', values: ['open'] };

export function dealRiskFilters(f: Pick<Filters, FilterKey>): CubeFilter[] {
  const out: CubeFilter[] = [];
  for (const [key, member] of Object.entries(DEAL_RISK_FILTERS) as [FilterKey, string][]) {
    if (f[key]) out.push({ member, operator: 'equals', values: [f[key]] });
  }
  return out;
}

/** Filters set on the page that deal_risk cannot apply (said on the page, never silently ignored). */
export const unsupportedDealFilters = (f: Pick<Filters, FilterKey>): FilterKey[] => FILTER_KEYS.filter((k) => f[k] !== '' && !DEAL_RISK_FILTERS[k]);

export const OPEN_DEAL_DIMENSIONS = [
  'deal_risk.opportunity_id',
  'deal_risk.deal_name',
  'deal_risk.customer_id',
  'deal_risk.customer_name',
  'deal_risk.deal_owner_id',
  'deal_risk.owner_name',
  'deal_risk.stage',
  'deal_risk.deal_amount',
  'deal_risk.win_probability',
  'deal_risk.deal_value_at_risk',
  'deal_risk.causes',
  'deal_risk.cause_effects',
  'deal_risk.expected_close_at',
];

export function openDealsQuery(f: Pick<Filters, FilterKey>, page = 1): CubeQuery {
  return {
    dimensions: OPEN_DEAL_DIMENSIONS,
    filters: [...dealRiskFilters(f), OPEN],
    order: [['deal_risk.deal_value_at_risk', 'desc'], ['deal_risk.opportunity_id', 'asc']],
    limit: PAGE_SIZE,
    offset: (Math.max(1, page) - 1) * PAGE_SIZE,
    total: true,
  };
}

export function openDealsSummaryQuery(f: Pick<Filters, FilterKey>): CubeQuery {
  return {
    measures: ['deal_risk.open_deals', 'deal_risk.open_value', 'deal_risk.value_at_risk', 'deal_risk.expected_won_value'],
    filters: [...dealRiskFilters(f), OPEN],
  };
}

/**
 * Every open deal, scored or not (the pipeline view, as the cockpit's "Open pipeline" counts them):
 * the run scores only deals of customers who did not withdraw profiling consent and that were open
 * on its as-of day, so the cards say what part of the pipeline they cover.
 */
export function allOpenDealsQuery(f: Filters): CubeQuery {
  return {
    measures: ['pipeline.open_deals', 'pipeline.pipeline_value'],
    filters: [...scopeFilters('dealsOpen', f), { member: 'pipeline.deal_status', operator: 'equals', values: ['open'] }],
  };
}

/**
 * The cards' notes: "Open value €44.7m" beside the cockpit's "Open pipeline €47.7m" read as two
 * answers to one question; it is the scored deals' part. The plain notes while an answer is
 * missing or when every open deal is scored.
 */
export function coverageNotes(
  scored: unknown,
  open: unknown,
  openValue: unknown,
): { deals: string; value: string } {
  const s = toNumber(scored as string);
  const o = toNumber(open as string);
  const v = toNumber(openValue as string);
  if (s === undefined || o === undefined || s >= o) return { deals: 'latest win/loss run', value: 'sum of amounts' };
  return {
    deals: `of ${formatNumber(o)} open deals: ${formatNumber(o - s)} not scored by the latest run`,
    value: `sum of the scored deals' amounts; all open deals: ${v === undefined ? '—' : formatCurrency(v, { compact: true })}`,
  };
}

/** The scoring run the page shows (run id and when), so a reader knows how fresh the probabilities are. */
export const scoringRunQuery = (): CubeQuery => ({ dimensions: ['deal_risk.run_id', 'deal_risk.scored_at', 'deal_risk.as_of'], limit: 1 });

/** The reasons cell: each risk in the data with the loss probability it adds (lost-orders/causes.ts). */
// Not a member name (the e2e test checks that every 'view.member' the dashboard names exists in /meta).
export const REASONS_KEY = 'open_deal_reasons';
export const withReasons = (r: Row): Row => ({ ...r, [REASONS_KEY]: causesText(r['deal_risk.causes'], r['deal_risk.cause_effects']) });

// The deal, its chances, its value at risk and why stay in the row on narrow screens (priority 1).
export const OPEN_DEAL_COLUMNS: Column[] = [
  { key: 'deal_risk.deal_name', label: 'Deal', priority: 1 },
  { key: 'deal_risk.customer_name', label: 'Customer', href: customerHref('deal_risk.customer_id') },
  { key: 'deal_risk.owner_name', label: 'Owner', priority: 3 },
  { key: 'deal_risk.stage', label: 'Stage', format: 'label', priority: 3 },
  { key: 'deal_risk.deal_amount', label: 'Amount', format: 'currency' },
  { key: 'deal_risk.win_probability', label: 'Win probability', format: 'percent', priority: 1 },
  { key: 'deal_risk.deal_value_at_risk', label: 'Value at risk', format: 'currency', priority: 1 },
  { key: REASONS_KEY, label: 'Why at risk (model)', wrap: true, priority: 1 },
  { key: 'deal_risk.expected_close_at', label: 'Expected close', format: 'date', priority: 3 },
];
