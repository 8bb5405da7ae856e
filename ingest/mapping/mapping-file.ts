import { readFileSync } from 'node:fs';

/**
 * A column-mapping file lets a user load their own export: other headers, constants, date formats,
 * number formats, currencies, value maps and CSV dialect. Every key is optional. See ingest/README.md.
 */
export interface Mapping {
  /** Source name for every row (same as --source; a `source` column in the file wins over neither: --source > mapping > column). */
  source?: string;
  /** Input format when the extension does not say it. */
  format?: 'csv' | 'ndjson' | 'parquet';
  csv?: {
    /**
     * Field delimiter (default `,`; `.tsv` files default to tab): one character, a longer string
     * (`"||"`, `"; "`), or `"whitespace"`: runs of spaces and tabs, leading and trailing ones ignored
     * (fixed-width-looking exports such as the CDNOW purchase log). Quotes are honoured in every case.
     */
    delimiter?: string;
    /** `false`: the first line is data, not a header; the columns are named by `names` (default true). */
    header?: boolean;
    /**
     * Column names by position. Required with `header: false`; with a header line they replace the
     * header's names (e.g. to tell apart two columns with the same header). Names go through
     * `columns` renames and `ignore` like header names do.
     */
    names?: string[];
    /** Quote character (default `"`). */
    quote?: string;
    /**
     * Lines before the header (or, without one, before the first record) to leave out: the title,
     * company and date-range lines that accounting reports (QuickBooks, Xero) put above the table.
     */
    skipLines?: number;
    /** `utf-8` (default) or `latin1` / `iso-8859-1` / `windows-1252`. */
    encoding?: string;
    /**
     * A report grouped under headings (QuickBooks' Sales by Customer Detail: a line with the
     * customer's name alone, its rows below with that cell empty, a "Total for …" line): the field
     * (e.g. `customer_ref`) whose column holds the headings. A row with that cell filled is a heading
     * or a total, not a record (counted, neither loaded nor rejected); a row with it empty takes the
     * last heading above it. Rows with every cell empty are left out too.
     */
    groupHeading?: string;
  };
  /** Header renames: `{"Their header": "canonical_field"}`. */
  columns?: Record<string, string>;
  /** Fixed values for canonical fields, used when the row has no value: `{"channel": "store"}`. */
  constants?: Record<string, string>;
  /**
   * Date/time formats per canonical field (or `"*"` for all date fields): tokens YYYY MM M DD D HH H
   * mm ss SSS, any other character is literal; or `ISO`, `epoch` (seconds), `epoch_ms`, `excel` (serial days).
   */
  dates?: Record<string, string>;
  /** Number format for decimals and integers: `{"decimal": ",", "thousands": "."}`. */
  numbers?: { decimal?: string; thousands?: string; currencySymbol?: string };
  currency?: {
    /** Currency of the amounts when the row has none (per file). */
    default?: string;
    /** Canonical currency of the warehouse (default: CRM_BASE_CURRENCY or EUR). */
    base?: string;
    /** Amounts are whole numbers of the currency's minor unit (4900 = 49.00 USD), as Stripe's API writes them. */
    minorUnits?: boolean;
    /** Conversion rates to the base currency: amount = original_amount × rate. */
    rates?: Record<string, number>;
  };
  /** Value maps per canonical field, applied before validation: `{"status": {"Erstattet": "refunded"}}`. */
  values?: Record<string, Record<string, string>>;
  /** Source columns to drop without a warning. */
  ignore?: string[];
  /**
   * Rows to leave out, by a field's value (as loaded: trimmed, after `values`; case-insensitive):
   * `{"product_id": ["POST", "DOT", "AMAZONFEE"]}` keeps postage and fee lines out of sales. They are
   * counted in the summary, neither loaded nor rejected.
   */
  skip?: Record<string, string[]>;
  /**
   * Transactions without an `order_id`: how lines become orders. `customer_timestamp` (default): one
   * order per customer and order time; `customer_day`: per customer and calendar day; `line`: every
   * line its own order. Rows that have an order_id keep it.
   */
  orders?: {
    by?: OrdersBy;
    /**
     * Without a transaction_id column, derive each line's id from its order id, product and place
     * among that order's lines with the same product, not from the whole row: a re-export in which
     * a status, amount or date changed then updates the line instead of adding another.
     */
    lineIds?: boolean;
  };
  /**
   * Transactions: return/credit lines of their own (a cancelled invoice's lines, credit notes) are
   * loaded as status `credit`, amount and quantity as magnitudes: `sign` — a row with a negative
   * quantity, amount or unit price is one; `orderPrefix` — a row whose order id starts with it is one
   * (`"C"` for C536379). Without it such rows are rejected and counted.
   */
  credits?: { sign?: boolean; orderPrefix?: string };
  /** Default country (ISO alpha-2) for phone numbers without a country code (default: the record's country, else CRM_DEFAULT_COUNTRY, else DE). */
  defaultCountry?: string;
}

