import { basename } from 'node:path';
import { ENTITIES, ENTITY_NAMES, type EntityName, type EntitySpec, type FieldSpec } from '../entities/index.ts';
import { headerKey } from '../mapping/compile.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { AMBIGUOUS_UNIT_PRICES, dealStatusOf, NAME_REFS, PROFILES, SYNONYMS, VALUE_SYNONYMS, type ExportProfile } from './field-synonyms.ts';
import { guessColumn, type ColumnGuess, type ColumnKind } from './guess-column.ts';
import { guessCurrencySign, guessNumberFormat, withMinusForParens, withoutCurrencySign, type NumberGuess } from './guess-number.ts';
import { judgeAmount } from './order-totals.ts';
import { QUANTITY_INTEGER_DIGITS, QUANTITY_SCALE } from '../validate/parse-quantity.ts';

/** A sample as rows of text, whatever the format it came from. */
export interface SampleTable {
  file: string;
  format: 'csv' | 'ndjson' | 'parquet';
  /** Column names: the header, JSON keys, Parquet columns, or column_1… for a headerless CSV. */
  names: string[];
  /** CSV only: the first line names the columns. */
  header: boolean;
  /** CSV only: the header named a column twice or not at all; `names` are distinct and go to csv.names. */
  renamed?: boolean;
  rows: string[][];
  /** CSV only, when the sample is not the whole file: the records of its last bytes (total rows live there). */
  tail?: string[][];
  csv?: { delimiter: string; quote: string; encoding: 'utf-8' | 'windows-1252'; bom: boolean; crlf: boolean; why: string; headerWhy: string; skipLines?: number };
}

export interface ProposeOptions {
  /** The entity the user named (--entity); otherwise the best-scoring one. */
  entity?: EntityName;
  /** The warehouse's currency (CRM_BASE_CURRENCY, default EUR): a file in another single currency is loaded as that one. */
  baseCurrency?: string;
}

export interface ColumnReport {
  name: string;
  guess: ColumnGuess;
  field?: string;
}

/** A mapping draft plus what was guessed, for the preview and for tests. */
export interface Draft {
  entity: EntityName;
  entitySure: boolean;
  scores: { entity: EntityName; score: number }[];
  product?: string;
  numbers: NumberGuess;
  columns: ColumnReport[];
  mapping: Mapping & { $comment: string[]; csv?: Mapping['csv'] & { header?: boolean; names?: string[] }; orders?: { by?: string; lineIds?: boolean } };
}

/** Field type → column kinds that can fill it. */
function fits(f: FieldSpec, kind: ColumnKind): boolean {
  if (kind === 'empty') return true;
  switch (f.type) {
    case 'date':
    case 'datetime':
      return kind === 'date' || kind === 'datetime';
    case 'decimal':
    case 'quantity':
      return kind === 'decimal' || kind === 'int';
    case 'int':
      return kind === 'int' || kind === 'boolean';
    case 'currency':
      return kind === 'currency';
    case 'enum':
      return kind === 'enum' || kind === 'boolean' || kind === 'text' || kind === 'id';
    case 'id':
      return kind !== 'decimal' || f.name.endsWith('_id') || f.name === 'customer_ref';
    default:
      if (f.matchKey === 'email') return kind === 'email';
      if (f.matchKey === 'phone') return kind === 'phone' || kind === 'int' || kind === 'id';
      return true;
  }
}

/** Fields the load can do without: source (mapping), derived line ids, a constant purchase status, an interaction type the file's name says, what the export's profile sets. */
function fillable(entity: EntityName, field: string, table?: SampleTable, profile?: ExportProfile): boolean {
  if (field === 'source' || profile?.constants?.[field] !== undefined) return true;
  if (entity === 'consents') return field === 'consent_id';
  if (entity === 'transactions') return field === 'transaction_id' || field === 'status';
  if (entity === 'interactions') return field === 'interaction_id' || (field === 'type' && table !== undefined && interactionKind(table) !== undefined);
  return false;
}

/** The amount is filled per row by unit_price × quantity (a unit-price column and no amount column). */
function pricedAmount(spec: EntitySpec, field: string, taken: { has(f: string): boolean }): boolean {
  return spec.money?.unitPrice !== undefined && field === spec.money.amount && !taken.has(field) && taken.has(spec.money.unitPrice);
}

/** Headerless files: which column kinds fill which field, in order (the first unused column of a kind wins; `last` takes the last). */
const BY_POSITION: Partial<Record<EntityName, { field: string; kinds: ColumnKind[]; last?: boolean }[]>> = {
  transactions: [
    { field: 'customer_ref', kinds: ['id', 'email', 'int'] },
    { field: 'order_date', kinds: ['datetime', 'date'] },
    { field: 'amount', kinds: ['decimal'], last: true },
    { field: 'quantity', kinds: ['int'] },
    { field: 'currency', kinds: ['currency'] },
    { field: 'status', kinds: ['enum'] },
  ],
  customers: [
    { field: 'source_id', kinds: ['id', 'int'] },
    { field: 'email', kinds: ['email'] },
    { field: 'phone', kinds: ['phone'] },
    { field: 'signup_date', kinds: ['date', 'datetime'] },
    { field: 'name', kinds: ['text'] },
  ],
  opportunities: [
    { field: 'opportunity_id', kinds: ['id', 'int'] },
    { field: 'customer_ref', kinds: ['id', 'int', 'email'] },
    { field: 'created_at', kinds: ['date', 'datetime'] },
    { field: 'amount', kinds: ['decimal', 'int'], last: true },
    { field: 'status', kinds: ['enum'] },
  ],
  interactions: [
    { field: 'interaction_id', kinds: ['id', 'int'] },
    { field: 'customer_ref', kinds: ['id', 'int', 'email'] },
    { field: 'occurred_at', kinds: ['datetime', 'date'] },
    { field: 'type', kinds: ['enum'] },
  ],
};

