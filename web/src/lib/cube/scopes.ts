import type { DateRange, FilterKey, Filters } from '../filters/url-filters.ts';
import { FILTER_KEYS } from '../filters/url-filters.ts';
import type { CubeFilter, TimeDimension } from './types.ts';
import type { Granularity } from '../format/format.ts';

/**
 * How the dashboard's filters map onto each semantic-layer view: which member carries the date
 * range and which carry region / channel / owner / segment. "channel" is the customer's
 * acquisition channel (a customer attribute, so it applies to every view); "segment" is the RFM
 * segment. A view without a member for a filter cannot honour it — the chart says so
 * (unsupportedFilters) instead of silently showing unfiltered numbers.
 */
export interface Scope {
  /** The time dimension the date range applies to; none for snapshot views. */
  time?: string;
  region?: string;
  channel?: string;
  owner?: string;
  segment?: string;
}

export const SCOPES = {
  /** Paid orders by order date. */
  sales: {
    time: 'sales.order_date',
    region: 'sales.customer_region',
    channel: 'sales.customer_acquisition_channel',
    owner: 'sales.customer_owner_id',
    segment: 'sales.rfm_segment',
  },
  /** Cohorts by first-purchase month. */
  retention: {
    time: 'retention.cohort_month',
    region: 'retention.customer_region',
    channel: 'retention.customer_acquisition_channel',
    owner: 'retention.customer_owner_id',
  },
  /** Period retention: customers active in the previous period and again in this one (the date range is `period`). */
  periodRetention: {
    time: 'customer_retention.period',
    region: 'customer_retention.customer_region',
    channel: 'customer_retention.customer_acquisition_channel',
    owner: 'customer_retention.customer_owner_id',
    segment: 'customer_retention.rfm_segment',
  },
  /** RFM snapshot (as of the last rebuild). */
  rfm: {
    region: 'rfm_segments.region',
    channel: 'rfm_segments.acquisition_channel',
    owner: 'rfm_segments.owner_id',
    segment: 'rfm_segments.rfm_segment',
  },
  /** One row per customer (snapshot). */
  customers: {
    region: 'customer_base.region',
    channel: 'customer_base.acquisition_channel',
    owner: 'customer_base.owner_id',
    segment: 'customer_base.rfm_segment',
  },
  /** Churn scores (snapshot of the latest scoring run). */
  risk: {
    region: 'customer_risk.region',
    channel: 'customer_risk.acquisition_channel',
    owner: 'customer_risk.owner_id',
  },
  /** Deals by close date (won/lost in the period). */
  dealsClosed: {
    time: 'pipeline.closed_at',
    region: 'pipeline.region',
    channel: 'pipeline.acquisition_channel',
    owner: 'pipeline.deal_owner_id',
  },
  /** Deals as they stand now (open pipeline): no date range. */
  dealsOpen: {
    region: 'pipeline.region',
    channel: 'pipeline.acquisition_channel',
    owner: 'pipeline.deal_owner_id',
  },
} as const satisfies Record<string, Scope>;

export type ScopeName = keyof typeof SCOPES;

/** Equality filters for the customer filters this scope supports. */
export function scopeFilters(scope: ScopeName, filters: Filters): CubeFilter[] {
  const s: Scope = SCOPES[scope];
  const out: CubeFilter[] = [];
  for (const key of FILTER_KEYS) {
    const member = s[key];
    if (member && filters[key]) out.push({ member, operator: 'equals', values: [filters[key]] });
  }
  return out;
}

/** Filters that are set but that this scope cannot apply. */
export function unsupportedFilters(scope: ScopeName, filters: Filters): FilterKey[] {
  const s: Scope = SCOPES[scope];
  return FILTER_KEYS.filter((k) => filters[k] !== '' && !s[k]);
}

/** Whether the scope is a snapshot (the date range does not apply). */
export const isSnapshot = (scope: ScopeName): boolean => !(SCOPES[scope] as Scope).time;

/** The time dimension with the date range (and a granularity for trends). */
export function timeDimension(scope: ScopeName, range: DateRange, granularity?: Granularity): TimeDimension[] {
  const time = (SCOPES[scope] as Scope).time;
  if (!time) return [];
  const td: TimeDimension = { dimension: time, dateRange: [range.from, range.to] };
  if (granularity) td.granularity = granularity;
  return [td];
}
