import { hash } from 'node:crypto';
import type { CompiledField, CompiledMapping } from '../mapping/compile.ts';
import type { OrdersBy } from '../mapping/mapping-file.ts';
import { newDateParts, toDays, toEpochSeconds } from '../validate/parse-date.ts';
import { OccurrenceCounter } from './occurrence-counter.ts';
import type { RowInput } from './row-input.ts';

const ORDERS_TEXT: Record<OrdersBy, (noun: string) => string> = {
  customer_timestamp: (noun) => `one per customer and ${noun} timestamp`,
  customer_day: () => 'one per customer and day',
  line: () => 'one per line',
};

/**
 * Fills in the ids an export does not have, as the entity contract allows (`derive`), before a row
 * is validated:
 *
 * - the record id (transaction_id) when the input has no column for it: the first 64 bits of the
 *   SHA-256 of the row's content (every other field's trimmed value, by name; `updated_at` left out
 *   so a newer export of the same row updates it) and the row's occurrence among identical rows so
 *   far, `<16 hex>-<n>`. Loading the same file again gives the same ids (nothing is added), and two
 *   identical purchases on one day stay two rows.
 * - the grouping id (order_id) of a row without one, per mapping `orders.by`: `<customer_ref>@<order
 *   time as YYYY-MM-DD HH:MM:SS UTC>` (default), `<customer_ref>@<YYYY-MM-DD>` (customer_day), or the
 *   row's own id (line).
 *
 * `describe()` says what was derived, for the load's summary.
 */
export class DerivedIds {
  readonly #m: CompiledMapping;
  readonly #id: CompiledField | undefined;
  readonly #group: { field: CompiledField; customer: CompiledField; time: CompiledField } | undefined;
  readonly #versionIndex: number;
  readonly #names: Buffer[];
  readonly #counter = new OccurrenceCounter();
  readonly #parts = newDateParts();
  #deriveId = false;
  /** order_id first: rows with an order id are keyed by these fields only (mapping orders.lineIds). */
  readonly #lineKey: CompiledField[] | undefined;
  /** Whether the input has a column for the grouping field: known for files with a header or schema. */
  #groupColumn: boolean | undefined;
  #content = Buffer.allocUnsafe(1 << 12);
  #idBuf = Buffer.allocUnsafe(64);
  #groupBuf = Buffer.allocUnsafe(256);
  rows = 0;
  idsDerived = 0;
  groupsDerived = 0;

  constructor(m: CompiledMapping) {
    this.#m = m;
    const d = m.entity.derive;
    this.#id = d?.id ? m.byName.get(m.entity.idField) : undefined;
    const g = d?.group;
    if (g)
      this.#group = { field: m.byName.get(g.field)!, customer: m.byName.get(g.customer)!, time: m.byName.get(g.time)! };
    this.#versionIndex = m.entity.versionField ? (m.byName.get(m.entity.versionField)?.index ?? -1) : -1;
    this.#names = m.fields.map((f) => Buffer.from(`${f.spec.name}=`));
    if (m.lineIds && m.byName.has('order_id'))
      this.#lineKey = ['order_id', 'product_id', 'product_name'].flatMap((n) => m.byName.get(n) ?? []);
  }

  /** Anything to do for this entity at all (else the job need not call apply). */
  get active(): boolean {
    return this.#id !== undefined || this.#group !== undefined;
  }