const FILE_HINTS: [RegExp, EntityName][] = [
  [/order|transaction|charge|payment|sale|purchase|invoice|bestell|umsatz|cdnow/i, 'transactions'],
  [/contact|customer|client|kunde|lead|account/i, 'customers'],
  [/deal|opportunit|pipeline/i, 'opportunities'],
  [/ticket|activit|interaction|event|call/i, 'interactions'],
];

interface Assignment {
  entity: EntityName;
  score: number;
  /** column index → field */
  fieldOf: Map<number, string>;
  profile?: ExportProfile;
  /** Why a headerless column got its field when its kind alone did not say it (for the draft's $comment). */
  notes?: string[];
}

function profileFor(keys: string[], entity: EntityName): ExportProfile | undefined {
  return PROFILES.find((p) => p.entity === entity && p.signature.every((s) => keys.includes(s)));
}

function assign(spec: EntitySpec, table: SampleTable, guesses: ColumnGuess[], exclude: ReadonlySet<number> = new Set(), decimal = '.'): Assignment {
  const keys = table.names.map(headerKey);
  const fieldOf = new Map<number, string>();
  // Columns found to be order totals: not used, so the next candidate (the line amount) gets the field.
  for (const col of exclude) fieldOf.set(col, '');
  const taken = new Set<string>();
  let notes: string[] | undefined;
  const field = (name: string): FieldSpec | undefined => spec.fields.find((f) => f.name === name);
  const profile = table.header || table.format !== 'csv' ? profileFor(keys, spec.name) : undefined;
  const put = (col: number, name: string): void => {
    fieldOf.set(col, name);
    taken.add(name);
  };
  if (profile) {
    keys.forEach((k, col) => {
      const target = profile.columns[k];
      if (target === undefined || taken.has(target) || fieldOf.has(col)) return;
      if (target === '') fieldOf.set(col, '');
      else if (field(target) && fits(field(target)!, guesses[col].kind)) put(col, target);
    });
  }
  if (table.header || table.format !== 'csv') {
    const synonyms = SYNONYMS[spec.name] ?? {};
    // CamelCase headers (CustomerID, InvoiceDate, UnitPrice) match the spellings' words run together.
    const squash = (k: string): string => k.replace(/_/g, '');
    const squashed = keys.map(squash);
    // A unit price column prices the lines whose amount is empty: those are not rejects, so an
    // amount column with empty cells still beats an order's total (Xero's LineAmount against Total).
    const unitSpellings = spec.money?.unitPrice ? [spec.money.unitPrice, ...(synonyms[spec.money.unitPrice] ?? [])].map(headerKey).filter((k) => !AMBIGUOUS_UNIT_PRICES.includes(k)) : [];
    const priceable = keys.some((k, col) => unitSpellings.includes(k) || unitSpellings.map(squash).includes(squashed[col]));
    for (const f of spec.fields) {
      if (taken.has(f.name)) continue;
      const spellings = [f.name, ...(synonyms[f.name] ?? [])].map(headerKey);
      const runTogether = spellings.map(squash);
      let best = -1;
      let rank = Infinity;
      keys.forEach((k, col) => {
        let r = spellings.indexOf(k);
        if (r < 0) r = runTogether.indexOf(squashed[col]);
        // A required field prefers a column filled on every sampled row: Xero's EmailAddress is empty
        // for contacts without one, its ContactName never is (every empty one would be a reject).
        if (r > 0 && f.required && guesses[col].empty > 0 && !(priceable && f.name === spec.money?.amount)) r += spellings.length;
        // A column named exactly like the field is taken whatever its values look like: the load rejects the bad ones.
        if (r >= 0 && r < rank && !fieldOf.has(col) && (r === 0 || fits(f, guesses[col].kind))) [best, rank] = [col, r];
      });
      if (best >= 0) put(best, f.name);
    }
  } else {
    const written = (col: number): DecimalsWritten => decimalsWritten(distinctValues(table, col), decimal);
    for (const role of BY_POSITION[spec.name] ?? []) {
      const f = field(role.field);
      if (!f || taken.has(role.field)) continue;
      let cols = guesses.map((g, col) => ({ g, col })).filter(({ g, col }) => !fieldOf.has(col) && role.kinds.includes(g.kind));
      // Without a header an enum column must spell the field's values (or their known synonyms).
      if (f.type === 'enum') cols = cols.filter(({ g, col }) => g.kind === 'enum' && spellsValues(spec, f, distinctValues(table, col)));
      // The amount is a column written as money (two decimals on every value) when some are and
      // others are not: hours after the amount (90.00, 7.5) are not the line's amount.
      if (role.field === spec.money?.amount && cols.some(({ col }) => written(col) === 'cents') && cols.some(({ col }) => written(col) !== 'cents'))
        cols = cols.filter(({ col }) => written(col) === 'cents');
      cols.sort((a, b) => role.kinds.indexOf(a.g.kind) - role.kinds.indexOf(b.g.kind) || (role.last ? b.col - a.col : a.col - b.col));
      if (cols.length > 0) put(cols[0].col, role.field);
      else if (role.field === spec.money?.quantity) {
        // No whole-number column: a decimal one is the quantity (7.5 hours, 1.25 kg) when the file
        // writes its amount with two decimals on every value and this column otherwise (8, 7.5,
        // 0.125): written unlike money, so not a price, a tax or a second amount written as money.
        const amountCol = [...fieldOf].find(([, x]) => x === spec.money!.amount)?.[0];
        if (amountCol === undefined || written(amountCol) !== 'cents') continue;
        const q = guesses.findIndex((g, col) => !fieldOf.has(col) && g.kind === 'decimal' && written(col) === 'units');
        if (q >= 0) {
          put(q, role.field);
          (notes ??= []).push(
            `${role.field}: column ${q + 1} holds decimals written unlike the amounts (e.g. ${example(table, q)}, where column ${amountCol + 1} writes two decimals on every value): read as a decimal quantity (hours, weights) — check it is not a price or a rate`,
          );
        }
      }
    }
  }
  // A bare "Price" is per unit only beside a quantity; alone it is the line's amount.
  const money = spec.money;
  if (money?.unitPrice && money.quantity && taken.has(money.unitPrice) && !taken.has(money.quantity) && !taken.has(money.amount)) {
    const col = [...fieldOf].find(([, f]) => f === money.unitPrice)![0];
    if (AMBIGUOUS_UNIT_PRICES.includes(headerKey(table.names[col]))) {
      taken.delete(money.unitPrice);
      put(col, money.amount);
    }
  }
  // Deals: the outcome is often only in the stage ("Closed Won"); read status from it.
  if (spec.name === 'opportunities' && !taken.has('status')) {
    const stageCol = [...fieldOf].find(([, f]) => f === 'stage')?.[0];
    if (stageCol !== undefined) put(stageCol, 'status');
    taken.delete('stage');
  }
  let score = 0;
  for (const f of spec.fields) {
    if (taken.has(f.name)) score += f.required ? 3 : 1;
    else if (pricedAmount(spec, f.name, taken)) score += 3;
    else if (f.required && !fillable(spec.name, f.name, table, profile)) score -= 6;
  }
  if (profile) score += profile.bonus ?? 10;
  const fileName = basename(table.file);
  for (const [re, entity] of FILE_HINTS) if (entity === spec.name && re.test(fileName)) score += 2;
  return { entity: spec.name, score, fieldOf, profile, notes };
}

