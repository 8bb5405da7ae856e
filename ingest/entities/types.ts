/**
 * The ingest contract: which fields each entity accepts, how each is checked, and where it lands.
 * Mapping files rename a user's headers to these canonical field names; the demo generator writes
 * them directly. One file per entity under ingest/entities/.
 */
export type EntityName =
  | 'customers'
  | 'transactions'
  | 'interactions'
  | 'opportunities'
  | 'campaigns'
  | 'campaign_members'
  | 'users'
  | 'consents';

export type FieldType =
  /** Free text, copied as given (trimmed). */
  | 'string'
  /** An identifier: non-empty when present, no control characters. */
  | 'id'
  /** One of `values` (case-insensitive; the mapping's value map applies first). */
  | 'enum'
  /** Calendar date; ISO `YYYY-MM-DD` unless the mapping gives a format. */
  | 'date'
  /** Date and time; ISO 8601 (`YYYY-MM-DD HH:MM:SS`, `…T…Z`, offsets) unless the mapping gives a format. */
  | 'datetime'
  /** Decimal number with up to 2 fraction digits kept (rounded half away from zero). */
  | 'decimal'
  /** Whole number. */
  | 'int'
  /**
   * A measured amount kept exactly (hours, weights, units: `7.5`): up to 8 decimals, more is a
   * reject (ingest/validate/parse-quantity.ts); stored without trailing zeros, whole numbers as `3`.
   */
  | 'quantity'
  /** ISO 4217 code, three letters. */
  | 'currency'
  /** `{"shop":"1001"}` or `shop:1001;crm:A-7`. */
  | 'external_ids'
  /** JSON array of `{ "stage": "...", "entered_at": "YYYY-MM-DD" }`. */
  | 'stage_history';

export interface FieldSpec {
  /** Canonical input field name. */
  name: string;
  type: FieldType;
  /** A row without a value here is rejected. */
  required?: boolean;
  /** Allowed values of an enum (canonical lower-case spelling). */
  values?: readonly string[];
  /** Lower bound for int/decimal/quantity (e.g. 0 for quantities and amounts). */
  min?: number;
  /** Upper bound for int/decimal. */
  max?: number;
  /** Value used when the field is empty or absent (not for required fields). */
  default?: string;
  /** Empty means NULL (dates that may be unknown, scores that may be missing). */
  nullable?: boolean;
  /**
   * Target column. Defaults to `name`; `null` means the field is read but stored elsewhere
   * (e.g. `updated_at` becomes the row's `version`, `currency` becomes `original_currency`).
   */
  column?: string | null;
  /**
   * An identity matching key (customer records): stored as given and, normalised, in
   * `<column>_norm`; the normalised value feeds identity resolution.
   */
  matchKey?: 'email' | 'phone';
  /** stage_history: the entered_at dates may also use the mapping's date format of this field. */
  datesLike?: string;
  /** One line for the README table. */
  doc: string;
}

export interface EntitySpec {
  name: EntityName;
  /** Target table in the warehouse database. */
  table: string;
  fields: readonly FieldSpec[];
  /** Natural key (canonical field names): one stored row per key. */
  key: readonly string[];
  /** Field shown as the record id in rejects. */
  idField: string;
  /** Facts: `customer_ref` (with `source`) is resolved to `customer_id`. */
  resolvesCustomer?: boolean;
  /**
   * Local CSV files may be loaded by the engine's own parser (ingest/load/engine-parse.ts) when the
   * mapping allows: set only where the engine path's tables were shown equal to the JS path's.
   */
  engineParse?: boolean;
  /**
   * Facts that show a customer exists: the field (and column) whose time it happened. A customer
   * known only from facts is created with the earliest of these as first seen.
   */
  firstSeenField?: string;
  /**
   * Customer records: how the golden record picks each attribute from a customer's records.
   * `earliest`: from the record seen first (first-seen facts such as the acquisition channel must
   * not be rewritten by a later system); `newest`: from the most recently updated record (contact
   * details and names change). Every golden attribute is listed.
   */
  survivorship?: Readonly<Record<string, 'earliest' | 'newest'>>;
  /**
   * Customer records: the whole input is resolved into customers before any row is written (a
   * first pass collects the matching keys), so the ids do not depend on the order of rows.
   */
  resolvesIdentity?: boolean;
  /** Field whose ISO country code decides how national phone numbers are read (else the mapping's default country). */
  phoneCountryField?: string;
  /** A Map column the file does not fill, written empty after the fields. */
  attributesColumn?: string;
  /** Stored key columns when they are not the key's fields (e.g. the resolved customer_id instead of the reference). */
  keyColumns?: readonly string[];
  /** The table has no row_hash and batch_id: its stored rows are re-hashed to compare instead. */
  withoutAudit?: boolean;
  /** Field whose time becomes the row version (newest wins); absent: the load's start time. */
  versionField?: string;
  /**
   * Sort-key columns besides the key that can change between versions of a record (fact tables
   * are ordered by customer and date): a changed value leaves a stale row that must be deleted.
   */
  movableSortColumns?: readonly string[];
  /**
   * Money conversion: amount field and currency field (amount in base currency, original kept).
   * `unitPrice`/`quantity`: a row without an amount but with a unit price is worth unit price ×
   * quantity (exports that price lines per unit: Shopify's `Lineitem price`, invoice lines'
   * `UnitPrice`); the amount field is then not required of the file. `refunded`: the part of the
   * amount refunded (Stripe's `amount_refunded`): all of it makes the line refunded, part of it
   * adds a credit line of that part (the row encoder writes it). `orderRefunded`: a refund of the
   * whole order written on one of its lines (Shopify's `Refunded Amount`): one credit line per order.
   * `reference`: the transaction a credit line reverses (PayPal's `Reference Txn ID`): the credit
   * takes that transaction's customer and order (the job looks them up before encoding).
   */
  money?: { amount: string; currency: string; unitPrice?: string; quantity?: string; refunded?: string; orderRefunded?: string; reference?: string };
  /**
   * Return/credit lines (a cancelled invoice's lines, a credit note): `signs` are the fields whose
   * negative value marks one, `status` the status a credit line gets when the mapping loads them
   * (`credits`), `marker` the field whose prefix may mark one (`credits.orderPrefix`). Without the
   * mapping option they are refused, with a reason that says so, and counted apart in the summary.
   */
  credits?: { signs: readonly string[]; status: { field: string; value: string }; marker?: string };
  /** Dimension tables without a `source` column still accept `source` for resolving customer_ref. */
  sourceIsColumn: boolean;
  /**
   * Ids the load forms itself when the input has none (exports such as a plain purchase log):
   * `id` — an input without a column for `idField` gets ids from each row's content and its
   * occurrence among identical rows; `group` — rows without a value in `field` are grouped by
   * customer and time (mapping `orders.by`).
   */
  derive?: { id?: boolean; group?: { field: string; customer: string; time: string } };
}
