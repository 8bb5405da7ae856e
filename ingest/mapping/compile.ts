import type { EntitySpec, FieldSpec } from '../entities/types.ts';
import { compileDateFormat, parseIso, type DateParser } from '../validate/parse-date.ts';
import { DEFAULT_NUMBER_FORMAT, type NumberFormat } from '../validate/parse-number.ts';
import { InputError } from '../core/input-error.ts';
import { MappingError, normalizeEncoding, WHITESPACE, type Mapping, type OrdersBy } from './mapping-file.ts';
import { configFrom, type Config } from '../../lib/config/schema.ts';

export interface CompiledField {
  index: number;
  spec: FieldSpec;
  /** Date fields: the parser and what to tell a person when a value does not fit. */
  parseDate?: DateParser;
  expect?: string;
  /** Value map (exact spelling first, then case-insensitive). */
  values?: Map<string, string>;
  valuesLower?: Map<string, string>;
  /** Used when the row has no value. */
  constant?: Buffer;
}

export interface CompiledMapping {
  entity: EntitySpec;
  fields: CompiledField[];
  byName: Map<string, CompiledField>;
  numbers: NumberFormat;
  currency: { base: string; fallback?: string; rates: Map<string, number>; minorUnits: boolean };
  defaultCountry: string;
  csv: CompiledCsv;
  renames: Map<string, string>;
  ignore: Set<string>;
  /** Entities with a derivable grouping id (transactions' order_id): how rows without one are grouped. */
  orders: OrdersBy;
  /** mapping orders.lineIds: derived transaction ids from order id + product, not the whole row. */
  lineIds: boolean;
  /** Mapping `skip`: rows left out by a field's value (lower-cased, trimmed), counted by the encoder. */
  skip: { index: number; values: Set<string> }[];
  /** Mapping `credits`: which rows are return/credit lines loaded as such (entity.credits). */
  credits?: { sign: boolean; orderPrefix?: Buffer };
}

export interface CompiledCsv {
  /** A one-byte delimiter: the fast parser. Undefined with `separator` or `whitespace`, or when the file type decides (`,` or tab). */
  delimiter?: number;
  /** A delimiter of several bytes (`||`, `; `, a multi-byte character). */
  separator?: Buffer;
  /** Fields separated by runs of spaces and tabs. */
  whitespace: boolean;
  quote: number;
  encoding: 'utf-8' | 'windows-1252';
  /** The first line is a header (default). */
  header: boolean;
  /** Column names by position (replace the header's, or name a headerless file's columns). */
  names?: readonly string[];
  /** Physical lines above the header (a report's title lines) that are not read. */
  skipLines: number;
  /** mapping csv.groupHeading: the field whose column holds a grouped report's headings, carried down to the rows below. */
  groupHeading?: CompiledField;
}

export interface CompileOptions {
  /** --source: wins over the mapping's source. */
  source?: string;
  /** CRM_BASE_CURRENCY, CRM_DEFAULT_COUNTRY: the environment or a parsed Config (default process.env). */
  env?: Record<string, string | undefined> | Config;
}