  /** From the column plan of a file with a header or schema: derive the id when it has no column. */
  useColumns(plan: { colOf: Int32Array; deriveId: boolean }): void {
    this.#deriveId = plan.deriveId;
    if (this.#group) this.#groupColumn = plan.colOf[this.#group.field.index] >= 0;
  }

  apply(row: RowInput): RowInput {
    this.rows++;
    if (this.#deriveId) this.#applyId(row);
    const g = this.#group;
    if (g && !hasValue(row, g.field)) this.#applyGroup(row, g);
    return row;
  }

  #applyId(row: RowInput): void {
    const m = this.#m;
    const idIndex = this.#id!.index;
    // orders.lineIds: a line is its order and product (its place among equal ones is the occurrence
    // below), so a re-export with another status or amount gives the same id and updates the line.
    const lineKey = this.#lineKey !== undefined && hasValue(row, this.#lineKey[0]) ? this.#lineKey : undefined;
    let w = 0;
    for (const f of lineKey ?? m.fields) {
      const i = f.index;
      if (i === idIndex || i === this.#versionIndex) continue;
      let b: Buffer;
      let s: number;
      let e: number;
      if (row.start[i] >= 0) {
        b = row.bufs[i];
        s = row.start[i];
        e = row.end[i];
        while (s < e && (b[s] === 32 || b[s] === 9)) s++;
        while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
      } else {
        b = EMPTY;
        s = e = 0;
      }
      if (s === e && f.constant) {
        b = f.constant;
        s = 0;
        e = b.length;
      }
      if (s === e) continue;
      const name = this.#names[i];
      const need = w + name.length + (e - s) + 1;
      if (need > this.#content.length) {
        const bigger = Buffer.allocUnsafe(need * 2);
        this.#content.copy(bigger, 0, 0, w);
        this.#content = bigger;
      }
      w += name.copy(this.#content, w);
      w += b.copy(this.#content, w, s, e);
      this.#content[w++] = 0x1f;
    }
    const digest = hash('sha256', this.#content.subarray(0, w), 'hex').slice(0, 16);
    const n = this.#counter.next(parseInt(digest.slice(0, 12), 16));
    const len = this.#idBuf.write(`${digest}-${n}`, 0, 'latin1');
    row.bufs[idIndex] = this.#idBuf;
    row.start[idIndex] = 0;
    row.end[idIndex] = len;
    this.idsDerived++;
  }

  #applyGroup(row: RowInput, g: { field: CompiledField; customer: CompiledField; time: CompiledField }): void {
    const by = this.#m.orders;
    let text: string | undefined;
    if (by === 'line') {
      const id = this.#id ?? this.#m.byName.get(this.#m.entity.idField)!;
      if (hasValue(row, id)) text = row.bufs[id.index].toString('utf8', row.start[id.index], row.end[id.index]).trim();
    } else {
      const customer = valueOf(row, g.customer);
      const time = valueOf(row, g.time);
      const parse = g.time.parseDate;
      // Without a customer or a readable time the row is rejected for that field anyway.
      if (customer && time && parse && parse(time.b, time.s, time.e, this.#parts)) {
        const stamp = by === 'customer_day' ? isoDay(toDays(this.#parts)) : isoSeconds(toEpochSeconds(this.#parts));
        text = `${customer.b.toString('utf8', customer.s, customer.e)}@${stamp}`;
      }
    }
    if (!text) return;
    const len = Buffer.byteLength(text);
    if (this.#groupBuf.length < len) this.#groupBuf = Buffer.allocUnsafe(len * 2);
    this.#groupBuf.write(text, 0, 'utf8');
    row.bufs[g.field.index] = this.#groupBuf;
    row.start[g.field.index] = 0;
    row.end[g.field.index] = len;
    this.groupsDerived++;
  }

  /** E.g. "transaction ids derived from row content (no transaction_id column); orders: one per customer and order timestamp (no order_id column)". */
  describe(): string | undefined {
    const parts: string[] = [];
    if (this.idsDerived > 0) {
      const field = this.#m.entity.idField;
      parts.push(
        `${noun(field)} ids derived from ${this.#lineKey ? 'order id and product (orders.lineIds)' : 'row content'} (no ${field} column)`,
      );
    }
    const g = this.#group;
    if (g && this.groupsDerived > 0) {
      const field = g.field.spec.name;
      const why =
        this.groupsDerived === this.rows
          ? this.#groupColumn === false
            ? `no ${field} column`
            : `no ${field} in the input`
          : `${this.groupsDerived.toLocaleString('en-US')} of ${this.rows.toLocaleString('en-US')} rows had no ${field}`;
      parts.push(`${noun(field)}s: ${ORDERS_TEXT[this.#m.orders](noun(field))} (${why})`);
    }
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
}

const EMPTY = Buffer.alloc(0);

function noun(field: string): string {
  return field.replace(/_id$/, '').replace(/_/g, ' ');
}

/** Like `valueOf(…) !== undefined`, without an object per row (this runs on every row of the fast path). */
function hasValue(row: RowInput, f: CompiledField): boolean {
  const s = row.start[f.index];
  if (s >= 0) {
    const b = row.bufs[f.index];
    const e = row.end[f.index];
    for (let i = s; i < e; i++) if (b[i] !== 32 && b[i] !== 9) return true;
  }
  return f.constant !== undefined && f.constant.length > 0;
}

/** The trimmed value of a field, falling back to the mapping's constant; undefined when empty. */
function valueOf(row: RowInput, f: CompiledField): { b: Buffer; s: number; e: number } | undefined {
  let s = row.start[f.index];
  if (s >= 0) {
    const b = row.bufs[f.index];
    let e = row.end[f.index];
    while (s < e && (b[s] === 32 || b[s] === 9)) s++;
    while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
    if (s < e) return { b, s, e };
  }
  return f.constant && f.constant.length > 0 ? { b: f.constant, s: 0, e: f.constant.length } : undefined;
}

function isoDay(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

function isoSeconds(secs: number): string {
  return new Date(secs * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
