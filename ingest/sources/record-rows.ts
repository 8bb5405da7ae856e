import { RowInput } from './row-input.ts';
import { headerKey, type CompiledMapping } from '../mapping/compile.ts';
import { jsonTypeProblem } from '../validate/check-json-type.ts';

/**
 * Turns JS objects (NDJSON lines, Parquet rows, records passed to ingestRecords) into RowInput:
 * keys are matched to fields like CSV headers (renames, forgiving spelling), values become UTF-8
 * text — numbers, dates, nested JSON — so they go through the same validation as CSV.
 */
export class RecordRows {
  readonly row: RowInput;
  #scratch = Buffer.allocUnsafe(1 << 12);
  readonly #keyField = new Map<string, number>();
  readonly #canonical: Map<string, number>;
  readonly #renames: Map<string, string>;
  readonly #ignore: Set<string>;
  readonly #values: (unknown | undefined)[];
  /** Fields whose JSON numbers are written with all their digits (quantities: see quantityText). */
  readonly #exact: boolean[];

  constructor(
    readonly mapping: CompiledMapping,
    readonly onUnknownKey: (name: string) => void,
  ) {
    this.row = new RowInput(mapping.fields.length);
    this.#canonical = new Map(mapping.fields.map((f) => [headerKey(f.spec.name), f.index]));
    this.#renames = new Map([...mapping.renames].map(([from, to]) => [headerKey(from), to]));
    this.#ignore = new Set([...mapping.ignore].map(headerKey));
    this.#values = new Array(mapping.fields.length);
    this.#exact = mapping.fields.map((f) => f.spec.type === 'quantity');
  }

  #fieldOf(key: string): number {
    let f = this.#keyField.get(key);
    if (f !== undefined) return f;
    const target = this.mapping.renames.get(key) ?? this.#renames.get(headerKey(key));
    f = target !== undefined ? (this.mapping.byName.get(target)?.index ?? -1) : (this.#canonical.get(headerKey(key)) ?? -1);
    if (f < 0 && !this.#ignore.has(headerKey(key))) this.onUnknownKey(key);
    this.#keyField.set(key, f);
    return f;
  }

  /** Fills `row` from `obj`; `raw` is what a reject shows. */
  fill(obj: Record<string, unknown>, line: number, raw: string): RowInput {
    const values = this.#values;
    values.fill(undefined);
    for (const key of Object.keys(obj)) {
      const f = this.#fieldOf(key);
      if (f >= 0 && values[f] === undefined) values[f] = obj[key];
    }
    const row = this.row;
    row.line = line;
    row.rawText = raw;
    row.high = false;
    row.typeProblems.length = 0;
    for (let f = 0; f < values.length; f++) {
      const problem = jsonTypeProblem(values[f], this.mapping.fields[f].spec.type);
      if (problem !== undefined) row.typeProblems.push({ field: f, detail: problem });
    }
    const dec = this.mapping.numbers.decimal;
    let pos = 0;
    const texts: (string | undefined)[] = values.map((v, f) => (this.#exact[f] && typeof v === 'number' ? quantityText(v, dec) : toText(v, dec)));
    let need = 0;
    for (const t of texts) if (t !== undefined) need += t.length * 3;
    if (this.#scratch.length < need) this.#scratch = Buffer.allocUnsafe(need * 2);
    const buf = this.#scratch;
    for (let f = 0; f < texts.length; f++) {
      const t = texts[f];
      if (t === undefined) {
        row.start[f] = -1;
        continue;
      }
      for (let i = 0; i < t.length; i++) {
        if (t.charCodeAt(i) > 127) {
          row.high = true;
          break;
        }
      }
      const n = buf.write(t, pos, 'utf8');
      row.bufs[f] = buf;
      row.start[f] = pos;
      row.end[f] = pos + n;
      pos += n;
    }
    return row;
  }
}

/**
 * A JSON number for a quantity: its 15 significant digits, which hold any decimal a double was
 * parsed from (0.3333333, QuickBooks' 20 minutes) and drop the binary noise of arithmetic
 * (0.1 + 0.2 → 0.3), never in exponent notation. Rounding it to 6 decimals like other numbers
 * (toText) changed 0.3333333 to 0.333333 without a word; with all its digits a value the column
 * cannot hold (7.123456789) is refused like the same text in a CSV.
 */
export function quantityText(v: number, decimal: number): string {
  if (!Number.isFinite(v)) return String(v);
  const n = Number(v.toPrecision(15));
  let s = String(n);
  if (/e/i.test(s)) s = Math.abs(n) < 1 ? n.toFixed(20).replace(/\.?0+$/, '') : BigInt(Math.round(n)).toString();
  return decimal === 46 ? s : s.replace('.', String.fromCharCode(decimal));
}

function toText(v: unknown, decimal: number): string | undefined {
  if (v === null || v === undefined) return undefined;
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      if (!Number.isFinite(v)) return String(v);
      {
        const s = Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
        return decimal === 46 ? s : s.replace('.', String.fromCharCode(decimal));
      }
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    default:
      return String(v);
  }
}
