import { byteText as text } from '../core/byte-text.ts';
import type { CustomerIdSource, IdentityKeys } from '../core/customer-id-source.ts';
import { firstInvalidUtf8, quoteValue, reasonText, showBytes } from '../core/reasons.ts';
import type { FieldSpec } from '../entities/types.ts';
import { parseExternalIds } from '../identity/external-ids.ts';
import { normalizeEmail } from '../identity/normalize-email.ts';
import { isKnownCountry, normalizePhone } from '../identity/normalize-phone.ts';
import type { CompiledField, CompiledMapping } from '../mapping/compile.ts';
import type { RowInput } from '../sources/row-input.ts';
import { currencyCode, currencyCodeProblem, missingRateProblem } from '../validate/check-currency.ts';
import { dateFormatProblem, dateRangeProblem, daysInRange, secondsInRange } from '../validate/check-date.ts';
import { firstControlChar, idProblem } from '../validate/check-id.ts';
import { numberProblem } from '../validate/check-number.ts';
import { enumProblem, matchEnum } from '../validate/match-enum.ts';
import { newDateParts, toDays, toEpochSeconds, type DateParser, type DateParts } from '../validate/parse-date.ts';
import { MAX_STORED_CENTS, centsForMessage, minorUnitsToCents, parseCents, parseInteger, parseScaled, timesRateExact, timesToCents } from '../validate/parse-number.ts';
import { newQuantity, parseQuantity, quantityProblem, quantityScaled, QuantityStatus, timesQuantityToCents } from '../validate/parse-quantity.ts';
import { parseStageHistory } from '../validate/parse-stage-history.ts';
import type { Batch, RejectRow } from './batch.ts';
import { CustomerIdColumn } from './customer-id-column.ts';
import { hash53 } from './hash.ts';
import type { OutBuffer } from './out-buffer.ts';
import { tableLayout, type TableLayout } from './table-layout.ts';
import { writeStageHistory, writeStringMap } from './tsv-values.ts';

const enum Kind {
  Id,
  Str,
  Enum,
  Date,
  DateTime,
  Decimal,
  Int,
  Quantity,
  Money,
  ExternalIds,
  StageHistory,
  Email,
  Phone,
  Attributes,
}

interface Step {
  kind: Kind;
  field: CompiledField;
  index: number;
  name: string;
  /** Slot among the key columns, or -1. */
  keySlot: number;
  nullable: boolean;
  required: boolean;
  dflt: Buffer | undefined;
  allowed: Buffer[];
  min: number;
  max: number;
  movable: boolean;
}

/** Mapping `credits` by field index: the sign fields, the marker field and its prefix, the status field and its credit value. */
interface CreditRule {
  signs: number[];
  marker: number;
  prefix?: Buffer;
  status: number;
  value: Buffer;
}

/** Field indexes for `refunded_amount` (entity.money.refunded): see #readRefund. */
interface RefundRule {
  refunded: CompiledField;
  amount: CompiledField;
  status: number;
  id: number;
  unitPrice: number;
  quantity: number;
}

const REFUNDED = Buffer.from('refunded');
const COMPLETED = Buffer.from('completed');
const CREDIT = Buffer.from('credit');
const NO_UNITS = Buffer.from('0');

/** A field's value replaced by a whole buffer (a derived id, a status, a constant). */
function setField(row: RowInput, f: number, value: Buffer): void {
  row.bufs[f] = value;
  row.start[f] = 0;
  row.end[f] = value.length;
}
const REFUND_SUFFIX = ':refund';
const ORDER_REFUND_SUFFIX = ':order-refund';

/** Field indexes for `order_refunded_amount` (entity.money.orderRefunded): see #readOrderRefund. */
interface OrderRefundRule {
  refunded: CompiledField;
  order: number;
  products: number[];
}

/**
 * Validates one input row field by field and writes it as a TabSeparated line into the batch.
 * A row with any bad field is not written: each problem becomes a reject with line, field and a
 * reason. Hot path for the CSV fast path: no object per row, values parsed from bytes.
 */
export class RowEncoder {
  readonly layout: TableLayout;
  readonly steps: Step[];
  readonly #parts: DateParts = newDateParts();
  readonly #quantity = newQuantity();
  readonly #errors: { field: string; detail: string }[] = [];
  readonly #batchIdBytes: Buffer;
  readonly #fieldCount: number;
  readonly #idField: number;
  readonly #sourceField: number;
  readonly #refField: number;
  readonly #versionField: CompiledField | undefined;
  readonly #currencyField: CompiledField | undefined;
  /** Rows priced per unit: the unit price and quantity fields an absent amount is computed from. */
  readonly #unitPriceField: CompiledField | undefined;
  /** The entity's unit price field, named in the reject of a line without its amount. */
  readonly #unitPriceName: string | undefined;
  readonly #quantityField: CompiledField | undefined;
  /** Fields whose negative value marks a return/credit line (entity.credits.signs). */
  readonly #creditSigns: ReadonlySet<string>;
  /** Mapping `credits`: the sign fields' and marker's indexes, and the status a credit line gets. */
  readonly #credits: CreditRule | undefined;
  /** This row was refused as a return/credit line (a negative value in a creditSigns field). */
  #creditLine = false;
  /** Fields a refunded amount is checked against and the credit line for a partial refund is written with (transactions). */
  readonly #refund: RefundRule | undefined;
  /** Partial refunds written as credit lines of their own (rows beyond the input's). */
  refundCredits = 0;
  /**
   * The transactions credit lines reverse (the mapping reads `reference_id`, e.g. PayPal's Reference
   * Txn ID): `<source>\x1f<transaction id>` → that sale's customer_ref and order_id. Set by the job
   * before encoding (referenced-sales.ts); undefined, references are not followed (detect's preview).
   */
  references: ReadonlyMap<string, { ref: string; order: string }> | undefined;
  /** The reference field, the status a credit line has and the order id field (transactions). */
  readonly #reference: { field: CompiledField; status: number; order: number; ref: number } | undefined;
  /** Order-level refunds written as credit lines of their own (one per order and input). */
  orderRefundCredits = 0;
  /** Fields an order-level refund's credit line is written with (transactions). */
  readonly #orderRefund: OrderRefundRule | undefined;
  /** The amount of the credit line being written, in cents of the row's currency (bypasses the amount column). */
  #centsOverride: number | undefined;
  readonly #countryField: number;
  /** The other date format stage_history dates may use (the mapping's, for the field the entity names). */
  readonly #stageDates: DateParser | undefined;
  readonly #customerKeySlot: number;
  /** Fields with a value map (most mappings have none). */
  readonly #mappedFields: number[];
  /** Rows the mapping's `skip` left out (counted as read, neither loaded nor rejected). */
  skipped = 0;
  /** Set by the customers pass: receives the matching keys of every valid record. */
  onIdentity: ((keys: IdentityKeys) => void) | undefined;
  #lastSourceBuf: Buffer | undefined;
  #lastSourceText = '';
  #lastCurrency = '';
  // Per-row scratch filled by steps.
  #version = 0;
  #sortDate = 0;
  #emailNorm = '';
  #phoneNorm = '';
  #externalIds: Map<string, string> | undefined;
  #refStart = 0;
  #refEnd = 0;
  readonly #customerId: CustomerIdColumn;
  /** Facts whose id source finds references by their bytes. */
  readonly #fastRefs: boolean;