export type OrdersBy = 'customer_timestamp' | 'customer_day' | 'line';
export const ORDERS_BY: readonly OrdersBy[] = ['customer_timestamp', 'customer_day', 'line'];

/** The `csv.delimiter` value that means runs of spaces and tabs. */
export const WHITESPACE = 'whitespace';

export class MappingError extends Error {}

const TOP_KEYS = new Set(['source', 'format', 'csv', 'columns', 'constants', 'dates', 'numbers', 'currency', 'values', 'ignore', 'skip', 'orders', 'credits', 'defaultCountry', '$comment']);
const CSV_KEYS = new Set(['delimiter', 'quote', 'encoding', 'header', 'names', 'skipLines', 'groupHeading']);

/** Checks the shape of a mapping object and explains the first problem in plain words. */
export function validateMapping(raw: unknown, where = 'mapping'): Mapping {
  const fail = (msg: string): never => {
    throw new MappingError(`${where}: ${msg}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('must be a JSON object');
  const m = raw as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!TOP_KEYS.has(k)) fail(`unknown key "${k}" (known: ${[...TOP_KEYS].filter((x) => x !== '$comment').join(', ')})`);
  const strMap = (key: string): void => {
    const v = m[key];
    if (v === undefined) return;
    if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`"${key}" must be an object of strings`);
    for (const [k, x] of Object.entries(v as object)) if (typeof x !== 'string') fail(`"${key}.${k}" must be a string`);
  };
  strMap('columns');
  strMap('constants');
  strMap('dates');
  if (m.source !== undefined && (typeof m.source !== 'string' || !m.source.trim())) fail('"source" must be a non-empty string');
  if (m.format !== undefined && !['csv', 'ndjson', 'parquet'].includes(m.format as string)) fail('"format" must be csv, ndjson or parquet');
  if (m.csv !== undefined) {
    const c = m.csv as Record<string, unknown>;
    if (!c || typeof c !== 'object' || Array.isArray(c)) fail('"csv" must be an object');
    for (const k of Object.keys(c)) if (!CSV_KEYS.has(k)) fail(`unknown key "csv.${k}" (known: ${[...CSV_KEYS].join(', ')})`);
    if (c.quote !== undefined && (typeof c.quote !== 'string' || Buffer.byteLength(c.quote) !== 1 || c.quote === '\n' || c.quote === '\r')) fail('"csv.quote" must be a single one-byte character');
    if (c.delimiter !== undefined) {
      const d = c.delimiter;
      if (typeof d !== 'string' || d === '') fail('"csv.delimiter" must be a non-empty string: one character, a longer separator such as "||", or "whitespace"');
      const ds = d as string;
      if (ds !== WHITESPACE) {
        if (/[\r\n]/.test(ds)) fail('"csv.delimiter" cannot contain a line break');
        if (ds.includes(typeof c.quote === 'string' ? c.quote : '"')) fail(`"csv.delimiter" ${JSON.stringify(ds)} cannot contain the quote character`);
        if (Buffer.byteLength(ds) > 16) fail('"csv.delimiter" is longer than 16 bytes');
      }
    }
    if (c.header !== undefined && typeof c.header !== 'boolean') fail('"csv.header" must be true or false');
    if (c.skipLines !== undefined && !(Number.isInteger(c.skipLines) && (c.skipLines as number) >= 0 && (c.skipLines as number) <= 1000)) fail('"csv.skipLines" must be a whole number from 0 to 1000 (lines above the header to leave out)');
    if (c.names !== undefined) {
      if (!Array.isArray(c.names) || c.names.length === 0 || c.names.some((x) => typeof x !== 'string')) fail('"csv.names" must be a non-empty array of column names');
      const names = c.names as string[];
      names.forEach((n, i) => {
        if (!n.trim()) fail(`"csv.names[${i}]" is empty: give every column a name (list unused ones in "ignore")`);
        const j = names.indexOf(n);
        if (j !== i) fail(`"csv.names" names "${n}" twice (positions ${j + 1} and ${i + 1})`);
      });
    }
    if (c.groupHeading !== undefined && (typeof c.groupHeading !== 'string' || !c.groupHeading.trim())) fail('"csv.groupHeading" must name the field whose column holds the group headings, e.g. "customer_ref"');
    if (c.header === false && c.names === undefined) fail('"csv.header": false needs "csv.names" (the column names by position)');
    if (c.encoding !== undefined && !normalizeEncoding(String(c.encoding))) fail(`"csv.encoding" "${String(c.encoding)}" is not supported (utf-8, latin1, iso-8859-1, windows-1252)`);
  }
  if (m.numbers !== undefined) {
    const n = m.numbers as Record<string, unknown>;
    for (const k of ['decimal', 'thousands'] as const) {
      if (n[k] !== undefined && (typeof n[k] !== 'string' || (n[k] as string).length > 1)) fail(`"numbers.${k}" must be one character (or "" for none)`);
    }
    if (n.decimal !== undefined && n.decimal === n.thousands) fail('"numbers.decimal" and "numbers.thousands" must differ');
    if (n.currencySymbol !== undefined && (typeof n.currencySymbol !== 'string' || !/^[^\d\s+\-.,]{1,4}$/u.test(n.currencySymbol)))
      fail('"numbers.currencySymbol" must be the 1–4 characters written beside amounts ("$", "€", "USD"), without digits, signs, spaces or separators');
  }
  if (m.currency !== undefined) {
    const c = m.currency as Record<string, unknown>;
    for (const k of ['default', 'base'] as const) {
      if (c[k] !== undefined && !/^[A-Za-z]{3}$/.test(String(c[k]))) fail(`"currency.${k}" must be a 3-letter ISO 4217 code`);
    }
    if (c.minorUnits !== undefined && typeof c.minorUnits !== 'boolean') fail('"currency.minorUnits" must be true or false');
    if (c.rates !== undefined) {
      if (!c.rates || typeof c.rates !== 'object') fail('"currency.rates" must be an object');
      for (const [k, r] of Object.entries(c.rates as object)) {
        if (!/^[A-Za-z]{3}$/.test(k)) fail(`"currency.rates": "${k}" is not a 3-letter currency code`);
        if (typeof r !== 'number' || !(r > 0) || !Number.isFinite(r)) fail(`"currency.rates.${k}" must be a positive number`);
      }
    }
  }
  if (m.values !== undefined) {
    if (!m.values || typeof m.values !== 'object') fail('"values" must be an object');
    for (const [field, map] of Object.entries(m.values as object)) {
      if (!map || typeof map !== 'object') fail(`"values.${field}" must be an object`);
      for (const [k, x] of Object.entries(map as object)) if (typeof x !== 'string') fail(`"values.${field}.${k}" must be a string`);
    }
  }
  if (m.ignore !== undefined && (!Array.isArray(m.ignore) || m.ignore.some((x) => typeof x !== 'string'))) fail('"ignore" must be an array of column names');
  if (m.orders !== undefined) {
    const o = m.orders as Record<string, unknown>;
    if (!o || typeof o !== 'object' || Array.isArray(o)) fail('"orders" must be an object such as {"by": "customer_day"}');
    for (const k of Object.keys(o)) if (k !== 'by' && k !== 'lineIds') fail(`unknown key "orders.${k}" (known: by, lineIds)`);
    if (o.by !== undefined && !ORDERS_BY.includes(o.by as OrdersBy)) fail(`"orders.by" must be one of ${ORDERS_BY.join(', ')}`);
    if (o.lineIds !== undefined && typeof o.lineIds !== 'boolean') fail('"orders.lineIds" must be true or false');
  }
  if (m.skip !== undefined) {
    if (!m.skip || typeof m.skip !== 'object' || Array.isArray(m.skip)) fail('"skip" must be an object such as {"product_id": ["POST", "DOT"]}');
    for (const [field, list] of Object.entries(m.skip as object)) {
      if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || x.trim() === '')) fail(`"skip.${field}" must be a non-empty array of values`);
    }
  }
  if (m.credits !== undefined) {
    const c = m.credits as Record<string, unknown>;
    if (!c || typeof c !== 'object' || Array.isArray(c)) fail('"credits" must be an object such as {"sign": true} or {"orderPrefix": "C"}');
    for (const k of Object.keys(c)) if (k !== 'sign' && k !== 'orderPrefix') fail(`unknown key "credits.${k}" (known: sign, orderPrefix)`);
    if (c.sign !== undefined && typeof c.sign !== 'boolean') fail('"credits.sign" must be true or false');
    if (c.orderPrefix !== undefined && (typeof c.orderPrefix !== 'string' || c.orderPrefix.trim() === '')) fail('"credits.orderPrefix" must be a non-empty string such as "C"');
  }
  if (m.defaultCountry !== undefined && !/^[A-Za-z]{2}$/.test(String(m.defaultCountry))) fail('"defaultCountry" must be an ISO 3166 alpha-2 code');
  return m as Mapping;
}

export function loadMappingFile(path: string): Mapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MappingError(`cannot read mapping file ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MappingError(`mapping file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return validateMapping(raw, `mapping file ${path}`);
}

/** The encodings a CSV/NDJSON file may declare; latin1 labels decode as windows-1252 (as browsers do). */
export function normalizeEncoding(label: string): 'utf-8' | 'windows-1252' | undefined {
  const l = label.trim().toLowerCase().replace(/_/g, '-');
  if (l === 'utf-8' || l === 'utf8') return 'utf-8';
  if (['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'windows-1252', 'cp1252'].includes(l)) return 'windows-1252';
  return undefined;
}
