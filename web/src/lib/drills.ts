import type { DateRange, Filters } from './filters/url-filters.ts';
import { scopeFilters, timeDimension, type ScopeName } from './cube/scopes.ts';
import type { CubeFilter } from './cube/types.ts';
import { customerHref, type Column, type Drill } from './drill.ts';
import { recencyNote } from './customers/queries.ts';
import { formatDate, humanize } from './format/format.ts';

/**
 * The lists behind the charts, one builder per kind of row (orders, customers, deals, risk).
 * Each takes the page's filters plus what was clicked, so a drill-down shows exactly the rows
 * behind the clicked bar.
 */
const rangeText = (r: DateRange): string => (r.from === r.to ? formatDate(r.from) : `${formatDate(r.from)} – ${formatDate(r.to)}`);

export function ordersDrill(f: Filters, range: DateRange, extra: CubeFilter[] = [], title = 'Orders'): Drill {
  return {
    title,
    description: `Paid orders, ${rangeText(range)}`,
    query: {
      dimensions: ['sales.order_id', 'sales.order_date', 'sales.customer_id', 'sales.customer_name', 'sales.order_status', 'sales.sales_channel', 'sales.order_value'],
      timeDimensions: timeDimension('sales', range),
      // Purchases only, as sales.orders counts them: a credit-only row (a return loaded as credit lines) has no paid line.
      filters: [...scopeFilters('sales', f), { member: 'sales.order_lines', operator: 'gt', values: ['0'] }, ...extra],
      order: [['sales.order_date', 'desc'], ['sales.order_id', 'asc']],
    },
    columns: [
      { key: 'sales.order_id', label: 'Order' },
      { key: 'sales.order_date', label: 'Date', format: 'date' },
      { key: 'sales.customer_name', label: 'Customer', href: customerHref('sales.customer_id') },
      { key: 'sales.order_status', label: 'Status', format: 'label' },
      { key: 'sales.sales_channel', label: 'Channel', format: 'label' },
      { key: 'sales.order_value', label: 'Value', format: 'currency' },
    ],
  };
}

export function customersDrill(f: Filters, extra: CubeFilter[], title: string, description?: string): Drill {
  return {
    title,
    description,
    query: {
      dimensions: [
        'customer_base.customer_id',
        'customer_base.customer_name',
        'customer_base.region',
        'customer_base.owner_name',
        'customer_base.rfm_segment',
        'customer_base.lifetime_value',
        'customer_base.days_since_last_purchase',
        // The day the recency days count to (the figures' as-of day), said above the rows.
        'customer_base.value_as_of',
      ],
      filters: [...scopeFilters('customers', f), ...extra],
      order: [['customer_base.lifetime_value', 'desc'], ['customer_base.customer_id', 'asc']],
    },
    columns: [
      { key: 'customer_base.customer_name', label: 'Customer', href: customerHref('customer_base.customer_id') },
      { key: 'customer_base.region', label: 'Region' },
      { key: 'customer_base.owner_name', label: 'Owner' },
      { key: 'customer_base.rfm_segment', label: 'Segment' },
      { key: 'customer_base.lifetime_value', label: 'LTV', format: 'currency' },
      { key: 'customer_base.days_since_last_purchase', label: 'Days since last order', format: 'days' },
    ],
    // As on the customers list: "180" counts to the as-of day (the data's end for an old export),
    // not to today; the day goes in a line, not the header (a long header widens the table).
    rowsNote: recencyNote,
  };
}

export function cohortDrill(f: Filters, cohortMonth: string, offset: number): Drill {
  const month = cohortMonth.slice(0, 10);
  return {
    title: `Cohort ${formatDate(month).replace(/^1 /, '')}: customers who bought in month ${offset}`,
    description: 'Customers of this first-purchase cohort with a paid order in that month.',
    query: {
      dimensions: ['retention.customer_id'],
      measures: ['retention.retained_customers', 'retention.cohort_revenue'],
      timeDimensions: [{ dimension: 'retention.cohort_month', dateRange: [month, month] }],
      filters: [
        ...scopeFilters('retention', f),
        { member: 'retention.months_since_first_purchase', operator: 'equals', values: [String(offset)] },
        { member: 'retention.retained_customers', operator: 'gt', values: ['0'] },
      ],
      order: [['retention.cohort_revenue', 'desc'], ['retention.customer_id', 'asc']],
    },
    columns: [
      { key: 'retention.customer_id', label: 'Customer', href: customerHref('retention.customer_id') },
      { key: 'retention.cohort_revenue', label: 'Net revenue that month', format: 'currency' },
    ],
  };
}

