import type { FieldSpec } from '../entities/types.ts';
import { parseExternalIds } from '../identity/external-ids.ts';
import { normalizeEmail } from '../identity/normalize-email.ts';
import { isKnownCountry, normalizePhone } from '../identity/normalize-phone.ts';
import type { CompiledField, CompiledMapping } from '../mapping/compile.ts';
import { MAX_DATE_DAYS, MAX_DATETIME_SECONDS, newDateParts, parseIso, toDays, toEpochSeconds, type DateParts } from '../validate/parse-date.ts';
import { parseCents, parseInteger } from '../validate/parse-number.ts';
import type { Batch } from './batch.ts';
import { hash53 } from './hash.ts';
import type { OutBuffer } from './out-buffer.ts';
import { firstInvalidUtf8, quoteValue, reasonText, showBytes } from './reasons.ts';
import { tableLayout, type TableLayout } from './table-layout.ts';

const EMPTY = Buffer.alloc(0);

/** The current input row: one byte range per canonical field (start -1: no value). */
export class RowInput {
  readonly bufs: Buffer[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  line = 0;
  /** Some byte ≥ 0x80 in the row: fields are checked for valid UTF-8. */
  high = false;
  /** The row as read, for rejects. */
  rawBuf: Buffer = EMPTY;
  rawStart = 0;
  rawEnd = 0;
  rawText: string | undefined;

  constructor(readonly fieldCount: number) {
    this.bufs = new Array<Buffer>(fieldCount).fill(EMPTY);
    this.start = new Int32Array(fieldCount).fill(-1);
    this.end = new Int32Array(fieldCount);
  }

  raw(): string {
    if (this.rawText !== undefined) return this.rawText;
    let e = this.rawEnd;
    while (e > this.rawStart && (this.rawBuf[e - 1] === 10 || this.rawBuf[e - 1] === 13)) e--;
    return showBytes(this.rawBuf, this.rawStart, Math.min(e, this.rawStart + 4000));
  }
}

/** Where a row's customer id comes from: identity resolution (customers) or the identity map (facts). */
export interface CustomerIdSource {
  /** The 14 id bytes, or undefined when the id must be looked up before the batch is written. */
  idFor(source: string, ref: string): Buffer | undefined;
  /** Byte-level lookup for the fast path (facts): no string per row. */
  fast?: FastRefs;
}

export interface FastRefs {
  /** A small number per source name. */
  tagOf(source: string): number;
  /** Offset of the 14 id bytes in `values()` for a known reference (TSV-escaped bytes), else -1. */
  idOffset(tag: number, b: Uint8Array, s: number, e: number): number;
  values(): Buffer;
}

/** What the customers pass of identity resolution needs from each valid record. */
export interface IdentityKeys {
  source: string;
  sourceId: string;
  emailNorm: string;
  phoneNorm: string;
  externalIds: Map<string, string>;
  version: number;
  line: number;
}

const enum Kind {
  Id,
  Str,
  Enum,
  Date,
  DateTime,
  Decimal,
  Int,
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

const PLACEHOLDER_ID = Buffer.from('C-????????????');

/**
 * Validates one input row field by field and writes it as a TabSeparated line into the batch.
 * A row with any bad field is not written: each problem becomes a reject with line, field and a
 * reason. Hot path for the CSV fast path: no object per row, values parsed from bytes.
 */
export class RowEncoder {
  readonly layout: TableLayout;
  readonly steps: Step[];
  readonly #parts: DateParts = newDateParts();
  readonly #errors: { field: string; detail: string }[] = [];
  readonly #batchIdBytes: Buffer;
  readonly #fieldCount: number;
  readonly #idField: number;
  readonly #sourceField: number;
  readonly #refField: number;
  readonly #versionField: CompiledField | undefined;
  readonly #currencyField: CompiledField | undefined;
  readonly #countryField: number;
  readonly #customerKeySlot: number;
  /** Fields with a value map (most mappings have none). */
  readonly #mappedFields: number[];
  /** Set by the customers pass: receives the matching keys of every valid record. */
  onIdentity: ((keys: IdentityKeys) => void) | undefined;
  #lastSourceBuf: Buffer | undefined;
  #lastSourceStart = -1;
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
  #lastTagSource = '';
  #lastTag = -1;

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
    this.#countryField = spec.name === 'customers' ? idx('country') : -1;
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
      const kind = spec.name === 'customers' && f.name === 'email' ? Kind.Email : spec.name === 'customers' && f.name === 'phone' ? Kind.Phone : kindOf(f);
      const step = this.#step(kind, field, column);
      step.movable = column === movable;
      this.steps.push(step);
    }
    if (spec.name === 'customers') {
      this.steps.push({ ...this.#step(Kind.Attributes, mapping.fields[0], 'attributes'), index: -1 });
    }
    this.#customerKeySlot = this.layout.keyColumns.indexOf('customer_id');
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
    const errors = this.#errors;
    errors.length = 0;
    if (row.high) this.#checkUtf8(row);
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
    batch.sortDate[r] = this.#sortDate;
    batch.custOff[r] = -1;
    batch.pendingRef[r] = -1;
    if (this.layout.hasCustomerId) {
      const source = this.#sourceText(row);
      const custStart = out.pos;
      const fast = this.customerIds?.fast;
      if (fast && this.#refField >= 0) {
        // Facts: the reference's bytes as written are the lookup key.
        if (source !== this.#lastTagSource || this.#lastTag < 0) {
          this.#lastTag = fast.tagOf(source);
          this.#lastTagSource = source;
        }
        const at = fast.idOffset(this.#lastTag, out.buf, this.#refStart, this.#refEnd);
        if (at >= 0) out.raw(fast.values(), at, at + 14);
        else {
          out.raw(PLACEHOLDER_ID, 0, PLACEHOLDER_ID.length);
          batch.pendingRef[r] = -2;
          batch.refTag[r] = this.#lastTag;
          batch.refStart[r] = this.#refStart;
          batch.refEnd[r] = this.#refEnd;
          batch.pendingCount++;
        }
      } else {
        const ref = this.#refField >= 0 ? this.#text(row, this.#refField) : this.#text(row, this.#idField);
        const id = this.customerIds?.idFor(source, ref);
        if (id) out.raw(id, 0, id.length);
        else {
          out.raw(PLACEHOLDER_ID, 0, PLACEHOLDER_ID.length);
          batch.pendingRef[r] = batch.pending(source, ref);
        }
      }
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
      batch.rejects.push({ line: row.line, recordId, field, reason: reasonText(row.line, field, detail), raw });
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
        row.bufs[f] = c;
        row.start[f] = 0;
        row.end[f] = c.length;
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
    this.#lastSourceStart = s;
    this.#lastSourceText = b.toString('utf8', s, row.end[f]);
    return this.#lastSourceText;
  }

  #readVersion(row: RowInput, field: CompiledField): void {
    const f = field.index;
    const s = row.start[f];
    if (s < 0) return;
    const p = this.#parts;
    if (!field.parseDate!(row.bufs[f], s, row.end[f], p)) {
      this.#error(field.spec.name, `${quoteValue(this.#text(row, f))} is not a date/time (expected ${field.expect})`);
      return;
    }
    const secs = toEpochSeconds(p);
    if (secs < 0 || secs > MAX_DATETIME_SECONDS) {
      this.#error(field.spec.name, `${quoteValue(this.#text(row, f))} is outside the range the warehouse stores (1970 to 2106)`);
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
      else if (st.kind === Kind.Int) out.byte(48);
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
        for (let i = s; i < e; i++) {
          if (b[i] < 32) {
            this.#error(st.name, `${quoteValue(text(b, s, e, row.high))} contains control characters`);
            return;
          }
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
    const n = e - s;
    const allowed = st.allowed;
    for (let k = 0; k < allowed.length; k++) {
      const a = allowed[k];
      if (a.length !== n) continue;
      let same = true;
      for (let i = 0; i < n; i++) {
        let c = b[s + i];
        if (c >= 65 && c <= 90) c |= 0x20;
        if (c !== a[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        out.raw(a, 0, n);
        return;
      }
    }
    const values = st.field.spec.values ?? [];
    this.#error(st.name, `${quoteValue(text(b, s, e, row.high))} is not one of: ${values.join(', ')}`);
  }

  #writeDate(st: Step, row: RowInput, b: Buffer, s: number, e: number, out: OutBuffer): void {
    const p = this.#parts;
    const field = st.field;
    const isDate = st.kind === Kind.Date;
    if (!field.parseDate!(b, s, e, p)) {
      const v = text(b, s, e, row.high);
      const hint = field.expect!.startsWith('YYYY-MM-DD') && /^\d{1,2}[./]\d{1,2}[./]\d{2,4}/.test(v) ? `; for other formats set dates.${st.name} in the mapping` : '';
      this.#error(st.name, `${quoteValue(v)} is not a ${isDate ? 'date' : 'date/time'} (expected ${field.expect}${hint})`);
      return;
    }
    if (isDate) {
      const days = toDays(p);
      if (days < 0 || days > MAX_DATE_DAYS) {
        this.#error(st.name, `${quoteValue(text(b, s, e, row.high))} is outside the range the warehouse stores (1970-01-01 to 2149-06-06)`);
        return;
      }
      if (st.movable) this.#sortDate = days;
      out.date(days);
    } else {
      const secs = toEpochSeconds(p);
      if (secs < 0 || secs > MAX_DATETIME_SECONDS) {
        this.#error(st.name, `${quoteValue(text(b, s, e, row.high))} is outside the range the warehouse stores (1970 to 2106)`);
        return;
      }
      if (st.movable) this.#sortDate = secs;
      out.epoch(secs);
    }
  }

  /** Records why a number was refused (the value text is only made here, on the error path). */
  #numberError(st: Step, raw: string, v: number, decimal: boolean): void {
    this.#checkNumber(st, raw, v, decimal);
  }

  #checkNumber(st: Step, raw: string, v: number, decimal: boolean): boolean {
    if (Number.isNaN(v)) {
      const sep = String.fromCharCode(this.mapping.numbers.decimal);
      this.#error(st.name, decimal ? `${quoteValue(raw)} is not a number (decimal separator "${sep}")` : `${quoteValue(raw)} is not a whole number`);
      return false;
    }
    const value = decimal ? v / 100 : v;
    if (value < st.min) {
      this.#error(st.name, st.min === 0 ? `${quoteValue(raw)} is negative (must be ≥ 0)` : `${quoteValue(raw)} is below the minimum ${st.min}`);
      return false;
    }
    if (value > st.max) {
      this.#error(st.name, `${quoteValue(raw)} is above the maximum ${st.max}`);
      return false;
    }
    return true;
  }

  #writeMoney(st: Step, row: RowInput, out: OutBuffer): void {
    const f = st.index;
    let cents = 0;
    if (row.start[f] >= 0) {
      cents = parseCents(row.bufs[f], row.start[f], row.end[f], this.mapping.numbers);
      if (!(cents / 100 >= st.min && cents / 100 <= st.max)) return this.#numberError(st, this.#text(row, f), cents, true);
    } else if (st.required) {
      this.#error(st.name, 'required value is missing');
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
        code = raw.toUpperCase();
        if (!/^[A-Z]{3}$/.test(code)) {
          this.#error(cf.spec.name, `${quoteValue(raw)} is not a 3-letter currency code`);
          return;
        }
        if (code === raw) this.#lastCurrency = code;
      }
    }
    const rate = cur.rates.get(code);
    if (rate === undefined) {
      this.#error(cf.spec.name, `no conversion rate from ${code} to ${cur.base} (add currency.rates.${code} to the mapping)`);
      return;
    }
    out.cents(rate === 1 ? cents : Math.round(cents * rate));
    out.byte(9);
    out.cents(cents);
    out.byte(9);
    out.ascii(code);
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
    out.byte(123);
    let first = true;
    for (const [k, v] of ids) {
      if (!first) out.byte(44);
      first = false;
      quoted(out, k);
      out.byte(58);
      quoted(out, v);
    }
    out.byte(125);
  }

  #writeStageHistory(st: Step, raw: string, out: OutBuffer): void {
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch {
      list = undefined;
    }
    const expected = 'is not a JSON array of {"stage": "...", "entered_at": "YYYY-MM-DD"}';
    if (!Array.isArray(list)) {
      this.#error(st.name, `${quoteValue(raw)} ${expected}`);
      return;
    }
    const entries: [string, number][] = [];
    const p = this.#parts;
    for (let i = 0; i < list.length; i++) {
      const item = list[i] as { stage?: unknown; entered_at?: unknown } | null;
      if (!item || typeof item !== 'object' || typeof item.stage !== 'string' || typeof item.entered_at !== 'string') {
        this.#error(st.name, `entry ${i + 1} ${expected.replace('is not a JSON array of ', 'is not ')}`);
        return;
      }
      const d = Buffer.from(item.entered_at.trim());
      const other = this.mapping.byName.get('created_at')?.parseDate;
      const ok = parseIso(d, 0, d.length, p) || (other !== undefined && other(d, 0, d.length, p));
      if (!ok || toDays(p) < 0 || toDays(p) > MAX_DATE_DAYS) {
        this.#error(st.name, `entry ${i + 1}: ${quoteValue(item.entered_at)} is not a date (expected YYYY-MM-DD)`);
        return;
      }
      entries.push([item.stage, toDays(p)]);
    }
    out.byte(91);
    entries.forEach(([stage, days], i) => {
      if (i > 0) out.byte(44);
      out.byte(40);
      quoted(out, stage);
      out.byte(44);
      out.byte(39);
      out.date(days);
      out.byte(39);
      out.byte(41);
    });
    out.byte(93);
  }
}

/**
 * A string inside a Map/Array value. ClickHouse reads these from TSV with quoted-string rules
 * directly (one level of backslash escapes, not TSV escaping on top).
 */
function quoted(out: OutBuffer, s: string): void {
  out.byte(39);
  const b = Buffer.from(s, 'utf8');
  out.reserve(b.length * 2 + 1);
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 92 || c === 39) {
      out.byte(92);
      out.byte(c);
    } else if (c === 9 || c === 10 || c === 13) {
      out.byte(92);
      out.byte(c === 9 ? 116 : c === 10 ? 110 : 114);
    } else out.byte(c);
  }
  out.byte(39);
}

interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Text of a byte range; ASCII rows skip UTF-8 decoding (Buffer's own slice methods, no argument checks). */
function text(b: Buffer, s: number, e: number, high: boolean): string {
  const f = b as unknown as FastSlices;
  return high ? f.utf8Slice(s, e) : f.latin1Slice(s, e);
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
    case 'external_ids':
      return Kind.ExternalIds;
    case 'stage_history':
      return Kind.StageHistory;
  }
}

export function rowInputFor(m: CompiledMapping): RowInput {
  return new RowInput(m.fields.length);
}