/**
 * How a numeric column writes its decimals: `cents` when every value has exactly two (money as
 * exports write it, thousands separators allowed), `units` when the values are plain numbers of up to
 * 8 decimals (what a quantity holds) and some are written otherwise than with two (8, 7.5, 0.125),
 * `other` for anything else.
 */
type DecimalsWritten = 'cents' | 'units' | 'other';
function decimalsWritten(values: string[], decimal: string): DecimalsWritten {
  if (values.length === 0) return 'other';
  const d = decimal === ',' ? ',' : '\\.';
  const group = decimal === ',' ? "[.' \u00a0]" : "[,' \u00a0]";
  const cents = new RegExp(`^-?\\d{1,3}(?:${group}?\\d{3})*${d}\\d{2}$`);
  if (values.every((v) => cents.test(v))) return 'cents';
  const units = new RegExp(`^-?\\d{1,${QUANTITY_INTEGER_DIGITS}}(?:${d}(\\d{1,${QUANTITY_SCALE}}))?$`);
  return values.every((v) => units.test(v)) ? 'units' : 'other';
}

function spellsValues(spec: EntitySpec, f: FieldSpec, values: string[]): boolean {
  if (spec.name === 'opportunities' && f.name === 'status') {
    const allowed = new Set(f.values);
    return values.some((v) => allowed.has(v.toLowerCase()) || dealStatusOf(v) !== 'open');
  }
  return enumMap(spec, f, values).unknown.length === 0;
}

function distinctValues(table: SampleTable, col: number): string[] {
  return [...new Set(table.rows.map((r) => (r[col] ?? '').trim()).filter((v) => v !== ''))];
}

/** Value map for an enum field from the sampled spellings; `unknown` lists values nothing maps. */
function enumMap(spec: EntitySpec, f: FieldSpec, values: string[]): { map: Record<string, string>; unknown: string[] } {
  const allowed = new Set((f.values ?? []).map((v) => v.toLowerCase()));
  const synonyms = VALUE_SYNONYMS[`${spec.name}.${f.name}`] ?? {};
  const map: Record<string, string> = {};
  const unknown: string[] = [];
  for (const v of values) {
    const low = v.toLowerCase();
    if (allowed.has(low)) continue;
    if (spec.name === 'opportunities' && f.name === 'status') {
      map[v] = dealStatusOf(v);
      continue;
    }
    const hit = Object.entries(synonyms).find(([, spellings]) => spellings.some((s) => s === low || s === low.replace(/[\s-]+/g, '_')));
    if (hit) map[v] = hit[0];
    else unknown.push(v);
  }
  return { map, unknown };
}

function slug(file: string): string {
  const name = basename(file).replace(/(\.gz)?$/i, '').replace(/\.[^.]+$/, '');
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'import';
}

const show = (d: string): string => (d === '\t' ? 'tab' : d === 'whitespace' ? 'runs of spaces/tabs' : `"${d}"`);

/**
 * Proposes the entity and a mapping draft for a sample. Pure: the same sample gives the same draft.
 * Everything it decided is listed in `$comment`, with how sure it is.
 */
