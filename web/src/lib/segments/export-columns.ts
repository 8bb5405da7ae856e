import { withUnits, type CsvColumn } from '../format/csv-stream.ts';
import type { Row } from '../cube/types.ts';
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

/** A member row as the file holds it: the as-of day as a plain date ("1998-06-30"), which spreadsheets read, not Cube's timestamp. */
export function exportRow(row: Row): Row {
  const day = row['customer_base.value_as_of'];
  return typeof day === 'string' && /^\d{4}-\d{2}-\d{2}/.test(day) ? { ...row, 'customer_base.value_as_of': day.slice(0, 10) } : row;
}