  constructor(
    readonly mapping: CompiledMapping,
    readonly runVersion: number,
    batchId: string,
    readonly customerIds: CustomerIdSource | undefined,
  ) {
    const spec = mapping.entity;
    this.layout = tableLayout(spec);
    this.#batchIdBytes = Buffer.from(batchId, 'latin1');
    this.#fieldCount = mapping.fields.length;
    const idx = (name: string | undefined): number => (name ? (mapping.byName.get(name)?.index ?? -1) : -1);
    this.#idField = idx(spec.idField);
    this.#sourceField = idx('source');
    this.#refField = spec.resolvesCustomer ? idx('customer_ref') : -1;
    this.#versionField = spec.versionField ? mapping.byName.get(spec.versionField) : undefined;
    this.#currencyField = spec.money ? mapping.byName.get(spec.money.currency) : undefined;
    this.#unitPriceField = spec.money?.unitPrice ? mapping.byName.get(spec.money.unitPrice) : undefined;
    this.#unitPriceName = spec.money?.unitPrice;
    this.#quantityField = spec.money?.quantity ? mapping.byName.get(spec.money.quantity) : undefined;
    this.#creditSigns = new Set(spec.credits?.signs ?? []);
    const c = mapping.credits;
    this.#credits =
      c && spec.credits
        ? {
            signs: c.sign ? spec.credits.signs.map((n) => idx(n)).filter((i) => i >= 0) : [],
            marker: idx(spec.credits.marker),
            prefix: c.orderPrefix,
            status: idx(spec.credits.status.field),
            value: Buffer.from(spec.credits.status.value),
          }
        : undefined;
    const refunded = spec.money?.refunded ? mapping.byName.get(spec.money.refunded) : undefined;
    this.#refund =
      refunded && spec.money && spec.credits
        ? {
            refunded,
            amount: mapping.byName.get(spec.money.amount)!,
            status: idx(spec.credits.status.field),
            id: this.#idField,
            unitPrice: idx(spec.money.unitPrice),
            quantity: idx(spec.money.quantity),
          }
        : undefined;
    const orderRefunded = spec.money?.orderRefunded ? mapping.byName.get(spec.money.orderRefunded) : undefined;
    this.#orderRefund =
      orderRefunded && this.#refund && spec.credits?.marker
        ? { refunded: orderRefunded, order: idx(spec.credits.marker), products: ['product_id', 'product_name'].map(idx).filter((i) => i >= 0) }
        : undefined;
    const reference = spec.money?.reference ? mapping.byName.get(spec.money.reference) : undefined;
    this.#reference =
      reference && spec.credits ? { field: reference, status: idx(spec.credits.status.field), order: idx(spec.credits.marker), ref: this.#refField } : undefined;
    this.#countryField = idx(spec.phoneCountryField);
    this.#mappedFields = mapping.fields.filter((f) => f.values).map((f) => f.index);
    const movable = this.layout.movableDateColumn;
    this.steps = [];
    for (const field of mapping.fields) {
      const f = field.spec;
      if (spec.money && f.name === spec.money.amount) {
        this.steps.push(this.#step(Kind.Money, field, f.name));
        continue;
      }
      if (f.column === null) continue;
      const column = f.column ?? f.name;
      const kind = f.matchKey === 'email' ? Kind.Email : f.matchKey === 'phone' ? Kind.Phone : kindOf(f);
      const step = this.#step(kind, field, column);
      step.movable = column === movable;
      this.steps.push(step);
    }
    if (spec.attributesColumn) {
      this.steps.push({ ...this.#step(Kind.Attributes, mapping.fields[0], spec.attributesColumn), index: -1 });
    }
    const datesLike = mapping.fields.find((f) => f.spec.type === 'stage_history')?.spec.datesLike;
    this.#stageDates = datesLike ? mapping.byName.get(datesLike)?.parseDate : undefined;
    this.#customerKeySlot = this.layout.keyColumns.indexOf('customer_id');
    this.#customerId = new CustomerIdColumn(customerIds);
    this.#fastRefs = customerIds?.fast !== undefined && this.#refField >= 0;
  }

  #step(kind: Kind, field: CompiledField, column: string): Step {
    const f: FieldSpec = field.spec;
    return {
      kind,
      field,
      index: field.index,
      name: f.name,
      keySlot: this.layout.keyColumns.indexOf(column),
      nullable: f.nullable === true,
      required: f.required === true,
      dflt: f.default !== undefined ? Buffer.from(f.default) : undefined,
      allowed: (f.values ?? []).map((v) => Buffer.from(v)),
      min: f.min ?? -Infinity,
      max: f.max ?? Infinity,
      movable: false,
    };
  }

  /** Encodes `row` into `batch`; returns false (and records rejects) when the row is bad. */
  encode(row: RowInput, batch: Batch): boolean {
    batch.read++;
    this.#applyConstantsAndTrim(row);
    if (this.mapping.skip.length > 0 && this.#skips(row)) {
      this.skipped++;
      return false;
    }
    if (this.#credits) this.#markCredit(row, this.#credits);
    const errors = this.#errors;
    errors.length = 0;
    this.#creditLine = false;
    // A JSON value of the wrong type (object for text, boolean for a number): named before the
    // field's own check, which would only see its JSON text.
    for (const p of row.typeProblems) errors.push({ field: this.mapping.fields[p.field].spec.name, detail: p.detail });
    if (row.high) this.#checkUtf8(row);
    if (this.references && this.#reference) this.#attachReference(row, this.#reference, this.references);
    const refund = this.#refund;
    const refunded = refund !== undefined && row.start[refund.refunded.index] >= 0 ? this.#readRefund(row, refund) : undefined;
    const order = this.#orderRefund;
    const orderCredit = order !== undefined && row.start[order.refunded.index] >= 0 ? this.#readOrderRefund(row, order, refund!) : undefined;
    if (!this.#encodeRow(row, batch)) return false;
    if (refunded) this.#writeRefundCredit(row, batch, refund!, refunded);
    if (orderCredit !== undefined) this.#writeOrderRefundCredit(row, batch, order!, refund!, orderCredit);
    return true;
  }

  /**
   * A credit line that names the sale it reverses (PayPal's refund rows name the merchant as their
   * sender, the buyer only as the recipient) is the buyer's: it takes the sale's customer and order,
   * so it lowers that customer's net revenue and joins that order instead of creating a customer of
   * the merchant's own address. A sale found neither in this input nor among the source's loaded
   * transactions is the row's reject: its revenue was never counted, so neither is its refund.
   * Other rows keep their own customer (a subscription payment's reference names an agreement).
   */
  #attachReference(row: RowInput, r: { field: CompiledField; status: number; order: number; ref: number }, refs: ReadonlyMap<string, { ref: string; order: string }>): void {
    const f = r.field.index;
    if (row.start[f] < 0 || r.status < 0 || row.start[r.status] < 0 || r.ref < 0) return;
    if (matchEnum([CREDIT], row.bufs[r.status], row.start[r.status], row.end[r.status]) < 0) return;
    const id = this.#text(row, f);
    const source = this.#sourceText(row);
    const sale = refs.get(`${source}\x1f${id}`);
    if (!sale) {
      this.#error(
        r.field.spec.name,
        `${quoteValue(id)} is the sale this credit reverses, and it is neither in this input nor loaded for source "${source}": load the export with that sale first, then this one again`,
      );
      return;
    }
    const ref = Buffer.from(sale.ref);
    setField(row, r.ref, ref);
    if (r.order >= 0 && sale.order !== '') {
      const order = Buffer.from(sale.order);
      setField(row, r.order, order);
    }
  }

  /**
   * `order_refunded_amount` (Shopify's `Refunded Amount`: the whole order's, written on its first
   * line only): the cents of the order's credit line, or undefined when there is none to write (no
   * refund, an unpaid order) or the value is bad (recorded as the row's reject). When this line
   * itself is `refunded` (Shopify's financial status `refunded`, on the first line only) its amount
   * already leaves net revenue, so the credit is the rest: an order of 59 + 24 refunded 83 nets 0,
   * not -59. A refund of 0 writes nothing; any refund above 0 writes the credit, 0 included, so a
   * re-export where a partial refund became a full one replaces the earlier credit.
   */
  #readOrderRefund(row: RowInput, o: OrderRefundRule, r: RefundRule): number | undefined {
    const f = o.refunded.index;
    const name = o.refunded.spec.name;
    let refund = parseCents(row.bufs[f], row.start[f], row.end[f], this.mapping.numbers);
    if (!(refund >= 0)) {
      const sym = this.mapping.numbers.symbol;
      const raw = this.#text(row, f);
      this.#error(
        name,
        numberProblem(raw, refund, { decimal: true, min: 0, max: Infinity, decimalSeparator: String.fromCharCode(this.mapping.numbers.decimal), currencySymbol: sym && new TextDecoder().decode(sym) }) ??
          `${quoteValue(raw)} is not a refunded amount`,
      );
      return undefined;
    }
    if (refund === 0 || r.status < 0 || row.start[r.status] < 0) return undefined;
    const st = matchEnum([COMPLETED, REFUNDED], row.bufs[r.status], row.start[r.status], row.end[r.status]);
    if (st < 0) return undefined;
    if (o.order < 0 || row.start[o.order] < 0 || row.end[o.order] === row.start[o.order]) {
      this.#error(name, `${quoteValue(this.#text(row, f))} is an order's refund but the row has no order id to attach it to`);
      return undefined;
    }
    if (this.mapping.currency.minorUnits) {
      const cf = this.#currencyField;
      const code = cf && row.start[cf.index] >= 0 ? (currencyCode(this.#text(row, cf.index)) ?? '') : (this.mapping.currency.fallback ?? this.mapping.currency.base);
      const major = minorUnitsToCents(refund, code);
      if (major === undefined) {
        this.#error(name, `${quoteValue(this.#text(row, f))} is not a whole number of ${code} minor units (the mapping's currency.minorUnits)`);
        return undefined;
      }
      refund = major;
    }
    if (st === 1) {
      const a = r.amount.index;
      let line = Number.NaN;
      if (row.start[a] >= 0) {
        line = parseCents(row.bufs[a], row.start[a], row.end[a], this.mapping.numbers);
        if (this.mapping.currency.minorUnits) line = Number.NaN; // the amount's own step reads it; the whole refund is credited
      } else if (r.unitPrice >= 0 && row.start[r.unitPrice] >= 0 && this.#unitPriceField) {
        const errors = this.#errors.length;
        line = this.#pricedCents(this.#unitPriceField, row) ?? Number.NaN;
        this.#errors.length = errors;
      }
      if (line >= 0) refund = Math.max(0, refund - line);
    }
    return refund;
  }

  /**
   * The credit line of an order-level refund: id `<order id>:order-refund` (one per order, whatever
   * line of which export carries the refund, so a re-load or a later export updates it instead of
   * adding one), status credit, no product, no units, dated like the line that carried it.
   */
  #writeOrderRefundCredit(row: RowInput, batch: Batch, o: OrderRefundRule, r: RefundRule, cents: number): void {
    const id = Buffer.concat([row.bufs[o.order].subarray(row.start[o.order], row.end[o.order]), Buffer.from(ORDER_REFUND_SUFFIX)]);
    setField(row, r.id, id);
    setField(row, r.status, CREDIT);
    for (const p of o.products) row.start[p] = -1;
    if (r.unitPrice >= 0) row.start[r.unitPrice] = -1;
    if (r.quantity >= 0) {
      setField(row, r.quantity, NO_UNITS);
    }
    this.#errors.length = 0;
    this.#centsOverride = cents;
    try {
      if (this.#encodeRow(row, batch)) this.orderRefundCredits++;
    } finally {
      this.#centsOverride = undefined;
    }
  }

  /**
   * `refunded_amount` (Stripe's amount_refunded): a paid line refunded in full becomes `refunded`
   * whatever its status said (Stripe's API says "succeeded" with refunded true); refunded in part,
   * it stays `completed` and returns 'partial': the caller adds a credit line of the refunded part, so
   * gross revenue keeps the charge and net revenue loses only what was given back. A partially
   * refunded charge used to count in full. Refunded in full it returns 'full': the caller writes
   * that credit line with 0, so a charge first exported refunded in part and later in full does not
   * keep its earlier credit beside the refunded line (net revenue lost the part twice). More than
   * the amount, or not a number, is the row's reject.
   */
  #readRefund(row: RowInput, r: RefundRule): 'partial' | 'full' | undefined {
    const f = r.refunded.index;
    const refund = parseCents(row.bufs[f], row.start[f], row.end[f], this.mapping.numbers);
    if (!(refund >= 0)) {
      const sym = this.mapping.numbers.symbol;
      const raw = this.#text(row, f);
      this.#error(
        r.refunded.spec.name,
        numberProblem(raw, refund, { decimal: true, min: 0, max: Infinity, decimalSeparator: String.fromCharCode(this.mapping.numbers.decimal), currencySymbol: sym && new TextDecoder().decode(sym) }) ??
          `${quoteValue(raw)} is not a refunded amount`,
      );
      return undefined;
    }
    if (refund === 0 || r.status < 0 || row.start[r.status] < 0) return undefined;
    // Only a paid line has something to refund: a failed, pending or credit line keeps its status.
    const sb = row.bufs[r.status];
    const st = matchEnum([COMPLETED, REFUNDED], sb, row.start[r.status], row.end[r.status]);
    if (st < 0) return undefined;
    const a = r.amount.index;
    let paid: number;
    if (row.start[a] >= 0) paid = parseCents(row.bufs[a], row.start[a], row.end[a], this.mapping.numbers);
    else if (r.unitPrice >= 0 && row.start[r.unitPrice] >= 0 && this.#unitPriceField) {
      const errors = this.#errors.length;
      paid = this.#pricedCents(this.#unitPriceField, row) ?? Number.NaN;
      this.#errors.length = errors; // the amount's own step reports them
    } else return undefined;
    if (!(paid >= 0)) return undefined; // the amount's own check rejects the row
    if (refund > paid) {
      const amount = row.start[a] >= 0 ? quoteValue(this.#text(row, a)) : `${(paid / 100).toFixed(2)}, unit price × quantity`;
      this.#error(r.refunded.spec.name, `${quoteValue(this.#text(row, f))} is more than the line's amount (${amount}): a refund cannot exceed what was paid`);
      return undefined;
    }
    const to = refund === paid ? REFUNDED : COMPLETED;
    setField(row, r.status, to);
    return refund < paid ? 'partial' : 'full';
  }

  /**
   * The credit line of a refund: the same line with id `<id>:refund`, status credit, the refunded
   * part as its amount (0 for a full refund: the line itself is refunded), no units.
   */
  #writeRefundCredit(row: RowInput, batch: Batch, r: RefundRule, refunded: 'partial' | 'full'): void {
    const id = Buffer.concat([row.bufs[r.id].subarray(row.start[r.id], row.end[r.id]), Buffer.from(REFUND_SUFFIX)]);
    setField(row, r.id, id);
    setField(row, r.status, CREDIT);
    const a = r.amount.index;
    const f = r.refunded.index;
    if (refunded === 'partial') {
      row.bufs[a] = row.bufs[f];
      row.start[a] = row.start[f];
      row.end[a] = row.end[f];
    } else {
      setField(row, a, NO_UNITS);
    }
    if (r.unitPrice >= 0) row.start[r.unitPrice] = -1;
    if (r.quantity >= 0) {
      setField(row, r.quantity, NO_UNITS);
    }
    this.#errors.length = 0;
    if (this.#encodeRow(row, batch) && refunded === 'partial') this.refundCredits++;
  }

  /** Writes the row's fields (already trimmed, mapped and checked for UTF-8) into the batch, or its rejects. */
  #encodeRow(row: RowInput, batch: Batch): boolean {
    const errors = this.#errors;
    batch.ensureRow();
    const out = batch.out;
    const r = batch.rows;
    const rowStart = out.pos;
    const keyBase = r * batch.keyCount * 2;
    this.#version = this.runVersion;
    this.#sortDate = 0;
    this.#externalIds = undefined;
    this.#emailNorm = '';
    this.#phoneNorm = '';
    if (this.#versionField) this.#readVersion(row, this.#versionField);
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) {
      const st = steps[i];
      const colStart = out.pos;
      this.#write(st, row, out);
      if (st.index === this.#refField) {
        this.#refStart = colStart;
        this.#refEnd = out.pos;
      }
      if (st.keySlot >= 0) {
        batch.keyOff[keyBase + st.keySlot * 2] = colStart;
        batch.keyOff[keyBase + st.keySlot * 2 + 1] = out.pos;
      }
      out.byte(9);
    }
    if (errors.length > 0) {
      out.pos = rowStart;
      this.#reject(row, batch);
      return false;
    }
    const hash = hash53(out.buf, rowStart, out.pos - 1);
    batch.rowStart[r] = rowStart;
    batch.hash[r] = hash;
    batch.version[r] = this.#version;
    batch.line[r] = row.line;
    batch.sortDate[r] = this.#sortDate;
    batch.custOff[r] = -1;
    batch.pendingRef[r] = -1;
    if (this.layout.hasCustomerId) {
      const source = this.#sourceText(row);
      const custStart = out.pos;
      if (this.#fastRefs) this.#customerId.writeByRefBytes(batch, r, source, this.#refStart, this.#refEnd);
      else this.#customerId.writeByText(batch, r, source, this.#refField >= 0 ? this.#text(row, this.#refField) : this.#text(row, this.#idField));
      batch.custOff[r] = custStart;
      const slot = this.#customerKeySlot;
      if (slot >= 0) {
        batch.keyOff[keyBase + slot * 2] = custStart;
        batch.keyOff[keyBase + slot * 2 + 1] = custStart + 14;
      }
      out.byte(9);
    }
    if (this.layout.hasAudit) {
      out.uint(hash);
      out.byte(9);
      out.uint(this.#version);
      out.byte(9);
      out.raw(this.#batchIdBytes, 0, this.#batchIdBytes.length);
    } else out.uint(this.#version);
    out.byte(10);
    batch.rows = r + 1;
    if (this.onIdentity) {
      this.onIdentity({
        source: this.#sourceText(row),
        sourceId: this.#text(row, this.#idField),
        emailNorm: this.#emailNorm,
        phoneNorm: this.#phoneNorm,
        externalIds: this.#externalIds ?? new Map(),
        version: this.#version,
        line: row.line,
      });
    }
    return true;
  }

  /** A problem with the whole row (column count, malformed JSON): one reject with an empty field. */
  rejectRow(batch: Batch, line: number, detail: string, raw: string): void {
    batch.read++;
    batch.rejects.push({ line, recordId: '', field: '', reason: reasonText(line, '', detail), raw });
  }

  #reject(row: RowInput, batch: Batch): void {
    let recordId = '';
    if (this.#idField >= 0 && row.start[this.#idField] >= 0) {
      const b = row.bufs[this.#idField];
      recordId = showBytes(b, row.start[this.#idField], Math.min(row.end[this.#idField], row.start[this.#idField] + 200));
    }
    const raw = row.raw();
    const seen = new Set<string>();
    for (const { field, detail } of this.#errors) {
      if (seen.has(field)) continue;
      seen.add(field);
      const r: RejectRow = { line: row.line, recordId, field, reason: reasonText(row.line, field, detail), raw };
      if (this.#creditLine) r.credit = true;
      batch.rejects.push(r);
    }
  }

  #applyConstantsAndTrim(row: RowInput): void {
    const fields = this.mapping.fields;
    for (let f = 0; f < this.#fieldCount; f++) {
      let s = row.start[f];
      if (s >= 0) {
        const b = row.bufs[f];
        let e = row.end[f];
        while (s < e && (b[s] === 32 || b[s] === 9)) s++;
        while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
        row.start[f] = s;
        row.end[f] = e;
        if (s < e) continue;
      }
      const c = fields[f].constant;
      if (c) {
        setField(row, f, c);
      } else row.start[f] = -1;
    }
    for (const f of this.#mappedFields) {
      const cf = fields[f];
      if (cf.values && row.start[f] >= 0) {
        const v = row.bufs[f].toString('utf8', row.start[f], row.end[f]);
        const mapped = cf.values.get(v) ?? cf.valuesLower?.get(v.toLowerCase());
        if (mapped !== undefined) {
          const b = Buffer.from(mapped);
          row.bufs[f] = b;
          row.start[f] = b.length ? 0 : -1;
          row.end[f] = b.length;
        }
      }
    }
  }

  /** Mapping `skip`: the row's value of a listed field is one of the values to leave out. */
  #skips(row: RowInput): boolean {
    for (const rule of this.mapping.skip) {
      const s = row.start[rule.index];
      if (s >= 0 && rule.values.has(row.bufs[rule.index].toString('utf8', s, row.end[rule.index]).toLowerCase())) return true;
    }
    return false;
  }

  /**
   * Mapping `credits`: a row with a negative sign field (or an order id with the prefix) is a
   * return/credit line. Its minus signs are skipped, so amount, unit price and quantity are stored as
   * magnitudes, and its status becomes `credit` whatever the file says: the derived tables subtract
   * it from net revenue and never count it as a purchase (semantic/derived/sql.ts). Runs after the
   * content-derived line id was formed, so a credit line's id differs from the sale it reverses.
   */
  #markCredit(row: RowInput, c: CreditRule): void {
    let credit = false;
    for (const f of c.signs) {
      const s = row.start[f];
      if (s < 0) continue;
      const b = row.bufs[f];
      if (b[s] === 45) {
        row.start[f] = s + 1;
        credit = true;
      } else if (b[s] === 40 && row.end[f] - s > 2 && b[row.end[f] - 1] === 41) {
        // An accounting negative, "(12.50)": the magnitude is what is inside.
        row.start[f] = s + 1;
        row.end[f]--;
        credit = true;
      }
    }
    const p = c.prefix;
    if (!credit && p && c.marker >= 0) {
      const s = row.start[c.marker];
      credit = s >= 0 && row.end[c.marker] - s >= p.length && row.bufs[c.marker].subarray(s, s + p.length).equals(p);
    }
    if (!credit || c.status < 0) return;
    setField(row, c.status, c.value);
  }

  #checkUtf8(row: RowInput): void {
    for (let f = 0; f < this.#fieldCount; f++) {
      const s = row.start[f];
      if (s < 0) continue;
      const bad = firstInvalidUtf8(row.bufs[f], s, row.end[f]);
      if (bad >= 0) {
        const byte = row.bufs[f][bad].toString(16).toUpperCase().padStart(2, '0');
        this.#error(
          this.mapping.fields[f].spec.name,
          `contains bytes that are not valid UTF-8 (0x${byte} at position ${bad - s + 1}: "${showBytes(row.bufs[f], s, row.end[f])}"); if the file is latin1, set csv.encoding in the mapping`,
        );
        row.start[f] = -2; // written as empty; the row is rejected anyway
      }
    }
  }

  #error(field: string, detail: string): void {
    this.#errors.push({ field, detail });
  }

  #text(row: RowInput, f: number): string {
    const s = row.start[f];
    if (s < 0) return '';
    return text(row.bufs[f], s, row.end[f], row.high);
  }

  #sourceText(row: RowInput): string {
    const f = this.#sourceField;
    if (f < 0) return '';
    const s = row.start[f];
    if (s < 0) return '';
    const b = row.bufs[f];
    // Sources repeat row after row: reuse the string while the bytes are the same.
    const prev = this.#lastSourceBuf;
    if (prev && this.#lastSourceText.length === row.end[f] - s && !row.high) {
      let same = true;
      for (let i = 0; i < this.#lastSourceText.length; i++) {
        if (b[s + i] !== this.#lastSourceText.charCodeAt(i)) {
          same = false;
          break;
        }
      }
      if (same) return this.#lastSourceText;
    }
    this.#lastSourceBuf = b;
    this.#lastSourceText = b.toString('utf8', s, row.end[f]);
    return this.#lastSourceText;
  }

  #readVersion(row: RowInput, field: CompiledField): void {
    const f = field.index;
    const s = row.start[f];
    if (s < 0) return;
    const p = this.#parts;
    if (!field.parseDate!(row.bufs[f], s, row.end[f], p)) {
      this.#error(field.spec.name, dateFormatProblem(this.#text(row, f), false, field.expect!));
      return;
    }
    const secs = toEpochSeconds(p);
    if (!secondsInRange(secs)) {
      this.#error(field.spec.name, dateRangeProblem(this.#text(row, f), false));
      return;
    }
    this.#version = secs * 1000;
  }

