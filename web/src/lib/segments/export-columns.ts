import { withUnits, type CsvColumn } from '../format/csv-stream.ts';
import type { FormatContext } from '../format/format.ts';
import { MEMBER_COLUMNS } from './rules.ts';

/**
 * The segment export's columns (rules.ts MEMBER_COLUMNS) with their units: rounded values, the unit
 * in the header (lib/format/export-values.ts). The currency is the configured base currency the
 * server passes in (CRM_BASE_CURRENCY): left to withUnits' default, a USD warehouse's file said
 * "lifetime_value_eur" above dollar amounts.
 */
export const MEMBER_UNITS = {
  'customer_base.churn_probability': 'percent',
  'customer_base.lifetime_value': 'money',
  'customer_base.predicted_clv': 'money',
  'customer_base.days_since_last_purchase': 'days',
} as const;

export const memberExportColumns = (ctx: Pick<FormatContext, 'currency'>): CsvColumn[] => withUnits(MEMBER_COLUMNS, MEMBER_UNITS, ctx);
