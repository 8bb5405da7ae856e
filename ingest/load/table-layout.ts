import type { EntitySpec, FieldSpec } from '../entities/types.ts';

/**
 * How an entity's rows are laid out in the insert payload: business columns first (they are what
 * `row_hash` covers), then `customer_id` where the table has one, then the audit columns.
 */
export interface TableLayout {
  table: string;
  /** Business columns, in payload order. */
  business: string[];
  /** customer_id follows the business columns (facts and customer_records). */
  hasCustomerId: boolean;
  /** Payload columns in order. */
  columns: string[];
  /** The table has row_hash and batch_id (all but users, whose stored rows are re-hashed instead). */
  hasAudit: boolean;
  /** Columns that identify a stored record (one row per key after FINAL). */
  keyColumns: string[];
  /** Sort-key columns besides the key that an update may change (facts: customer_id and the date). */
  movableDateColumn?: string;
  /** customer_id is part of the sort key but not of the record's key (facts). */
  movableCustomer: boolean;
}

export function tableLayout(spec: EntitySpec): TableLayout {
  const business: string[] = [];
  for (const f of spec.fields) {
    if (spec.money && f.name === spec.money.amount) {
      business.push('amount', 'original_amount', 'original_currency');
      continue;
    }
    if (f.column === null) continue;
    business.push(f.column ?? f.name);
    if (f.matchKey) business.push(normColumn(f));
  }
  if (spec.attributesColumn) business.push(spec.attributesColumn);
  const hasCustomerId = spec.resolvesIdentity === true || spec.resolvesCustomer === true;
  const keyColumns = spec.keyColumns ? [...spec.keyColumns] : spec.key.map((k) => spec.fields.find((f) => f.name === k)?.column ?? k);
  const movable = spec.movableSortColumns?.find((c) => c !== 'customer_id');
  const hasAudit = spec.withoutAudit !== true;
  return {
    table: spec.table,
    business,
    hasCustomerId,
    columns: [...business, ...(hasCustomerId ? ['customer_id'] : []), ...(hasAudit ? ['row_hash', 'version', 'batch_id'] : ['version'])],
    hasAudit,
    keyColumns,
    movableDateColumn: movable,
    movableCustomer: spec.movableSortColumns?.includes('customer_id') === true,
  };
}

/** The column beside a matching key that holds its normalised form. */
function normColumn(f: FieldSpec): string {
  return `${f.column ?? f.name}_norm`;
}