export function proposeMapping(sample: SampleTable, opts: ProposeOptions = {}): Draft {
  // Total rows are set aside first: a "TOTAL" in the date column is not a date that misfits, nor an empty customer.
  // A report grouped under headings (a customer's name alone on a line, its rows below): guessed on
  // its data rows with each heading carried down, as the load reads it with csv.groupHeading.
  const grouped = groupedLayout(sample);
  const source: SampleTable = grouped ? { ...sample, rows: grouped.rows, tail: undefined } : sample;
  const totals = grouped ? [] : totalRows(source);
  const table = totals.length > 0 ? { ...source, rows: source.rows.filter((r) => !totals.some((t) => t.row === r)) } : source;
  const width = table.names.length;
  // Amounts written with a currency sign ("$24,000.00") are numbers once the sign is set aside; the
  // load does the same with numbers.currencySymbol.
  // Accounting negatives ("(12.50)") are read by the load as minus amounts; guessed as such.
  const signed = table.rows.map((r) => r.map(withMinusForParens));
  // A grouped report writes its sign on the total lines only ("$1,710.50"): they say the currency too.
  const sign = guessCurrencySign([...signed.flat(), ...(grouped?.totals.flat() ?? [])]);
  const rows = sign ? signed.map((r) => r.map((v) => withoutCurrencySign(v, sign.symbol))) : signed;
  const numbers = guessNumberFormat(rows.flat());
  let preferDayFirst = numbers.decimal === ',' || table.csv?.delimiter === ';';
  const guessAll = (): ColumnGuess[] =>
    table.names.map((name, col) => guessColumn(table.header || table.format !== 'csv' ? name : '', rows.map((r) => r[col] ?? ''), { numbers, preferDayFirst }));
  let guesses = guessAll();
  // One file, one locale: a date column that tells day from month (a value above 12) decides it for
  // the columns whose values fit both (03/04/2024 beside a due date of 17/04/2024).
  const slashOrder = (g: ColumnGuess): string | undefined => (g.date && /^(DD|MM)[/.-]/.test(g.date.format) ? g.date.format.slice(0, 2) : undefined);
  const decided = [...new Set(guesses.filter((g) => g.date?.sure === 'high').map(slashOrder).filter((o) => o !== undefined))];
  const unsure = guesses.some((g) => g.date?.sure === 'low');
  let dayOrderFrom: string | undefined;
  if (unsure && decided.length === 1 && (decided[0] === 'DD') !== preferDayFirst) {
    preferDayFirst = decided[0] === 'DD';
    guesses = guessAll();
  }
  if (unsure && decided.length === 1) {
    const by = guesses.findIndex((g) => g.date?.sure === 'high' && slashOrder(g) === decided[0]);
    dayOrderFrom = table.names[by];
    for (const g of guesses) if (g.date?.sure === 'low' && slashOrder(g) === decided[0]) g.date = { ...g.date, sure: 'high', alternative: undefined };
  }
  const candidates = (opts.entity ? [opts.entity] : ENTITY_NAMES).map((e) => assign(ENTITIES[e], table, guesses, new Set(), numbers.decimal));
  const ranked = [...candidates].sort((a, b) => b.score - a.score);
  let chosen = ranked[0];
  // Rows the export's profile leaves out (PayPal's currency conversions, withdrawals) are guessed
  // without: their empty payer and negative amounts are not the sales' (the draft's "skip" keeps them out of the load too).
  const leftOut = Object.entries(chosen.profile?.skip ?? {}).flatMap(([f, vs]) => {
    const col = [...chosen.fieldOf].find(([, x]) => x === f)?.[0];
    return col === undefined ? [] : [{ col, values: new Set(vs.map((v) => v.toLowerCase())) }];
  });
  if (leftOut.length > 0) {
    const kept = sample.rows.filter((r) => !leftOut.some(({ col, values }) => values.has((r[col] ?? '').trim().toLowerCase())));
    if (kept.length > 0 && kept.length < sample.rows.length) return proposeMapping({ ...sample, rows: kept }, opts);
  }
  const spec = ENTITIES[chosen.entity];
  const amountNotes = table.header || table.format !== 'csv' ? withoutOrderTotals(spec, table, rows, guesses, numbers, chosen, (a) => (chosen = a)) : [];
  const entitySure = opts.entity !== undefined || ranked.length < 2 || chosen.score - ranked[1].score >= 3;
  const comment: string[] = [];
  const mapping: Draft['mapping'] = { $comment: comment };
  const fieldOf = chosen.fieldOf;
  const colOf = (field: string): number => [...fieldOf].find(([, f]) => f === field)?.[0] ?? -1;
  // The headings name what the rows are grouped by: the customer, unless another column names it.
  const groupField =
    grouped && !fieldOf.get(grouped.col) ? ['customer_ref', 'product_name'].find((f) => spec.fields.some((x) => x.name === f) && colOf(f) < 0) : undefined;
  if (grouped && groupField) fieldOf.set(grouped.col, groupField);

  // Format and dialect.
  if (table.csv) {
    const c = table.csv;
    comment.push(
      `read as CSV: delimiter ${show(c.delimiter)} (${c.why}), quote ${c.quote}, ${c.encoding}${c.bom ? ' with BOM' : ''}${c.crlf ? ', CR LF line ends' : ''}`,
      `header: ${table.header ? 'yes' : 'no'} (${c.headerWhy})`,
    );
    mapping.csv = { delimiter: c.delimiter, quote: c.quote };
    if (c.skipLines) {
      mapping.csv.skipLines = c.skipLines;
      comment.push(`the first ${c.skipLines} line${c.skipLines === 1 ? ' is' : 's are'} a title above the table (a report's name, company, dates): left out (csv.skipLines)`);
    }
    if (grouped && groupField) {
      mapping.csv.groupHeading = groupField;
      comment.push(
        `rows are grouped under headings (${grouped.headings} in the sample, e.g. "${grouped.example}"): each heading is the ${groupField} of the rows below it, and heading, "Total for …" and empty lines are not records (csv.groupHeading)`,
      );
    }
    if (c.encoding !== 'utf-8') {
      mapping.csv.encoding = c.encoding;
      comment.push('encoding: the bytes are not UTF-8, read as windows-1252 (latin1 and Excel "CSV" files on Windows)');
    }
  } else comment.push(`read as ${table.format === 'ndjson' ? 'NDJSON (one JSON object per line)' : 'Parquet'}`);
  mapping.format = table.format;

  // Entity.
  const others = ranked.slice(1, 3).map((r) => `${r.entity} ${r.score}`).join(', ');
  if (opts.entity) comment.push(`entity: ${spec.name} (given with --entity)`);
  else comment.push(`entity: ${spec.name} (score ${chosen.score}; next: ${others})${entitySure ? '' : ' — not sure: check it, or pass --entity'}`);
  if (chosen.profile) comment.push(`recognised: a ${chosen.profile.product} ${spec.name === 'transactions' ? 'orders/charges' : spec.name === 'customers' ? 'contacts' : spec.name === 'consents' ? 'unsubscribes' : 'deals'} export`);
  if (chosen.profile?.note) comment.push(chosen.profile.note);
  mapping.source = chosen.profile?.product ?? slug(table.file);
  comment.push(`source: "${mapping.source}" (${chosen.profile ? 'the product that wrote the file' : 'from the file name'}; records of one system need one source name)`);

  // Columns.
  const names: string[] = [];
  const columns: Record<string, string> = {};
  const ignore: string[] = [];
  const reports: ColumnReport[] = [];
  const dates: Record<string, string> = {};
  for (let col = 0; col < width; col++) {
    const name = table.names[col];
    const g = guesses[col];
    const target = fieldOf.get(col) || undefined;
    reports.push({ name, guess: g, field: target });
    const kind = g.kind === 'date' || g.kind === 'datetime' ? `${g.kind} ${g.date!.format}` : g.kind;
    if (table.format === 'csv' && !table.header) {
      const n = target ?? name;
      names.push(n);
      if (!target) ignore.push(n);
      comment.push(`column ${col + 1} (${kind}, e.g. ${example(table, col)}) → ${target ?? 'not used'}`);
    } else {
      if (target) columns[name] = target;
      else ignore.push(name);
      if (target) comment.push(`"${name}" (${kind}) → ${target}`);
    }
    if (target && g.date && (spec.fields.find((f) => f.name === target)?.type === 'date' || spec.fields.find((f) => f.name === target)?.type === 'datetime')) {
      if (g.date.format !== 'ISO') dates[target] = g.date.format;
      if (g.date.sure === 'low') {
        comment.push(
          `${target}: every sampled value fits ${g.date.format} and ${g.date.alternative}; chose ${g.date.format} (${preferDayFirst ? 'the file reads European: decimal comma or ";"' : 'month first unless the file reads European'}) — check`,
        );
      }
    }
  }
  comment.push(...(chosen.notes ?? []));
  if (table.format === 'csv' && !table.header) {
    mapping.csv!.header = false;
    mapping.csv!.names = names;
  } else {
    mapping.columns = columns;
    if (table.renamed) {
      mapping.csv!.names = [...table.names];
      comment.push('the header names a column twice or leaves one unnamed: csv.names gives every column its own name (the header line is skipped)');
    }
  }
  if (ignore.length > 0) {
    mapping.ignore = ignore;
    comment.push(`not used (in "ignore"): ${ignore.join(', ')}`);
  }
  if (Object.keys(dates).length > 0) mapping.dates = dates;
  if (numbers.decimal !== '.' || numbers.thousands !== '') {
    mapping.numbers = numbers.thousands ? { decimal: numbers.decimal, thousands: numbers.thousands } : { decimal: numbers.decimal };
    comment.push(
      `numbers: decimal ${numbers.decimal === ',' ? 'comma' : 'point'}${numbers.thousands ? `, thousands "${numbers.thousands}"` : ''} (${numbers.evidence} sampled values decided it${numbers.loneGroups ? `; "${numbers.loneGroups}" read as ${numbers.loneGroups.replace(/[.,]/g, '')}: if it means ${numbers.loneGroups.replace(/[.,](?=\d{3}$)/, '.').replace(/,/g, '')}, set numbers.decimal to "${numbers.thousands}" and remove numbers.thousands` : ''})`,
    );
  }
  if (sign) {
    mapping.numbers = { ...mapping.numbers, currencySymbol: sign.symbol };
    comment.push(`numbers: ${sign.count} sampled values are written with "${sign.symbol}" (numbers.currencySymbol: the load reads "${sign.symbol}1,234.50" as 1234.50)`);
  }

  // Enum values, constants, derived ids.
  const values: Record<string, Record<string, string>> = {};
  const constants: Record<string, string> = {};
  for (const f of spec.fields) {
    const col = colOf(f.name);
    if (f.type !== 'enum' || col < 0) continue;
    const { map, unknown } = enumMap(spec, f, distinctValues(table, col));
    if (Object.keys(map).length > 0) values[f.name] = map;
    if (unknown.length > 0) comment.push(`${f.name}: no canonical value for ${unknown.map((u) => `"${u}"`).join(', ')} (allowed: ${f.values!.join(', ')}); add them to "values" or those rows are rejected`);
    if (spec.name === 'opportunities' && f.name === 'status' && map) comment.push(`status: from "${table.names[col]}" (won/lost where the stage says so, every other stage open)`);
  }
  if (spec.name === 'transactions') {
    const statusCol = colOf('status');
    if (statusCol < 0) {
      constants.status = 'completed';
      comment.push('status: no column; every row is taken as a completed purchase (constants.status)');
    } else if (guesses[statusCol].empty > 0) {
      constants.status = 'completed';
      comment.push(`status: "${table.names[statusCol]}" is empty on some rows (e.g. an order's later lines); those are taken as completed (constants.status)`);
    }
    if (colOf('transaction_id') < 0 && colOf('order_id') >= 0) {
      // Keyed by the order, not the whole row: a re-export where an order was refunded or its amount
      // corrected must update that order, not add a second one beside it.
      mapping.orders = { ...mapping.orders, lineIds: true };
      comment.push(`transaction ids: one per order line, from "${table.names[colOf('order_id')]}" and the product (orders.lineIds; no transaction_id column), so a re-export with a changed status or amount updates the line instead of adding one`);
    } else if (colOf('transaction_id') < 0) comment.push('transaction ids: derived from row content (no transaction_id column); identical rows stay separate purchases');
    if (colOf('order_id') < 0 && chosen.profile?.ordersBy) mapping.orders = { by: chosen.profile.ordersBy };
    else if (colOf('order_id') < 0) {
      mapping.orders = { by: 'customer_timestamp' };
      comment.push('orders: one per customer and order timestamp (no order_id column; "orders.by" can be customer_day or line)');
    }
  }
  if (spec.name === 'interactions' && colOf('type') < 0) {
    // Exports of one kind of interaction say which in their name or headers, not per row.
    const kind = interactionKind(table);
    if (kind) {
      constants.type = kind[1];
      comment.push(`type: no column; every row is a ${kind[1]} (constants.type: the file's name or headers say ${kind[2]})`);
    }
  }
  // What the export is says some fields for every row (an unsubscribe export: withdrawn).
  for (const [f, v] of Object.entries(chosen.profile?.constants ?? {})) if (colOf(f) < 0) constants[f] = v;
  if (Object.keys(values).length > 0) mapping.values = values;
  if (Object.keys(constants).length > 0) mapping.constants = constants;

  // Money.
  const curCol = colOf('currency');
  if (spec.money) {
    const base = (opts.baseCurrency ?? 'EUR').toUpperCase();
    const codes = curCol >= 0 ? distinctValues(table, curCol).map((c) => c.toUpperCase()) : [];
    const unique = [...new Set(codes)];
    if (unique.length === 1) {
      mapping.currency = { default: unique[0] };
      if (unique[0] !== base) {
        mapping.currency.base = unique[0];
        comment.push(`currency: every sampled amount is ${unique[0]}; loaded as ${unique[0]} (currency.base). If the warehouse's currency is ${base}, set currency.base to ${base} and add currency.rates.${unique[0]}`);
      }
    } else if (unique.length > 1) {
      const foreign = unique.filter((c) => c !== base);
      comment.push(`currency: several (${unique.join(', ')}); add currency.rates for ${foreign.join(', ')} to ${base}, or those rows are rejected`);
    } else if (sign && (colOf(spec.money.amount) >= 0 || (spec.money.unitPrice && colOf(spec.money.unitPrice) >= 0))) {
      // The sign is the file's only statement of its currency: loading "$" amounts as the warehouse's
      // euros would be a number a user misreads.
      mapping.currency = { default: sign.currency };
      const guess = sign.sure ? '' : ` ("${sign.symbol}" is also other dollars/yen: set currency.default to the right code if it is not ${sign.currency})`;
      if (sign.currency !== base) {
        mapping.currency.base = sign.currency;
        comment.push(`currency: amounts are written in "${sign.symbol}", read as ${sign.currency}${guess}; loaded as ${sign.currency} (currency.base). If the warehouse's currency is ${base}, set currency.base to ${base} and add currency.rates.${sign.currency}`);
      } else comment.push(`currency: amounts are written in "${sign.symbol}", read as ${sign.currency}${guess}`);
    } else if (colOf(spec.money.amount) >= 0) comment.push(`currency: no column; amounts are taken as the warehouse's currency (${base}; currency.default to say otherwise)`);
  }
  comment.push(...amountNotes);
  if (chosen.profile?.minorUnits && spec.money) mapping.currency = { ...mapping.currency, minorUnits: true };
  if (spec.name === 'customers' && colOf('name') < 0 && table.names.some((n) => /first.?name|vorname/i.test(n))) {
    comment.push('name: first and last name are separate columns and a mapping cannot join them; name stays empty');
  }
  const taken = { has: (f: string) => colOf(f) >= 0 };
  if (spec.money?.unitPrice && colOf(spec.money.unitPrice) >= 0) {
    const price = `"${table.names[colOf(spec.money.unitPrice)]}"`;
    const qty = spec.money.quantity && colOf(spec.money.quantity) >= 0 ? `"${table.names[colOf(spec.money.quantity)]}"` : 'the quantity (1 when absent)';
    if (colOf(spec.money.amount) < 0) comment.push(`amount: ${price} is the price of one unit; each line's amount is ${price} × ${qty}, rounded to cents (unit_price)`);
    else comment.push(`amount: from "${table.names[colOf(spec.money.amount)]}"; ${price} (unit price × ${qty}) fills only rows where it is empty`);
  }
  for (const f of spec.fields) {
    const col = colOf(f.name);
    if (!f.required || col < 0 || guesses[col].empty === 0 || (spec.name === 'transactions' && f.name === 'status')) continue;
    const n = guesses[col].empty;
    if (f.name === spec.money?.amount && spec.money.unitPrice && colOf(spec.money.unitPrice) >= 0) {
      comment.push(`amount: "${table.names[col]}" is empty on ${n} sampled row${n === 1 ? '' : 's'}; ${n === 1 ? 'that line is' : 'those lines are'} priced by "${table.names[colOf(spec.money.unitPrice)]}" × the quantity (a line with neither is rejected)`);
      continue;
    }
    comment.push(`${f.name}: "${table.names[col]}" is empty on ${n} sampled row${n === 1 ? '' : 's'}; ${n === 1 ? 'it is' : 'they are'} rejected (${f.name} is required)`);
  }
  const signs = (spec.credits?.signs ?? []).filter((f) => colOf(f) >= 0);
  const negative = rows.filter((r) => signs.some((f) => /^\s*-\s*\d/.test(r[colOf(f)] ?? ''))).length;
  if (negative > 0) {
    mapping.credits = { sign: true };
    comment.push(
      `${negative} sampled row${negative === 1 ? ' has' : 's have'} a negative ${signs.join(' or ')}: return/credit lines (e.g. a cancelled invoice's lines), loaded as status ${spec.credits!.status.value} with positive amounts: they reduce net revenue and are not purchases ("credits": {"sign": true}; remove it to reject and count them instead)`,
    );
  }
  // Ids a spreadsheet or pandas wrote as floats (17850.0): kept as written, so another file that
  // writes 17850 names a different record. Said, not changed: the draft cannot rewrite values.
  for (const f of spec.fields) {
    const col = colOf(f.name);
    if (f.type !== 'id' || col < 0) continue;
    const vs = distinctValues(table, col);
    if (vs.length > 0 && vs.every((v) => /^\d+\.0+$/.test(v))) {
      comment.push(`${f.name}: "${table.names[col]}" writes whole numbers as decimals (${example(table, col)}); they are kept as written, so a file that writes ${vs[0].replace(/\.0+$/, '')} names another record`);
    }
  }
  if (dayOrderFrom !== undefined) comment.push(`dates: ${preferDayFirst ? 'day' : 'month'} first in every date column, as "${dayOrderFrom}" shows (a value above 12); the others' values fit either order`);
  // Total and summary rows ("TOTAL", "Grand Total", "Summe") that reports and spreadsheets append:
  // left out by "skip", so a file's own sum never loads as one more sale.
  const profileSkip = Object.entries(chosen.profile?.skip ?? {}).filter(([f]) => colOf(f) >= 0);
  if (profileSkip.length > 0) mapping.skip = Object.fromEntries(profileSkip.map(([f, vs]) => [f, [...vs]]));
  if (totals.length > 0) {
    const skip: Record<string, string[]> = {};
    const unmapped: string[] = [];
    for (const t of totals) {
      const field = fieldOf.get(t.col);
      const list = field ? (skip[field] ??= []) : unmapped;
      if (!list.includes(t.value)) list.push(t.value);
    }
    if (Object.keys(skip).length > 0) {
      const merged: Record<string, string[]> = { ...mapping.skip };
      for (const [f, vs] of Object.entries(skip)) merged[f] = [...(merged[f] ?? []), ...vs];
      mapping.skip = merged;
      const where = Object.entries(skip).map(([f, vs]) => `${vs.map((v) => `"${v}"`).join(', ')} in ${f}`);
      comment.push(
        `${totals.length} row${totals.length === 1 ? ' is a total or summary' : 's are totals or summaries'}, not ${totals.length === 1 ? 'a record' : 'records'} (${where.join('; ')}): left out by "skip" (counted, neither loaded nor rejected)${table.tail ? '; the end of the file was read for them' : ''}`,
      );
    }
    if (unmapped.length > 0) comment.push(`total rows (${[...new Set(unmapped)].map((v) => `"${v}"`).join(', ')}) are in a column no field reads: they are rejected for their empty fields, never loaded`);
  }
  // Keyed by a name (B2B exports by account name): said, because a name is a weaker key than an id.
  const refCol = colOf('customer_ref');
  const namedByHeader = refCol >= 0 && NAME_REFS.some((n) => n.replace(/_/g, '') === headerKey(table.names[refCol]).replace(/_/g, ''));
  // WooCommerce's "Customer" holds "Ava Johnson": names by their values too (words, no digits).
  const namedByValues = refCol >= 0 && (guesses[refCol].kind === 'text' || guesses[refCol].kind === 'enum') && distinctValues(table, refCol).every((v) => /\s/.test(v) && !/\d/.test(v));
  if (refCol >= 0 && table.header && (namedByHeader || namedByValues)) {
    comment.push(
      `customer_ref: "${table.names[refCol]}" names the customer (no customer id, nor an e-mail on every row): each distinct name as written is one customer of source "${mapping.source}" — two spellings of one company are two customers (merge them in the file or with a customers load whose source_id is the name), two companies of one name are one`,
    );
  }
  const missing = spec.fields.filter((f) => f.required && colOf(f.name) < 0 && !fillable(spec.name, f.name, table, chosen.profile) && !pricedAmount(spec, f.name, taken)).map((f) => f.name);
  if (missing.length > 0) comment.push(`MISSING required: ${missing.join(', ')} — name the column${missing.length > 1 ? 's' : ''} in "columns"`);

  return {
    entity: spec.name,
    entitySure,
    scores: ranked.map((r) => ({ entity: r.entity, score: r.score })),
    product: chosen.profile?.product,
    numbers,
    columns: reports,
    mapping,
  };
}

