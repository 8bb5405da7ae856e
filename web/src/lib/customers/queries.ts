import type { Filters } from '../filters/url-filters.ts';
import { scopeFilters } from '../cube/scopes.ts';
import type { CubeFilter, CubeQuery, Row } from '../cube/types.ts';
import { customerHref, type Column } from '../drill.ts';
import { formatDate } from '../format/format.ts';
import { TIMELINE_LIMITS } from './timeline.ts';

/**
 * Customer list and customer 360 queries (customer_base view, plus sales / engagement / pipeline
 * for the timeline). Sorting and paging happen in Cube; the sort key comes from the URL and is
 * checked against SORTS, so a URL cannot inject a member name.
 */
export const PAGE_SIZE = 25;

export const SORTS = {
  name: 'customer_base.customer_name',
  ltv: 'customer_base.lifetime_value',
  recency: 'customer_base.days_since_last_purchase',
  churn: 'customer_base.churn_probability',
  clv: 'customer_base.predicted_clv',
  region: 'customer_base.region',
  segment: 'customer_base.rfm_segment',
} as const;
export type SortKey = keyof typeof SORTS;

export interface ListParams {
  q: string;
  sort: SortKey;
  dir: 'asc' | 'desc';
  page: number;
}

export function parseListParams(params: URLSearchParams): ListParams {
  const sort = params.get('sort');
  const dir = params.get('dir');
  const page = Number(params.get('page') ?? '1');
  return {
    q: (params.get('q') ?? '').trim().slice(0, 100),
    sort: sort && sort in SORTS ? (sort as SortKey) : 'ltv',
    dir: dir === 'asc' ? 'asc' : dir === 'desc' ? 'desc' : sort === 'name' || sort === 'region' || sort === 'segment' ? 'asc' : 'desc',
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

export const sortKeyOf = (member: string): SortKey | undefined => (Object.entries(SORTS).find(([, m]) => m === member)?.[0] as SortKey | undefined);

/**
 * Name, e-mail, company, a source system's id (part of `source_ids`, e.g. "00004" or
 * "shop:00004": the id the user knows from their export, not the resolved C-… id) or the exact
 * customer id.
 */
export function searchFilter(q: string): CubeFilter[] {
  if (!q) return [];
  return [
    {
      or: [
        { member: 'customer_base.customer_name', operator: 'contains', values: [q] },
        { member: 'customer_base.email', operator: 'contains', values: [q] },
        { member: 'customer_base.company', operator: 'contains', values: [q] },
        { member: 'customer_base.source_ids', operator: 'contains', values: [q] },
        { member: 'customer_base.customer_id', operator: 'equals', values: [q] },
      ],
    },
  ];
}

export const LIST_DIMENSIONS = [
  'customer_base.customer_id',
  'customer_base.customer_name',
  'customer_base.email',
  'customer_base.region',
  'customer_base.owner_name',
  'customer_base.rfm_segment',
  'customer_base.lifetime_value',
  'customer_base.days_since_last_purchase',
  'customer_base.churn_probability',
  'customer_base.churn_risk_band',
  'customer_base.predicted_clv',
  // The day days_since_last_purchase counts to (the figures' as-of day), for the column's name.
  'customer_base.value_as_of',
];

export function customerListQuery(f: Filters, p: ListParams): CubeQuery {
  const order: CubeQuery['order'] = [[SORTS[p.sort], p.dir]];
  if (p.sort !== 'name') order.push(['customer_base.customer_id', 'asc']);
  return {
    dimensions: LIST_DIMENSIONS,
    filters: [...scopeFilters('customers', f), ...searchFilter(p.q)],
    order,
    limit: PAGE_SIZE,
    offset: (p.page - 1) * PAGE_SIZE,
    total: true,
  };
}

export const LIST_COLUMNS: Column[] = [
  { key: 'customer_base.customer_name', label: 'Customer', href: customerHref('customer_base.customer_id'), sortable: true, maxWidth: '16rem', fallback: { id: 'customer_base.customer_id' } },
  { key: 'customer_base.email', label: 'E-mail', maxWidth: '12rem', priority: 3 },
  { key: 'customer_base.region', label: 'Region', sortable: true, priority: 2 },
  { key: 'customer_base.owner_name', label: 'Owner', priority: 2 },
  { key: 'customer_base.rfm_segment', label: 'Segment', sortable: true, priority: 2 },
  { key: 'customer_base.lifetime_value', label: 'LTV', format: 'currency', sortable: true, priority: 1 },
  { key: 'customer_base.predicted_clv', label: 'CLV (12 m)', format: 'currency', sortable: true, priority: 1 },
  // A lapsed customer's probability is left out (withoutLapsedProbability): its cell says why, where
  // a bare "—" read as not scored or unknown.
  { key: 'customer_base.churn_probability', label: 'Churn risk', format: 'percent', sortable: true, priority: 1, fallback: { text: 'lapsed', when: { key: 'customer_base.churn_risk_band', is: 'lapsed' } } },
  { key: 'customer_base.days_since_last_purchase', label: 'Days since last order', format: 'days', sortable: true, priority: 1 },
];

/**
 * What the recency column counts to, said above the list: "Last order 180 d" read as a date or as
 * days before today; the days run to the figures' as-of day (value_as_of: the data's end for an old
 * export), which every row of one answer shares. Not in the column's name: a header that long
 * widened the table enough to move the owner column into the row details on a laptop screen.
 */
export function recencyNote(rows: readonly Row[]): string | undefined {
  const asOf = rows.map((r) => r['customer_base.value_as_of']).find((v): v is string => typeof v === 'string' && v !== '');
  return asOf ? `Days since last order are counted to ${formatDate(asOf)}, the figures' as-of day.` : undefined;
}

const id = (customerId: string): CubeFilter[] => [{ member: 'customer_base.customer_id', operator: 'equals', values: [customerId] }];

/** Everything the 360 page shows about one customer, one query per source of facts. */
export function customer360Queries(customerId: string) {
  return {
    profile: {
      dimensions: [
        'customer_base.customer_id',
        'customer_base.customer_name',
        'customer_base.email',
        'customer_base.company',
        'customer_base.customer_type',
        'customer_base.region',
        'customer_base.country',
        'customer_base.city',
        'customer_base.acquisition_channel',
        'customer_base.owner_id',
        'customer_base.owner_name',
        'customer_base.signup_date',
        'customer_base.tenure_days',
        'customer_base.rfm_segment',
        'customer_base.rfm_score',
        'customer_base.lifetime_value',
        'customer_base.lifetime_orders',
        'customer_base.first_purchase_at',
        'customer_base.last_purchase_at',
        'customer_base.days_since_last_purchase',
        'customer_base.predicted_clv',
        'customer_base.p_alive',
        'customer_base.expected_purchases_90d',
        'customer_base.churn_probability',
        'customer_base.churn_risk_band',
        'customer_base.churn_reasons',
        'customer_base.churn_value_at_risk',
      ],
      filters: id(customerId),
      limit: 1,
    },
    orders: {
      dimensions: ['sales.order_id', 'sales.order_date', 'sales.order_status', 'sales.sales_channel', 'sales.order_value', 'sales.order_lines', 'sales.order_refunds'],
      filters: [{ member: 'sales.customer_id', operator: 'equals', values: [customerId] }],
      order: [['sales.order_date', 'desc']],
      limit: TIMELINE_LIMITS.order,
    },
    interactions: {
      dimensions: ['engagement.interaction_id', 'engagement.occurred_at', 'engagement.interaction_type', 'engagement.channel', 'engagement.direction', 'engagement.outcome', 'engagement.subject', 'engagement.csat'],
      filters: [{ member: 'engagement.customer_id', operator: 'equals', values: [customerId] }],
      order: [['engagement.occurred_at', 'desc']],
      limit: TIMELINE_LIMITS.interaction,
    },
    deals: {
      dimensions: ['pipeline.opportunity_id', 'pipeline.deal_name', 'pipeline.created_at', 'pipeline.closed_at', 'pipeline.stage', 'pipeline.deal_status', 'pipeline.deal_amount', 'pipeline.loss_reason', 'pipeline.notes'],
      filters: [{ member: 'pipeline.customer_id', operator: 'equals', values: [customerId] }],
      order: [['pipeline.created_at', 'desc']],
      limit: TIMELINE_LIMITS.deal,
    },
    segments: {
      dimensions: ['segment_membership.segment_name'],
      filters: [{ member: 'segment_membership.customer_id', operator: 'equals', values: [customerId] }],
      limit: 50,
    },
  } satisfies Record<string, CubeQuery>;
}