export function riskDrill(f: Filters, extra: CubeFilter[], title: string): Drill {
  return {
    title,
    description: 'Scored customers, largest value at risk first.',
    query: {
      dimensions: [
        'customer_risk.customer_id',
        'customer_risk.customer_name',
        'customer_risk.risk_band',
        'customer_risk.churn_probability',
        'customer_risk.top_reason',
        'customer_risk.churn_value_at_risk',
        'customer_risk.lifetime_value',
      ],
      filters: [...scopeFilters('risk', f), ...extra],
      order: [['customer_risk.churn_value_at_risk', 'desc'], ['customer_risk.customer_id', 'asc']],
    },
    columns: [
      { key: 'customer_risk.customer_name', label: 'Customer', href: customerHref('customer_risk.customer_id') },
      { key: 'customer_risk.risk_band', label: 'Risk', format: 'label' },
      { key: 'customer_risk.churn_probability', label: 'Churn probability', format: 'percent' },
      { key: 'customer_risk.top_reason', label: 'Top reason', wrap: true },
      { key: 'customer_risk.churn_value_at_risk', label: 'Value at risk', format: 'currency' },
      { key: 'customer_risk.lifetime_value', label: 'LTV', format: 'currency' },
    ],
  };
}

export const DEAL_COLUMNS: Column[] = [
  { key: 'pipeline.opportunity_id', label: 'Deal', priority: 3 },
  { key: 'pipeline.deal_name', label: 'Name', priority: 1 },
  { key: 'pipeline.customer_name', label: 'Customer', href: customerHref('pipeline.customer_id') },
  { key: 'pipeline.product', label: 'Product', priority: 3 },
  { key: 'pipeline.stage', label: 'Stage', format: 'label' },
  { key: 'pipeline.deal_amount', label: 'Amount', format: 'currency', priority: 1 },
  { key: 'pipeline.created_at', label: 'Created', format: 'date' },
];

export const LOST_DEAL_COLUMNS: Column[] = [
  { key: 'pipeline.opportunity_id', label: 'Deal', priority: 3 },
  { key: 'pipeline.customer_name', label: 'Customer', href: customerHref('pipeline.customer_id'), priority: 1 },
  { key: 'pipeline.product', label: 'Product', priority: 3 },
  { key: 'pipeline.lost_at_stage', label: 'Lost at stage', format: 'label' },
  { key: 'pipeline.loss_reason', label: 'Reason', format: 'label', priority: 1 },
  { key: 'pipeline.competitor', label: 'Competitor', priority: 3 },
  { key: 'pipeline.deal_amount', label: 'Amount', format: 'currency', priority: 1 },
  { key: 'pipeline.closed_at', label: 'Closed', format: 'date' },
  { key: 'pipeline.notes', label: 'Notes', wrap: true },
];

/** Deals behind a bar: open pipeline (no range) or deals closed in `range` (scope dealsClosed). */
export function dealsDrill(f: Filters, opts: { scope: Extract<ScopeName, 'dealsOpen' | 'dealsClosed'>; range?: DateRange; extra: CubeFilter[]; title: string; lost?: boolean }): Drill {
  const columns = opts.lost ? LOST_DEAL_COLUMNS : DEAL_COLUMNS;
  const dims = [...new Set(['pipeline.opportunity_id', 'pipeline.customer_id', ...columns.map((c) => c.key)])];
  return {
    title: opts.title,
    description: opts.range ? `Closed ${rangeText(opts.range)}` : 'Open deals as they stand now',
    query: {
      dimensions: dims,
      timeDimensions: opts.range ? timeDimension(opts.scope, opts.range) : [],
      filters: [...scopeFilters(opts.scope, f), ...opts.extra],
      order: [['pipeline.deal_amount', 'desc'], ['pipeline.opportunity_id', 'asc']],
    },
    columns,
  };
}

export const equals = (member: string, value: string): CubeFilter => ({ member, operator: 'equals', values: [value] });

export const labelFor = (value: string): string => (value === '' ? '(none)' : humanize(value));