/**
 * Line-level exports repeat an order's total on each of its lines: such a column is never the line
 * amount (a three-line invoice would count its total three times). Each time the amount's column
 * holds one value per order, it is set aside and the fields are assigned again, so the line amount
 * (even with empty cells, which the unit price fills) or unit price × quantity takes its place.
 * Returns what the draft's $comment says about it.
 */
function withoutOrderTotals(spec: EntitySpec, table: SampleTable, rows: string[][], guesses: ColumnGuess[], numbers: NumberGuess, first: Assignment, use: (a: Assignment) => void): string[] {
  const money = spec.money;
  if (spec.name !== 'transactions' || !money) return [];
  const notes: string[] = [];
  const excluded = new Set<number>();
  let current = first;
  const colIn = (a: Assignment, field: string): number | undefined => [...a.fieldOf].find(([, f]) => f === field)?.[0];
  for (let round = 0; round < 4; round++) {
    const amountCol = colIn(current, money.amount);
    const orderCol = colIn(current, 'order_id');
    const byCustomerTime = [colIn(current, 'customer_ref'), colIn(current, 'order_date')].filter((c): c is number => c !== undefined);
    const orderCols = orderCol !== undefined ? [orderCol] : byCustomerTime.length === 2 && !current.profile?.ordersBy ? byCustomerTime : [];
    if (amountCol === undefined || orderCols.length === 0) break;
    const orderName = orderCols.map((c) => table.names[c]).join(' + ');
    // What else could give a line its figure: the column the amount would take without this one, and the unit price.
    const next = assign(spec, table, guesses, new Set([...excluded, amountCol]));
    // Without an order id only unit price × quantity may say a column is the order's: a customer's
    // two equal purchases of a day beside a smaller net or fee column are still two lines.
    const figures = { amount: orderCol === undefined ? undefined : colIn(next, money.amount), unitPrice: money.unitPrice ? colIn(current, money.unitPrice) : undefined, quantity: money.quantity ? colIn(current, money.quantity) : undefined };
    const verdict = judgeAmount(rows, amountCol, orderCols, figures, numbers);
    // Without an order id, a customer's two equal payments of one day are not an order's total repeated: only the lines' own figures can say so.
    if (verdict.kind === 'line' || (verdict.kind === 'unknown' && orderCol === undefined)) break;
    const name = `"${table.names[amountCol]}"`;
    const fmt = (n: number): string => n.toFixed(2);
    if (verdict.kind === 'order-total') {
      notes.push(
        `amount: ${name} holds one value per order (e.g. ${orderName} "${verdict.order}": ${fmt(verdict.value)} on its ${verdict.lines} lines, which are worth ${fmt(verdict.sum)} together): an order's total, not a line's, so it is not used — as each line's amount it would count the order once per line`,
      );
    } else {
      notes.push(
        `amount: ${name} holds one value on every line of an order (e.g. ${orderName} "${verdict.order}": ${fmt(verdict.value)} on ${verdict.rows} lines) and nothing else in the file prices the lines (no unit price, no other amount column): detect cannot tell a line amount from an order total, so it is not used (an order total loaded per line counts the order once per line). If it is each line's own amount, map it: "columns": {${JSON.stringify(table.names[amountCol])}: "amount"}`,
      );
    }
    excluded.add(amountCol);
    current = { ...next, score: current.score };
    use(current);
  }
  return notes;
}