/** Header spelling forgiveness: `Customer Ref`, `customer-ref` and `CUSTOMER_REF` all name customer_ref. */
export function headerKey(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

export function compileMapping(entity: EntitySpec, mapping: Mapping = {}, opts: CompileOptions = {}): CompiledMapping {
  const env = configFrom(opts.env ?? process.env);
  const byName = new Map<string, CompiledField>();
  const fields = entity.fields.map((spec, index) => {
    const f: CompiledField = { index, spec };
    byName.set(spec.name, f);
    return f;
  });
  const known = (name: string, where: string): CompiledField => {
    const f = byName.get(name);
    if (!f) throw new MappingError(`${where}: "${name}" is not a field of ${entity.name} (fields: ${entity.fields.map((x) => x.name).join(', ')})`);
    return f;
  };

  const renames = new Map<string, string>();
  for (const [from, to] of Object.entries(mapping.columns ?? {})) {
    known(to, `mapping "columns" maps "${from}"`);
    renames.set(from, to);
  }

  for (const [name, value] of Object.entries(mapping.constants ?? {})) known(name, 'mapping "constants"').constant = Buffer.from(value, 'utf8');
  const source = opts.source ?? mapping.source;
  if (source !== undefined) {
    const f = byName.get('source');
    if (f) f.constant = Buffer.from(source, 'utf8');
  }

  const defaultFormat = mapping.dates?.['*'];
  for (const f of fields) {
    if (f.spec.type !== 'date' && f.spec.type !== 'datetime') continue;
    const format = mapping.dates?.[f.spec.name] ?? defaultFormat;
    if (format) {
      try {
        f.parseDate = compileDateFormat(format);
      } catch (e) {
        throw new MappingError(`mapping "dates.${f.spec.name}": ${(e as Error).message}`);
      }
      f.expect = format;
    } else {
      f.parseDate = parseIso;
      f.expect = f.spec.type === 'date' ? 'YYYY-MM-DD' : 'YYYY-MM-DD HH:MM:SS or ISO 8601';
    }
  }
  for (const name of Object.keys(mapping.dates ?? {})) {
    if (name === '*') continue;
    const f = known(name, 'mapping "dates"');
    if (f.spec.type !== 'date' && f.spec.type !== 'datetime') throw new MappingError(`mapping "dates.${name}": ${name} is not a date field`);
  }

  for (const [name, map] of Object.entries(mapping.values ?? {})) {
    const f = known(name, 'mapping "values"');
    f.values = new Map(Object.entries(map));
    f.valuesLower = new Map(Object.entries(map).map(([k, v]) => [k.trim().toLowerCase(), v]));
  }

  const byte = (s: string | undefined, dflt: number): number => (s === undefined ? dflt : s === '' ? -1 : s.charCodeAt(0));
  const numbers: NumberFormat = {
    decimal: byte(mapping.numbers?.decimal, DEFAULT_NUMBER_FORMAT.decimal),
    thousands: byte(mapping.numbers?.thousands, DEFAULT_NUMBER_FORMAT.thousands),
  };
  if (numbers.decimal < 0) numbers.decimal = 46;
  if (mapping.numbers?.currencySymbol) numbers.symbol = new TextEncoder().encode(mapping.numbers.currencySymbol);

  const base = (mapping.currency?.base ?? env.CRM_BASE_CURRENCY ?? 'EUR').toUpperCase();
  const rates = new Map<string, number>(Object.entries(mapping.currency?.rates ?? {}).map(([k, v]) => [k.toUpperCase(), v]));
  rates.set(base, 1);

  if (mapping.orders && !entity.derive?.group) throw new MappingError(`mapping "orders": ${entity.name} have no orders to form`);

  const skip = Object.entries(mapping.skip ?? {}).map(([name, list]) => ({
    index: known(name, 'mapping "skip"').index,
    values: new Set(list.map((v) => v.trim().toLowerCase())),
  }));
  if (mapping.credits && !entity.credits) throw new MappingError(`mapping "credits": ${entity.name} have no credit lines`);
  const credits =
    mapping.credits && (mapping.credits.sign || mapping.credits.orderPrefix)
      ? { sign: mapping.credits.sign === true, orderPrefix: mapping.credits.orderPrefix ? Buffer.from(mapping.credits.orderPrefix.trim(), 'utf8') : undefined }
      : undefined;

  const encoding = normalizeEncoding(mapping.csv?.encoding ?? 'utf-8');
  if (!encoding) throw new MappingError(`mapping "csv.encoding": unsupported encoding ${mapping.csv?.encoding}`);
  return {
    entity,
    fields,
    byName,
    numbers,
    currency: { base, fallback: mapping.currency?.default?.toUpperCase(), rates, minorUnits: mapping.currency?.minorUnits === true },
    defaultCountry: (mapping.defaultCountry ?? env.CRM_DEFAULT_COUNTRY ?? 'DE').toUpperCase(),
    csv: { ...compileCsv(mapping, encoding), groupHeading: mapping.csv?.groupHeading ? known(mapping.csv.groupHeading, 'mapping "csv.groupHeading"') : undefined },
    renames,
    ignore: new Set(mapping.ignore ?? []),
    orders: mapping.orders?.by ?? 'customer_timestamp',
    lineIds: mapping.orders?.lineIds === true,
    skip,
    credits,
  };
}

function compileCsv(mapping: Mapping, encoding: 'utf-8' | 'windows-1252'): CompiledCsv {
  const d = mapping.csv?.delimiter;
  const bytes = d === undefined || d === WHITESPACE ? undefined : Buffer.from(d, 'utf8');
  return {
    delimiter: bytes?.length === 1 ? bytes[0] : undefined,
    separator: bytes && bytes.length > 1 ? bytes : undefined,
    whitespace: d === WHITESPACE,
    quote: (mapping.csv?.quote ?? '"').charCodeAt(0),
    encoding,
    header: mapping.csv?.header ?? true,
    names: mapping.csv?.names,
    skipLines: mapping.csv?.skipLines ?? 0,
  };
}

export interface ColumnPlan {
  /** Per canonical field: the input column it comes from, or -1. */
  colOf: Int32Array;
  /** Input columns that map to nothing (reported once as a warning). */
  unknown: string[];
  /** Required fields with neither a column nor a constant: nothing could load. */
  missingRequired: string[];
  /** The entity's id field has no column: each row's id is derived from its content (entity.derive.id). */
  deriveId: boolean;
}

/**
 * Matches input column names (CSV header, JSON keys, Parquet columns) to canonical fields. Two
 * columns landing on one field (the same header twice, or `Customer Ref` beside `customer_ref`)
 * are an InputError naming both: silently keeping one would drop the other's data. The mapping
 * resolves it with `ignore`, a rename in `columns`, or `csv.names`.
 */
export function planColumns(m: CompiledMapping, names: readonly string[]): ColumnPlan {
  const colOf = new Int32Array(m.fields.length).fill(-1);
  const unknown: string[] = [];
  const canonicalByKey = new Map(m.fields.map((f) => [headerKey(f.spec.name), f]));
  const clean = names.map((raw) => raw.replace(/^\uFEFF/, ''));
  // A rename or ignore entry spelled exactly like a column applies to that column only; otherwise
  // it matches forgivingly (so "Customer Ref" in `ignore` does not also drop a customer_ref column).
  const exact = new Set(clean);
  const renamesByKey = new Map([...m.renames].filter(([from]) => !exact.has(from)).map(([from, to]) => [headerKey(from), to]));
  const ignoreKeys = new Set([...m.ignore].filter((x) => !exact.has(x)).map(headerKey));
  const clashes: string[] = [];
  clean.forEach((name, col) => {
    if (m.ignore.has(name) || ignoreKeys.has(headerKey(name))) return;
    const target = m.renames.get(name) ?? renamesByKey.get(headerKey(name));
    const f = target !== undefined ? m.byName.get(target) : canonicalByKey.get(headerKey(name));
    if (!f) {
      if (name.trim() !== '') unknown.push(name);
      return;
    }
    const first = colOf[f.index];
    if (first === -1) colOf[f.index] = col;
    else clashes.push(`columns ${describeColumn(names, first)} and ${describeColumn(names, col)} both map to field ${f.spec.name}`);
  });
  if (clashes.length > 0) {
    throw new InputError(
      `${clashes.join('; ')}: list the one to drop in "ignore", rename it in "columns", or name the columns by position with "csv.names" in a mapping file`,
    );
  }
  const idField = m.entity.derive?.id ? m.byName.get(m.entity.idField) : undefined;
  const deriveId = idField !== undefined && colOf[idField.index] === -1 && !idField.constant;
  // An amount the rows price per unit instead: unit_price × quantity fills it (checked per row).
  const money = m.entity.money;
  const unitPrice = money?.unitPrice ? m.byName.get(money.unitPrice) : undefined;
  const priced = unitPrice !== undefined && (colOf[unitPrice.index] >= 0 || unitPrice.constant !== undefined);
  const fromPrice = (f: CompiledField): boolean => priced && f.spec.name === money!.amount;
  const missingRequired = m.fields
    .filter((f) => f.spec.required && colOf[f.index] === -1 && !f.constant && !(deriveId && f === idField) && !fromPrice(f))
    .map((f) => f.spec.name);
  return { colOf, unknown, missingRequired, deriveId };
}

function describeColumn(names: readonly string[], col: number): string {
  return `"${names[col]}" (column ${col + 1})`;
}