  #write(st: Step, row: RowInput, out: OutBuffer): void {
    const f = st.index;
    const s = f >= 0 ? row.start[f] : -1;
    if (s === -2) return;
    if (st.kind === Kind.Money || st.kind === Kind.Attributes) {
      if (st.kind === Kind.Money) this.#writeMoney(st, row, out);
      else out.ascii('{}');
      return;
    }
    if (s < 0) {
      if (st.required) this.#error(st.name, 'required value is missing');
      else if (st.nullable) out.nul();
      else if (st.dflt) this.#writeValue(st, row, st.dflt, 0, st.dflt.length, out);
      else if (st.kind === Kind.Decimal) out.cents(0);
      else if (st.kind === Kind.Int || st.kind === Kind.Quantity) out.byte(48);
      else if (st.kind === Kind.ExternalIds) out.ascii('{}');
      else if (st.kind === Kind.StageHistory) out.ascii('[]');
      else if (st.kind === Kind.Email || st.kind === Kind.Phone) out.byte(9);
      return;
    }
    this.#writeValue(st, row, row.bufs[f], s, row.end[f], out);
  }

  #writeValue(st: Step, row: RowInput, b: Buffer, s: number, e: number, out: OutBuffer): void {
    switch (st.kind) {
      case Kind.Str:
        out.escaped(b, s, e);
        return;
      case Kind.Id:
        if (firstControlChar(b, s, e) >= 0) {
          this.#error(st.name, idProblem(text(b, s, e, row.high)));
          return;
        }
        out.escaped(b, s, e);
        return;
      case Kind.Enum:
        this.#writeEnum(st, row, b, s, e, out);
        return;
      case Kind.Date:
      case Kind.DateTime:
        this.#writeDate(st, row, b, s, e, out);
        return;
      case Kind.Decimal: {
        const v = parseCents(b, s, e, this.mapping.numbers);
        if (!(v / 100 >= st.min && v / 100 <= st.max)) return this.#numberError(st, text(b, s, e, row.high), v, true);
        out.cents(v);
        return;
      }
      case Kind.Int: {
        const v = parseInteger(b, s, e, this.mapping.numbers);
        if (!(v >= st.min && v <= st.max)) return this.#numberError(st, text(b, s, e, row.high), v, false);
        out.uint(v);
        return;
      }
      case Kind.Quantity:
        this.#writeQuantity(st, row, b, s, e, out);
        return;
      case Kind.ExternalIds:
        this.#writeExternalIds(st, text(b, s, e, row.high), out);
        return;
      case Kind.StageHistory:
        this.#writeStageHistory(st, text(b, s, e, row.high), out);
        return;
      case Kind.Email: {
        out.escaped(b, s, e);
        out.byte(9);
        this.#emailNorm = normalizeEmail(text(b, s, e, row.high));
        out.text(this.#emailNorm);
        return;
      }
      case Kind.Phone: {
        out.escaped(b, s, e);
        out.byte(9);
        const c = this.#countryField >= 0 ? this.#text(row, this.#countryField).toUpperCase() : '';
        this.#phoneNorm = normalizePhone(text(b, s, e, row.high), isKnownCountry(c) ? c : this.mapping.defaultCountry);
        out.text(this.#phoneNorm);
        return;
      }
      default:
        return;
    }
  }

  #writeEnum(st: Step, row: RowInput, b: Buffer, s: number, e: number, out: OutBuffer): void {
    const k = matchEnum(st.allowed, b, s, e);
    if (k >= 0) out.raw(st.allowed[k], 0, e - s);
    else this.#error(st.name, enumProblem(text(b, s, e, row.high), st.field.spec.values ?? []));
  }

  #writeDate(st: Step, row: RowInput, b: Buffer, s: number, e: number, out: OutBuffer): void {
    const p = this.#parts;
    const field = st.field;
    const isDate = st.kind === Kind.Date;
    if (!field.parseDate!(b, s, e, p)) {
      this.#error(st.name, dateFormatProblem(text(b, s, e, row.high), isDate, field.expect!, st.name));
      return;
    }
    if (isDate) {
      const days = toDays(p);
      if (!daysInRange(days)) {
        this.#error(st.name, dateRangeProblem(text(b, s, e, row.high), true));
        return;
      }
      if (st.movable) this.#sortDate = days;
      out.date(days);
    } else {
      const secs = toEpochSeconds(p);
      if (!secondsInRange(secs)) {
        this.#error(st.name, dateRangeProblem(text(b, s, e, row.high), false));
        return;
      }
      if (st.movable) this.#sortDate = secs;
      out.epoch(secs);
    }
  }

  /**
   * A quantity as its canonical text: the whole part, then the fraction's significant digits as
   * written (no trailing zeros). A whole number is written as the whole-number encoder wrote it, so
   * rows loaded before quantities became decimal keep their row_hash.
   */
  #writeQuantity(st: Step, row: RowInput, b: Buffer, s: number, e: number, out: OutBuffer): void {
    const q = this.#quantity;
    const status = parseQuantity(b, s, e, this.mapping.numbers, q);
    if (status !== QuantityStatus.Ok) {
      this.#error(st.name, quantityProblem(text(b, s, e, row.high), status, String.fromCharCode(this.mapping.numbers.decimal)));
      return;
    }
    if (q.negative) {
      // Below every minimum a quantity field has (0): a credit line, or a plain negative.
      return this.#numberError(st, text(b, s, e, row.high), -1, false);
    }
    out.uint(q.whole);
    if (q.fracLen > 0) {
      out.byte(46);
      out.raw(b, q.fracStart, q.fracStart + q.fracLen);
    }
  }

  /** Records why a number was refused (the value text is only made here, on the error path). */
  #numberError(st: Step, raw: string, v: number, decimal: boolean): void {
    if (v < 0 && this.#creditSigns.has(st.name)) {
      this.#creditLine = true;
      this.#error(st.name, creditLineProblem(raw));
      return;
    }
    const sym = this.mapping.numbers.symbol;
    const problem = numberProblem(raw, v, { decimal, min: st.min, max: st.max, decimalSeparator: String.fromCharCode(this.mapping.numbers.decimal), currencySymbol: sym && new TextDecoder().decode(sym) });
    if (problem) this.#error(st.name, problem);
  }

  #writeMoney(st: Step, row: RowInput, out: OutBuffer): void {
    const f = st.index;
    let cents = 0;
    const up = this.#unitPriceField;
    const override = this.#centsOverride;
    if (override !== undefined) cents = override;
    else if (row.start[f] >= 0) {
      cents = parseCents(row.bufs[f], row.start[f], row.end[f], this.mapping.numbers);
      if (!(cents / 100 >= st.min && cents / 100 <= st.max)) return this.#numberError(st, this.#text(row, f), cents, true);
    } else if (up && row.start[up.index] >= 0) {
      const priced = this.#pricedCents(up, row);
      if (priced === undefined) return;
      cents = priced;
    } else if (st.required) {
      // Never a silent 0: a line-level export's line without its amount would lower revenue unseen.
      this.#error(st.name, this.#unitPriceName ? `required value is missing, and the line has no ${this.#unitPriceName} to price it (× the quantity)` : 'required value is missing');
      return;
    } else if (st.dflt) cents = parseCents(st.dflt, 0, st.dflt.length, this.mapping.numbers);
    const cf = this.#currencyField!;
    const cur = this.mapping.currency;
    let code = cur.fallback ?? cur.base;
    const cs = row.start[cf.index];
    if (cs >= 0) {
      const b = row.bufs[cf.index];
      const last = this.#lastCurrency;
      // Rows repeat their currency: compare the three bytes with the last one seen.
      if (row.end[cf.index] - cs === 3 && last.length === 3 && b[cs] === last.charCodeAt(0) && b[cs + 1] === last.charCodeAt(1) && b[cs + 2] === last.charCodeAt(2)) {
        code = last;
      } else {
        const raw = this.#text(row, cf.index);
        const valid = currencyCode(raw);
        if (valid === undefined) {
          this.#error(cf.spec.name, currencyCodeProblem(raw));
          return;
        }
        code = valid;
        if (code === raw) this.#lastCurrency = code;
      }
    }
    const rate = cur.rates.get(code);
    if (rate === undefined) {
      this.#error(cf.spec.name, missingRateProblem(code, cur.base));
      return;
    }
    if (cur.minorUnits && row.start[f] >= 0 && override === undefined) {
      // "199.00" under minor units is 199 cents or a major amount: either way not what the option says.
      const written = this.#text(row, f);
      const major = written.includes(String.fromCharCode(this.mapping.numbers.decimal)) ? undefined : minorUnitsToCents(cents, code);
      if (major === undefined) {
        this.#error(st.name, `${quoteValue(written)} is not a whole number of ${code} minor units (the mapping's currency.minorUnits reads 4900 as 49.00)`);
        return;
      }
      cents = major;
    }
    // Half away from zero, as timesRateExact and the engine path round. cents is never negative
    // today (amount fields have min 0, and #markCredit strips a credit's sign before this, so a
    // credit converts as the magnitude its sale does); Math.round alone would take a −12.5 of a
    // field that allowed negatives to −12 and its +12.5 twin to 13, a cent that never cancels.
    const product = cents * rate;
    const base = rate === 1 ? cents : product < 0 ? -Math.round(-product) : Math.round(product);
    if (Number.isSafeInteger(base)) out.cents(base);
    else {
      // Past 2^53 a double's product has lost digits: the exact product, and a reject past the column.
      const exact = timesRateExact(cents, rate);
      if ((exact < 0n ? -exact : exact) > MAX_STORED_CENTS) {
        this.#error(st.name, `amount ${centsForMessage(cents)} × rate ${rate.toLocaleString('en-US', { maximumFractionDigits: 20 })} (${code} to ${cur.base}) is past the largest amount the warehouse stores, ${centsForMessage(MAX_STORED_CENTS)}`);
        return;
      }
      out.ascii(centsForMessage(exact).replaceAll(',', ''));
    }
    out.byte(9);
    out.cents(cents);
    out.byte(9);
    out.ascii(code);
  }

  /**
   * unit price × quantity in hundredths, the unit price read to 6 places so that 0.065 × 1000 is
   * 65.00 (not 0.07 × 1000), then rounded half away from zero like every amount. Undefined after
   * recording the problem; a bad quantity is left to the quantity field's own check.
   */
  #pricedCents(up: CompiledField, row: RowInput): number | undefined {
    const scale = 6;
    const s = row.start[up.index];
    const price = parseScaled(row.bufs[up.index], s, row.end[up.index], this.mapping.numbers, scale);
    const min = up.spec.min ?? -Infinity;
    if (!(price >= min * 10 ** scale)) {
      const raw = this.#text(row, up.index);
      if (price < 0 && this.#creditSigns.has(up.spec.name)) {
        this.#creditLine = true;
        this.#error(up.spec.name, creditLineProblem(raw));
      } else this.#error(up.spec.name, `${quoteValue(raw)} is not a number (decimal separator "${String.fromCharCode(this.mapping.numbers.decimal)}"; at most 9 digits before it)`);
      return undefined;
    }
    const q = this.#quantityField;
    let cents: number;
    let count = '1';
    if (q && row.start[q.index] >= 0) {
      const b = row.bufs[q.index];
      const qty = this.#quantity;
      // A bad quantity is the quantity step's reject; a negative one a credit line's.
      if (parseQuantity(b, row.start[q.index], row.end[q.index], this.mapping.numbers, qty) !== QuantityStatus.Ok || qty.negative) return undefined;
      count = this.#text(row, q.index);
      // Whole quantities as before (the same rounding, so the same amounts and row hashes).
      cents = qty.fracLen === 0 ? timesToCents(price, scale, qty.whole) : timesQuantityToCents(price, scale, quantityScaled(b, qty));
    } else {
      if (q?.spec.default !== undefined) count = q.spec.default;
      cents = timesToCents(price, scale, Number(count));
    }
    if (Math.abs(cents) > 999999999999999) {
      this.#error(up.spec.name, `${quoteValue(this.#text(row, up.index))} × ${count} is past the largest amount read, 9,999,999,999,999.99`);
      return undefined;
    }
    return cents;
  }

  #writeExternalIds(st: Step, raw: string, out: OutBuffer): void {
    let ids: Map<string, string>;
    try {
      ids = parseExternalIds(raw);
    } catch (e) {
      this.#error(st.name, `${quoteValue(raw)} ${(e as Error).message}`);
      return;
    }
    this.#externalIds = ids;
    writeStringMap(out, ids);
  }

  #writeStageHistory(st: Step, raw: string, out: OutBuffer): void {
    const history = parseStageHistory(raw, this.#stageDates, this.#parts);
    if (history.problem !== undefined) this.#error(st.name, history.problem);
    else writeStageHistory(out, history.entries);
  }
}

/** Why a negative quantity, amount or unit price is refused: what such a line is and what to do with it. */
export function creditLineProblem(raw: string): string {
  return `${quoteValue(raw)} is negative: a return or credit line (e.g. a cancelled invoice's line); set "credits": {"sign": true} in the mapping to load such lines as credits, or send them with status "credit" and a positive amount (credits reduce net revenue and are not purchases)`;
}

function kindOf(f: FieldSpec): Kind {
  switch (f.type) {
    case 'id':
      return Kind.Id;
    case 'string':
    case 'currency':
      return Kind.Str;
    case 'enum':
      return Kind.Enum;
    case 'date':
      return Kind.Date;
    case 'datetime':
      return Kind.DateTime;
    case 'decimal':
      return Kind.Decimal;
    case 'int':
      return Kind.Int;
    case 'quantity':
      return Kind.Quantity;
    case 'external_ids':
      return Kind.ExternalIds;
    case 'stage_history':
      return Kind.StageHistory;
  }
}