/** Interaction files of one kind, by what their name or headers say: [pattern, type, what it says]. */
const INTERACTION_KINDS: [RegExp, string, string][] = [
  [/ticket|zendesk|freshdesk|helpdesk|help desk/, 'support_ticket', 'tickets'],
  [/complaint|beschwerde/, 'complaint', 'complaints'],
  [/\bcalls?\b|call_log|anruf/, 'call', 'calls'],
  [/\bchats?\b|conversation|intercom/, 'chat', 'chats'],
  [/meeting|termin/, 'meeting', 'meetings'],
];

function interactionKind(table: SampleTable): [RegExp, string, string] | undefined {
  const said = `${basename(table.file)} ${table.names.join(' ')}`.toLowerCase();
  return INTERACTION_KINDS.find(([re]) => re.test(said));
}

/**
 * A report grouped under headings (QuickBooks' Sales by Customer Detail): in the first or second
 * column, a row with that cell filled has every other cell empty (a heading: the customer's name) or
 * is a total ("Total for …", "TOTAL"); data rows leave it empty. Returns the data rows with each
 * heading carried down, or undefined when any row fills that cell beside other values (an ordinary
 * table whose column is sometimes empty).
 */
function groupedLayout(table: SampleTable): { col: number; rows: string[][]; totals: string[][]; headings: number; example: string } | undefined {
  if (table.format !== 'csv' || !table.header || table.names.length < 3) return undefined;
  const filled = (v: string | undefined): boolean => (v ?? '').trim() !== '';
  for (const col of [0, 1]) {
    const rows: string[][] = [];
    const totals: string[][] = [];
    let headings = 0;
    let example = '';
    let heading: string | undefined;
    let grouped = true;
    for (const r of table.rows) {
      const others = r.some((v, i) => i !== col && filled(v));
      if (filled(r[col])) {
        const v = r[col].trim();
        if (TOTAL_LABEL.test(v)) {
          heading = undefined;
          totals.push(r.filter((_, i) => i !== col));
        } else if (others) {
          grouped = false;
          break;
        } else {
          heading = v;
          example ||= v;
          headings++;
        }
        continue;
      }
      if (!others) continue;
      const row = [...r];
      row[col] = heading ?? '';
      rows.push(row);
    }
    if (grouped && headings > 0 && rows.length >= headings) return { col, rows, totals, headings, example };
  }
  return undefined;
}

