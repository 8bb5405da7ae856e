import type { CubeQuery, Row } from '../cube/types.ts';

/**
 * Choices for the filter bar, from the semantic layer: what exists in the data the user may see.
 * An owner's token only returns the owner's customers, so other owners never appear.
 */
export const FILTER_OPTION_QUERIES = {
  regions: { dimensions: ['customer_base.region'], measures: ['customer_base.customers'], order: [['customer_base.region', 'asc']], limit: 500 },
  channels: { dimensions: ['customer_base.acquisition_channel'], measures: ['customer_base.customers'], order: [['customer_base.acquisition_channel', 'asc']], limit: 500 },
  owners: {
    dimensions: ['customer_base.owner_id', 'customer_base.owner_name'],
    measures: ['customer_base.customers'],
    filters: [{ member: 'customer_base.owner_id', operator: 'set' }],
    order: [['customer_base.owner_name', 'asc']],
    limit: 1000,
  },
  segments: { dimensions: ['rfm_segments.rfm_segment'], measures: ['rfm_segments.customer_count'], order: [['rfm_segments.customer_count', 'desc']], limit: 100 },
} satisfies Record<string, CubeQuery>;

export interface Option {
  value: string;
  label: string;
}

export function toOptions(rows: Row[], valueKey: string, labelKey = valueKey): Option[] {
  const seen = new Set<string>();
  const out: Option[] = [];
  for (const r of rows) {
    const value = r[valueKey];
    if (value === null || value === undefined || value === '' || seen.has(String(value))) continue;
    seen.add(String(value));
    const label = r[labelKey];
    out.push({ value: String(value), label: label ? String(label) : String(value) });
  }
  return out;
}