/** A cell that labels its row as a sum: "TOTAL", "Grand total", "Total for Acme", "Subtotal", "Summe", "Gesamt". */
const TOTAL_LABEL = /^(grand\s*|sub\s*)?totals?(\s+(for|of|:)\b.*|:)?$|^(summe|gesamt|gesamtsumme|zwischensumme|endsumme|sum)(\s*:)?$/i;

/** Rows whose first filled cell is a total label and that fill at most a third of the columns (a product called "Total Gym" fills its row). */
function totalRows(table: SampleTable): { col: number; value: string; row: string[] }[] {
  if (table.format !== 'csv' || !table.header) return [];
  const width = table.names.length;
  const found: { col: number; value: string; row: string[] }[] = [];
  for (const r of [...table.rows.slice(-50), ...(table.tail ?? [])]) {
    const filled = r.map((v, col) => ({ v: v.trim(), col })).filter((c) => c.v !== '');
    if (filled.length === 0 || filled.length > Math.max(2, Math.ceil(width / 3))) continue;
    if (TOTAL_LABEL.test(filled[0].v)) found.push({ col: filled[0].col, value: filled[0].v, row: r });
  }
  return found;
}

function example(table: SampleTable, col: number): string {
  const v = table.rows.find((r) => (r[col] ?? '').trim() !== '')?.[col]?.trim() ?? '';
  return `"${v.length > 24 ? `${v.slice(0, 24)}…` : v}"`;
}
