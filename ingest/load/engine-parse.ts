import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { WarehouseIO } from '../core/warehouse-io.ts';
import type { EntitySpec, FieldSpec } from '../entities/types.ts';
import type { CompiledField, CompiledMapping } from '../mapping/compile.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { checkColumns } from '../sources/required-columns.ts';
import { MAX_DATETIME_SECONDS } from '../validate/parse-date.ts';
import { QUANTITY_INTEGER_DIGITS, QUANTITY_SCALE } from '../validate/parse-quantity.ts';
import { INSERT_SETTINGS } from '../core/local-payloads.ts';
import type { TableLayout } from './table-layout.ts';
import { OutBuffer } from './out-buffer.ts';
import { loadAliases, rootOf } from '../identity/aliases.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { SCRATCH_TABLE_PREFIXES } from '../../lib/warehouse/scratch-tables.ts';

/**
 * The engine parses (issue 17 item 6): a local CSV whose mapping SQL can express is loaded by
 * `INSERT … SELECT … FROM file(<the file>)` statements in which the engine reads, checks and
 * converts every row, instead of the job parsing and encoding it in JavaScript.
 *
 * Only what is provably the same load as the JS path's is taken, and it is decided before
 * anything is written:
 * - no stored facts of the file's sources (nothing to look up, compare, update or hold back);
 *   references to customers already known resolve in SQL as RefResolver resolves them (the stored
 *   identity_map row, followed through merges to the survivor), new ones get `unmatched` stubs;
 * - rows pass checks that accept a strict subset of what the JS checks accept (plain digits, ISO
 *   dates in two shapes, no control characters or backslashes, which also means the row's TSV text
 *   needs no escaping). A row they do not accept may still be valid: its line, and the lines of
 *   erased people's rows, are handed to the JS path (job.ts reads the file for those lines only),
 *   which loads or rejects them with its own messages. A file mostly of such rows, or whose line
 *   numbers the engine cannot give, is the JS path's whole;
 * - no id of a row the checks accept repeats within the file (the JS path decides which one wins
 *   and names them in warnings): else the whole file is the JS path's.
 * Otherwise this returns undefined and the JS path loads the whole file: nothing was written. The
 * values written are the JS encoder's byte for byte, row_hash included (hash53 below is
 * ingest/load/hash.ts in SQL), so a later JS load of the same or a newer export sees these rows
 * exactly as if the JS path had written them (`test/ingest/engine-parse.test.ts` compares every
 * table both paths write).
 *
 * Crash safety is the JS path's: identity stubs are inserted before the facts, ids are
 * deterministic, and a re-run after a kill (before or after the handed-off lines were written)
 * finds stored rows for the source, so the JS path takes the whole file and writes what is missing.
 */

export interface EngineParseInput {
  /**
   * Runs the statement that reads the file: a client that does not log refused statements (the
   * shared one logs each as an ERROR with its stack, and a CSV the engine's reader refuses is an
   * ordinary case here: the JS path then loads it and reports its lines).
   */
  quietCommand: (query: string) => Promise<void>;
  file: string;
  gzip: boolean;
  tsv: boolean;
  batchId: string;
  runVersion: number;
  /** Tombstones of erased people (ErasedRecords), when the warehouse holds any: their rows go to the JS path. */
  erased?: { matchesRef(source: string, ref: string): boolean };
}

export interface EngineParseResult {
  /** Rows of the file (the engine's and the handed-off ones). */
  read: number;
  /** Rows the engine path stored. */
  loaded: number;
  /**
   * Lines (the file's own numbers, ascending) the engine path did not load: rows its checks do not
   * accept and rows of erased people. The JS path reads the file and loads or rejects only these.
   */
  handOff: Uint32Array;
  /** Distinct references of the stored rows without a customer record (new stubs and earlier stubs). */
  unknownCustomers: number;
  /**
   * Those references per source that had identity_map rows before this load, or undefined past
   * UNMATCHED_LIMIT (as RefResolver.unmatchedRefs). A source without any (`freshSources`) has
   * only this load's references: customers from facts alone may take the whole source.
   */
  unmatched: Map<string, Set<string>> | undefined;
  freshSources: string[];
  /** References of handed-off rows that are among unknownCustomers (`source \x1f ref`): the JS part may count them again. */
  handOffUnknown: Set<string>;
  /** Sources of the stored rows. */
  sources: string[];
  unknownColumns: string[];
}

/** As RefResolver's: past this many references without a customer record, customers from facts take whole sources. */
export const UNMATCHED_LIMIT = 500_000;

/** Kinds of field the SQL below reproduces; an entity with another kind of field keeps the JS path. */
/** How many loads took the engine path in this process (tests check that it was taken). */
export const engineParseStats = { loads: 0, /** loads whose checks passed (writing began) */ checked: 0, /** loads that handed lines to the JS path */ handOffs: 0 };

const SUPPORTED = new Set(['id', 'string', 'enum', 'datetime', 'int', 'quantity', 'currency', 'decimal']);
const MAX_SOURCES = 100;
/** Files above this (a gzipped one above an eighth of it) take the JS path: see engineParseLoad. */
export const MAX_FILE_BYTES = 1 << 30;
const MAPPING_KEYS = new Set(['$comment', 'source', 'format', 'csv', 'columns', 'constants', 'dates', 'numbers', 'currency', 'ignore', 'defaultCountry', 'orders']);
const CSV_KEYS = new Set(['delimiter', 'quote', 'encoding', 'header', 'names']);
const COMPILED_CSV_KEYS = new Set(['delimiter', 'separator', 'whitespace', 'quote', 'encoding', 'header', 'names', 'skipLines']);
/** Rows of up to 4 KiB of TSV text (the row hash's query has one level per 4 bytes of the longest). */
const MAX_WORDS = 1024;

/** Why a file cannot take the engine path (for INGEST_TIMINGS), or undefined when it may. */
export function engineParseBlocker(spec: EntitySpec, compiled: CompiledMapping, mapping: Mapping, layout: TableLayout): string | undefined {
  if (spec.engineParse !== true) return 'entity';
  // Mapping keys and CSV options this path knows; any other (a later feature) keeps the JS path.
  const other = Object.keys(mapping).find((k) => !MAPPING_KEYS.has(k));
  if (other !== undefined) return `mapping key ${other}`;
  const otherCsv = Object.keys(mapping.csv ?? {}).find((k) => !CSV_KEYS.has(k));
  if (otherCsv !== undefined) return `csv.${otherCsv}`;
  const compiledCsv = Object.entries(compiled.csv).find(([k, v]) => !COMPILED_CSV_KEYS.has(k) && v !== undefined && v !== false);
  if (compiledCsv !== undefined) return `csv.${compiledCsv[0]}`;
  const csv = compiled.csv;
  if (csv.whitespace || csv.separator || csv.quote !== 34 || csv.encoding !== 'utf-8' || !csv.header || csv.skipLines !== 0) return 'csv dialect';
  if (csv.delimiter !== undefined && (csv.delimiter === 34 || csv.delimiter < 32 ? csv.delimiter !== 9 : false)) return 'delimiter';
  if (compiled.numbers.decimal !== 46 || compiled.numbers.symbol) return 'numbers';
  if (compiled.currency.minorUnits) return 'minor units';
  if (compiled.skip.length > 0 || compiled.credits) return 'skip/credits';
  if (compiled.fields.some((f) => f.values)) return 'values';
  if (mapping.dates && Object.values(mapping.dates).some((d) => d !== 'ISO')) return 'dates';
  if (!layout.hasAudit || !layout.hasCustomerId || !spec.resolvesCustomer || spec.resolvesIdentity) return 'layout';
  for (const f of spec.fields) {
    if (!SUPPORTED.has(f.type)) return `field ${f.name}`;
    if (f.type === 'decimal' && f.name !== spec.money?.amount && f.column !== null) return `field ${f.name}`;
    if (f.matchKey) return `field ${f.name}`;
  }
  return undefined;
}

/** Loads the file in the engine, or returns undefined (nothing written) for the JS path to load it. */
export async function engineParseLoad(
  io: WarehouseIO,
  spec: EntitySpec,
  compiled: CompiledMapping,
  layout: TableLayout,
  input: EngineParseInput,
): Promise<EngineParseResult | undefined> {
  const path = resolvePath(input.file);
  // A glob character would make file() read other files; a quote or control byte is not a path to quote.
  if (/[*?{}[\]\\']/.test(path) || hasControlOrBackslash(path)) return blocked('path');
  // The parsed rows are held in a Memory table until inserted (≈ 1.5 × the text): a larger file
  // keeps the JS path, whose memory does not grow with the file.
  if ((await stat(path)).size > (input.gzip ? MAX_FILE_BYTES / 8 : MAX_FILE_BYTES)) return blocked('file size');
  const delimiter = compiled.csv.delimiter ?? (input.tsv ? 9 : 44);
  const [header, firstRow] = await firstLines(path, input.gzip);
  if (header === undefined || header.includes('"')) return blocked('header');
  const names = compiled.csv.names ? [...compiled.csv.names] : header.split(String.fromCharCode(delimiter));
  let plan: ReturnType<typeof checkColumns>;
  try {
    plan = checkColumns(compiled, names);
  } catch {
    return blocked('columns'); // the JS path reports it
  }
  if (plan.deriveId) return blocked('derived ids');
  // A re-load or a later export of a source already stored is the JS path's: told by the first
  // row's source before the engine reads the whole file (the check below covers every row).
  const sourceField = compiled.byName.get('source');
  if (sourceField && firstRow !== undefined && !firstRow.includes('"')) {
    const col = plan.colOf[sourceField.index];
    const cell = col >= 0 ? (firstRow.split(String.fromCharCode(delimiter))[col] ?? '').replace(/^[ \t]+|[ \t]+$/g, '') : '';
    const first = cell !== '' ? cell : (sourceField.constant?.toString('utf8') ?? '');
    if (first !== '' && !(await noStoredFacts(io, layout.table, [first]))) return blocked('stored facts of the source');
  }
  for (const f of compiled.fields) {
    const mapped = plan.colOf[f.index] >= 0 || f.constant !== undefined;
    // A field without a column of its own changes the rows the JS path writes (prices per unit,
    // refunded amounts, credit lines they add), except the currency and the version read below.
    const own = f.spec.column !== null || f.spec.name === spec.money?.currency || f.spec.name === spec.versionField;
    if (mapped && !own) return blocked('field without a column');
    if (f.constant && !plainText(f.constant.toString('utf8'))) return blocked('constant');
  }
  const group = spec.derive?.group;
  if (input.erased && [compiled.byName.get('source'), compiled.byName.get('customer_ref')].some((f) => f?.constant && f.constant.toString('utf8') !== f.constant.toString('utf8').trim())) return blocked('constant with spaces');
  let sql: RowSql;
  try {
    sql = new RowSql(spec, compiled, plan.colOf, input.runVersion);
    sql.typedBusiness(layout.business);
  } catch {
    return blocked('field or column'); // a field or column this SQL does not write
  }
  if (group) sql.requirePresent(group.field); // a derived order id is the JS path's

  const structure = names.map((_n, i) => `c${i} String`).join(', ');
  const settings = [
    `format_csv_delimiter = ${sqlString(String.fromCharCode(delimiter))}`,
    'format_csv_allow_single_quotes = 0',
    'format_csv_allow_double_quotes = 1',
    'input_format_csv_trim_whitespaces = 0',
    'input_format_with_names_use_header = 0',
    'input_format_csv_allow_variable_number_of_columns = 0',
    'input_format_allow_errors_num = 0',
    'input_format_csv_skip_trailing_empty_lines = 1',
    // Every row is checked and converted whole, so evaluating the branches of if() and AND lazily
    // (the engine's default) only adds the filtering of their arguments: 2.0–2.4 CPU-s against
    // 2.2–2.5 at 1M rows, six interleaved rounds (load 9–11). Nothing in the list can throw on a
    // row it is not meant for (…OrZero/…OrNull parses, assumeNotNull after the check).
    "short_circuit_function_evaluation = 'disable'",
  ].join(', ');
  const from = `file(${sqlString(path)}, 'CSVWithNames', ${sqlString(structure)}${input.gzip ? ", 'gzip'" : ''})`;
  // One parse: the rows, checked and converted, go into a Memory table of this load, which the
  // check, the stubs and the insert read (three reads of the file cost three parses).
  const staging = io.table(`${STAGING_PREFIX}${input.batchId.replace(/[^A-Za-z0-9_]/g, '_')}`);
  // The load's other scratch tables: references and their customers, flattened aliases, erased references.
  const refsTable = `${STAGING_PREFIX}${input.batchId.replace(/[^A-Za-z0-9_]/g, '_')}_r`;
  const aliasTable = `${STAGING_PREFIX}${input.batchId.replace(/[^A-Za-z0-9_]/g, '_')}_a`;
  const erasedTable = `${STAGING_PREFIX}${input.batchId.replace(/[^A-Za-z0-9_]/g, '_')}_e`;
  const keys = spec.key.map((_k, i) => `key_${i}`);
  // CPU of the whole process (the engine runs in it) and wall per statement: CPU well above wall
  // is a statement on both cores.
  const timings: Record<string, { cpuMs: number; wallMs: number }> = {};
  let mark = process.cpuUsage();
  let wallMark = performance.now();
  const step = (name: string): void => {
    const c = process.cpuUsage(mark);
    timings[name] = { cpuMs: Math.round((c.user + c.system) / 1000), wallMs: Math.round(performance.now() - wallMark) };
    mark = process.cpuUsage();
    wallMark = performance.now();
  };
  // A value holding a line end makes its record span lines: the file's line numbers of the rows
  // after it are no longer the record's number + 2, which the hand-off below relies on. Asked only
  // in the read for the hand-off's lines, which needs it (in the staging read it made no measurable
  // difference: parse 2.17–2.20 CPU-s at 1M rows with and without, load 3–4).
  const lineEnd = `position(concat(${names.map((_n, i) => `c${i}`).join(', ')}, ''), '\\n') > 0`;
  const groupField = group ? compiled.byName.get(group.field) : undefined;
  await dropLeftovers(io);
  try {
    try {
      await input.quietCommand(
        `CREATE TABLE ${staging} ENGINE = Memory AS
         SELECT ok, ${sql.keyExpr().map((k, i) => `${k} AS ${keys[i]}`).join(', ')}, src, ref, cid, row_text AS hs, version, nogroup,
                ${sql.typedBusiness(layout.business).map((e, i) => `${e} AS b_${i}`).join(', ')}
         FROM (SELECT ${sql.selectList()}, ${groupField ? `${sql.v(groupField)} = ''` : '0'} AS nogroup FROM ${from}) SETTINGS ${settings}`,
      );
    } catch {
      // A line the engine's CSV reader refuses (a wrong number of columns, a stray quote, an empty
      // line): the JS path reads the file and rejects that line with its own reason.
      return blocked("the engine's CSV reader refused a line");
    }
    step('parse');
    const [stats] = await io.rows<{ n: string; bad: string; nogroup: string; sources: string[]; longest: string; shortest: string }>(
      `SELECT count() AS n, countIf(NOT ok) AS bad, countIf(nogroup) AS nogroup,
              maxIf(length(hs), ok) AS longest, minIf(length(hs), ok) AS shortest, groupUniqArray(${MAX_SOURCES + 1})(src) AS sources
       FROM ${staging}`,
    );
    // An id on a row the checks accept and on any other row: the JS path decides which one wins and
    // names them in warnings, with wording that depends on its batches, so the file is its. Keys are
    // counted by a 64-bit hash of them (0.28–0.33 CPU-s at 1M rows against 0.48–0.66 for the
    // strings): two keys sharing a hash can only look like a repeated id and send the file there.
    const [repeated] = await io.rows<{ n: string }>(
      `SELECT count() AS n FROM (SELECT cityHash64(${keys.join(', ')}) AS k FROM ${staging} GROUP BY k HAVING count() > 1 AND countIf(ok) > 0)`,
    );
    step('check');
    const n = Number(stats?.n ?? 0);
    const bad = Number(stats?.bad ?? n);
    // Rows the checks leave to the JS path are handed to it by line (below); a file mostly of them,
    // or whose line numbers the engine cannot give, or with derived order ids (whose summary counts
    // every row of the file), is the JS path's whole.
    if (!stats || n === 0 || bad * 2 > n || Number(repeated?.n ?? 1) > 0 || stats.sources.length > MAX_SOURCES) return blocked('checks: no rows, mostly refused rows, a repeated id or too many sources');
    if (Number(stats.nogroup) > 0) return blocked('derived order ids');
    // One level of the row hash's query per word of the longest row that not every row has (hash53Query).
    const words = Math.ceil(Number(stats.longest) / 4);
    if (words > MAX_WORDS) return blocked('row too long');
    // A re-load or a later export of a source already stored is the JS path's (it looks up, compares
    // and holds back rows); references to customers already known are resolved below.
    if (!(await noStoredFacts(io, layout.table, stats.sources))) return blocked('stored facts of the source');

    // Rows of erased people are skipped by the JS path before anything else sees them (ErasedRecords):
    // handed to it, they are skipped and counted there. Matched on the values as ErasedRecords reads
    // them (JavaScript's trim; a constant where that leaves nothing).
    let take = 'ok';
    if (input.erased) {
      const pairs = await io.rows<{ src: string; ref: string }>(`SELECT DISTINCT src, ref FROM ${staging} WHERE ok`);
      const srcConst = compiled.byName.get('source')?.constant?.toString('utf8') ?? '';
      const refConst = compiled.byName.get('customer_ref')?.constant?.toString('utf8') ?? '';
      const hits = pairs.filter((p) => input.erased!.matchesRef(p.src.trim() || srcConst, p.ref.trim() || refConst));
      if (hits.length > 0) {
        await io.command(`CREATE TABLE ${io.table(erasedTable)} (src String, ref String) ENGINE = Memory`);
        await io.insertTsv(erasedTable, ['src', 'ref'], tsvRows(hits.map((h) => [h.src, h.ref])));
        take = `ok AND (src, ref) NOT IN (SELECT src, ref FROM ${io.table(erasedTable)})`;
      }
      step('erased');
    }
    // The handed-off rows' line numbers. Their keys are theirs alone (an accepted row's key repeats
    // nowhere, checked above), so a second read of the file picks their lines by key. Numbered in
    // one stream: with the engine's parallel parsing `_row_number` drifts from the record's place
    // (428,312 of the demo's 494,146 rows off, chDB 3.4 / ClickHouse 26.7), which the staging read,
    // parsing in parallel, cannot use.
    const taken = n - Number((await io.rows<{ n: string }>(`SELECT count() AS n FROM ${staging} WHERE NOT (${take})`))[0]?.n ?? 0);
    let handOff = new Uint32Array(0);
    if (taken < n) {
      const keyList = keys.join(', ');
      const found = await io.rows<{ rn: string; nl: number }>(
        `SELECT rn, nl FROM (SELECT _row_number AS rn, ${lineEnd} AS nl, ${sql.keyItems().join(', ')} FROM ${from})
         WHERE nl OR (${keyList}) IN (SELECT ${keyList} FROM ${staging} WHERE NOT (${take}))
         ORDER BY rn SETTINGS ${settings}, input_format_parallel_parsing = 0`,
      );
      if (found.some((r) => Number(r.nl) !== 0)) return blocked('a value holds a line end: line numbers');
      handOff = Uint32Array.from(found.map((r) => Number(r.rn) + 2));
      if (handOff.length !== n - taken) return blocked('line numbers of the refused rows');
      step('lines');
    }
    const loaded = n - handOff.length;
    if (loaded === 0) return blocked('no row to load');

    // References resolved as RefResolver resolves them: the stored identity_map row (argMax by
    // version) followed through merges to the survivor (rootOf over the aliases as loadAliases reads
    // them), else a new `unmatched` stub with the id its customer record would get.
    const aliases = await loadAliases(io);
    if (aliases.size > 0) {
      await io.command(`CREATE TABLE ${io.table(aliasTable)} (from_id String, root String) ENGINE = Memory`);
      await io.insertTsv(aliasTable, ['from_id', 'root'], tsvRows([...aliases.keys()].map((from) => [from, rootOf(aliases, from)])));
    }
    const engineSources = (await io.rows<{ s: string }>(`SELECT DISTINCT src AS s FROM ${staging} WHERE ${take}`)).map((r) => r.s);
    const mapped = `SELECT s.src AS src, s.ref AS ref, s.cid AS new_cid, m.found AS found, m.rule AS rule, if(m.found = 1, m.customer_id, s.cid) AS mapped
       FROM (SELECT DISTINCT src, ref, cid FROM ${staging} WHERE ${take}) AS s
       LEFT JOIN (SELECT source, source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule, toUInt8(1) AS found
                  FROM ${io.table('identity_map')}
                  WHERE source IN {sources:Array(String)} AND source_id IN (SELECT ref FROM ${staging})
                  GROUP BY source, source_id) AS m
         ON s.src = m.source AND s.ref = m.source_id`;
    await io.command(
      `CREATE TABLE ${io.table(refsTable)} ENGINE = Memory AS
       ${
         aliases.size > 0
           ? `SELECT r.src AS src, r.ref AS ref, r.new_cid AS new_cid, r.found AS found, r.rule AS rule, if(r.found = 1 AND a.root != '', a.root, r.mapped) AS final
              FROM (${mapped}) AS r LEFT JOIN ${io.table(aliasTable)} AS a ON r.mapped = a.from_id`
           : `SELECT src, ref, new_cid, found, rule, mapped AS final FROM (${mapped})`
       }
       SETTINGS join_use_nulls = 0`,
      { sources: engineSources },
    );
    const unknownIf = `found = 0 OR rule = 'unmatched'`;
    const [refStats] = await io.rows<{ unknown: string; moved: string }>(
      `SELECT countIf(${unknownIf}) AS unknown, countIf(final != new_cid) AS moved FROM ${io.table(refsTable)}`,
    );
    const unknownCustomers = Number(refStats?.unknown ?? 0);
    const known = new Set(
      (await io.rows<{ s: string }>(`SELECT DISTINCT source AS s FROM ${io.table('identity_map')} WHERE source IN {sources:Array(String)}`, { sources: engineSources })).map((r) => r.s),
    );
    const freshSources = engineSources.filter((x) => !known.has(x));
    let unmatched: Map<string, Set<string>> | undefined;
    if (unknownCustomers <= UNMATCHED_LIMIT) {
      unmatched = new Map();
      // Listed only for sources with earlier rows (at 1M rows of a fresh source, pulling its 100k
      // references cost more than the whole source's scope, which is the same set there).
      const listed = await io.rows<{ src: string; ref: string }>(`SELECT src, ref FROM ${io.table(refsTable)} WHERE (${unknownIf}) AND src IN {known:Array(String)}`, {
        known: [...known],
      });
      for (const r of listed) {
        let set = unmatched.get(r.src);
        if (!set) unmatched.set(r.src, (set = new Set()));
        set.add(r.ref);
      }
    }
    const handOffUnknown = new Set<string>();
    if (handOff.length > 0) {
      const both = await io.rows<{ src: string; ref: string }>(
        `SELECT DISTINCT src, ref FROM ${staging} WHERE NOT (${take}) AND (src, ref) IN (SELECT src, ref FROM ${io.table(refsTable)} WHERE ${unknownIf})`,
      );
      for (const r of both) handOffUnknown.add(`${r.src}\x1f${r.ref}`);
    }
    step('resolve');

    engineParseStats.checked++;
    // Stubs first, as the JS path: a crash after them leaves only ids a re-run computes again.
    await io.command(
      `INSERT INTO ${io.table('identity_map')} (source, source_id, customer_id, rule, version)
       SELECT src, ref, new_cid, 'unmatched', ${input.runVersion} FROM ${io.table(refsTable)} WHERE found = 0`,
    );
    step('stubs');
    const cols = [...layout.business, 'customer_id', 'row_hash', 'version', 'batch_id'];
    // Rows whose reference resolved to another id than the one computed from it take that id.
    const rowsOf =
      Number(refStats?.moved ?? 0) > 0
        ? `SELECT * REPLACE (if(r_final = '', cid, r_final) AS cid) FROM ${staging}
           LEFT JOIN (SELECT src AS r_src, ref AS r_ref, final AS r_final FROM ${io.table(refsTable)} WHERE final != new_cid) AS r ON src = r_src AND ref = r_ref
           WHERE ${take}`
        : `SELECT * FROM ${staging} WHERE ${take}`;
    await factsInsert(loaded, () =>
      io.command(
        `INSERT INTO ${io.table(layout.table)} (${cols.map((c) => `\`${c}\``).join(', ')}) SETTINGS ${PARALLEL_INSERT}
       SELECT ${layout.business.map((_c, i) => `b_${i}`).join(', ')}, cid, h, version, ${sqlString(input.batchId)}
       FROM (${hash53Query(rowsOf, Math.floor(Number(stats.shortest) / 4), words)}) SETTINGS ${INSERT_SETTINGS}, join_use_nulls = 0`,
      ),
    );
    step('facts');
    if (loadConfig().INGEST_TIMINGS) process.stderr.write(`engine parse CPU and wall ms per statement: ${JSON.stringify(timings)}, handed to the JS path: ${handOff.length} lines\n`);
    engineParseStats.loads++;
    if (handOff.length > 0) engineParseStats.handOffs++;
    return { read: n, loaded, handOff, unknownCustomers, unmatched, freshSources, handOffUnknown, sources: engineSources, unknownColumns: plan.unknown };
  } finally {
    await io.command(`DROP TABLE IF EXISTS ${staging}`);
    for (const t of [refsTable, aliasTable, erasedTable]) await io.command(`DROP TABLE IF EXISTS ${io.table(t)}`);
  }
}

const STAGING_PREFIX = SCRATCH_TABLE_PREFIXES.engineParse;

/** The JS path loads the file: says why with INGEST_TIMINGS. */
function blocked(why: string): undefined {
  if (loadConfig().INGEST_TIMINGS) process.stderr.write(`ingest: JS path (${why})\n`);
  return undefined;
}

/**
 * The facts insert failed (an engine refusal such as a CHECK constraint, a full disk): the file's
 * rows were read and checked, and any of them may be stored (the insert writes on two threads,
 * block by block), so all are reported as unconfirmed, as the JS path reports a refused batch.
 */
export class EngineFactsError extends Error {
  constructor(
    cause: unknown,
    readonly rows: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function factsInsert(rows: number, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    throw new EngineFactsError(e, rows);
  }
}

/**
 * The facts insert on every core. Its read and hash already run one stream per core (the Memory
 * table's blocks), but an insert into a table with a materialized view (transactions →
 * transactions_by_customer) funnels them into one sink chain unless the views are processed in
 * parallel: the sort, compression and view copy then ran on one thread (3.7 CPU-s in 3.6–3.7 s
 * wall at 1M rows, load 3–4; with these settings 3.2–3.3 CPU-s in 1.8–2.8 s). Rows are unique per
 * key (checked above) and the tables replacing, so two parts instead of one store the same rows.
 * The statement's read (file() with parallel parsing, two streams) and the check and stubs
 * statements already used both cores (parse 2.8 CPU-s in 1.5 s).
 */
const PARALLEL_INSERT = `max_insert_threads = ${Math.max(1, availableParallelism())}, parallel_view_processing = 1`;

/** Staging tables of a load killed mid-way (a finished or failed load drops its own): after a day. */
async function dropLeftovers(io: WarehouseIO): Promise<void> {
  const old = await io.rows<{ name: string }>(
    `SELECT name FROM system.tables
     WHERE database = ${io.database ? '{db:String}' : 'currentDatabase()'} AND startsWith(name, {prefix:String})
       AND metadata_modification_time < now() - INTERVAL 1 DAY`,
    { db: io.database, prefix: STAGING_PREFIX },
  );
  for (const { name } of old) await io.command(`DROP TABLE IF EXISTS ${io.table(name)}`);
}

/** No stored fact of `table` for any of `sources`: nothing to look up, compare, update or hold back. */
async function noStoredFacts(io: WarehouseIO, table: string, sources: readonly string[]): Promise<boolean> {
  const [stored] = await io.rows<{ facts: string }>(`SELECT count() AS facts FROM ${io.table(table)} WHERE source IN {sources:Array(String)}`, { sources });
  return Number(stored?.facts ?? 1) === 0;
}

/** Rows of text values as a TabSeparated payload. */
function tsvRows(rows: readonly (readonly string[])[]): Buffer {
  const out = new OutBuffer(1 << 16);
  for (const r of rows) {
    r.forEach((v, i) => {
      if (i > 0) out.byte(9);
      out.text(v);
    });
    out.byte(10);
  }
  return Buffer.from(out.bytes());
}

/** The first two lines of the (unpacked) file without their line ends (undefined where none ends within 64 KiB). */
async function firstLines(path: string, gzip: boolean): Promise<[string | undefined, string | undefined]> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let bytes = buf.subarray(0, bytesRead);
    if (gzip) {
      try {
        bytes = gunzipSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH: a partial stream */ });
      } catch {
        return [undefined, undefined];
      }
    }
    const nl = bytes.indexOf(10);
    if (nl < 0) return [undefined, undefined];
    const line = (from: number, to: number): string => {
      const text = bytes.subarray(from, to).toString('utf8');
      return text.endsWith('\r') ? text.slice(0, -1) : text;
    };
    const nl2 = bytes.indexOf(10, nl + 1);
    return [line(0, nl).replace(/^\uFEFF/, ''), nl2 < 0 ? undefined : line(nl + 1, nl2)];
  } finally {
    await fh.close();
  }
}

/** Text that needs no TSV escaping and passes the id checks: valid UTF-8 without control characters or backslashes. */
function plainText(s: string): boolean {
  return !hasControlOrBackslash(s) && !s.includes('\uFFFD');
}

function hasControlOrBackslash(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127 || c === 92) return true;
  }
  return false;
}

function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The SELECT list over the file's String columns: per field its trimmed value `v_<field>` (a
 * constant where empty), `ok` (every field passes), the TSV text of each business column `t_<col>`
 * as the JS encoder writes it, and `row_hash`, `version`, `cid`, `src`, `ref`.
 */
class RowSql {
  readonly #items: string[] = [];
  readonly #checks: string[] = [];
  /** Per field, the regular expression its value must match whole (every field has one). */
  readonly #shape = new Map<CompiledField, string>();
  readonly #text = new Map<string, string>();
  readonly #typed = new Map<string, string>();
  /** Per field, its trimmed value (a constant where empty) over the file's String columns. */
  readonly #value = new Map<CompiledField, string>();

  constructor(
    readonly spec: EntitySpec,
    readonly compiled: CompiledMapping,
    readonly colOf: Int32Array,
    readonly runVersion: number,
  ) {
    for (const f of compiled.fields) {
      const col = colOf[f.index];
      const raw = col >= 0 ? `trim(BOTH ' \\t' FROM c${col})` : `''`;
      const v = f.constant ? `if(${raw} = '', ${sqlString(f.constant.toString('utf8'))}, ${raw})` : raw;
      this.#items.push(`${v} AS ${this.v(f)}`);
      this.#value.set(f, v);
      if (f.spec.required) this.#checks.push(`${this.v(f)} != ''`);
    }
    const money = spec.money;
    for (const f of compiled.fields) {
      const s = f.spec;
      if (money && s.name === money.amount) this.#money(f);
      else if (s.column === null) continue;
      else this.#field(f);
    }
    const version = spec.versionField ? compiled.byName.get(spec.versionField) : undefined;
    if (version) {
      const secs = this.#datetime(version);
      this.#items.push(`if(${this.v(version)} = '', ${runVersion}, toUInt64(${secs}) * 1000) AS version`);
    } else this.#items.push(`toUInt64(${runVersion}) AS version`);
    const src = compiled.byName.get('source')!;
    const ref = compiled.byName.get('customer_ref')!;
    this.#items.push(`${this.v(src)} AS src`, `${this.v(ref)} AS ref`, ...customerIdSql('src', 'ref', 'cid'));
    // Every value: valid UTF-8 (the JS path rejects other bytes), no byte the TSV text would escape
    // or an id check refuse (such values are the JS path's to write), and the shape its type needs.
    // One regular expression over the row's values joined by \x1F, not one match() per field (the
    // checks were a third of the read's CPU): no field's pattern matches \x1F, so a value holding
    // it shifts the fields and the row fails, which leaves it to the JS path as before.
    const all = compiled.fields.map((f) => this.v(f));
    const shapes = compiled.fields.map((f) => `(?:${this.#shape.get(f) ?? PLAIN})`);
    this.#checks.push(
      `isValidUTF8(concatWithSeparator('\\x1F', ${all.join(', ')}))`,
      `match(concatWithSeparator('\\x1F', ${all.join(', ')}), ${sqlString(`^${shapes.join('\\x1f')}$`)})`,
    );
  }

  v(f: CompiledField): string {
    return `v_${f.spec.name}`;
  }

  requirePresent(field: string): void {
    const f = this.compiled.byName.get(field);
    if (f) this.#checks.push(`${this.v(f)} != ''`);
  }

  /** The key's values as SELECT items over the file's columns (named key_0, key_1, … as in the staging table). */
  keyItems(): string[] {
    return this.spec.key.map((k, i) => `${this.#value.get(this.compiled.byName.get(k)!)!} AS key_${i}`);
  }

  keyExpr(): string[] {
    return this.spec.key.map((k) => this.v(this.compiled.byName.get(k)!));
  }

  selectList(): string {
    const business = [...this.#text.values()];
    const row = `concat(${business.flatMap((t, i) => (i === 0 ? [t] : [`'\\t'`, t])).join(', ')})`;
    return [...this.#items, `(${this.#checks.join(' AND ')}) AS ok`, `${row} AS row_text`].join(',\n  ');
  }

  typedBusiness(columns: readonly string[]): string[] {
    return columns.map((c) => {
      const e = this.#typed.get(c);
      if (e === undefined) throw new Error(`engine parse: no expression for column ${c}`);
      return e;
    });
  }

  #column(f: FieldSpec): string {
    return f.column ?? f.name;
  }

  #field(f: CompiledField): void {
    const s = f.spec;
    const v = this.v(f);
    const col = this.#column(s);
    switch (s.type) {
      case 'id':
      case 'string':
      case 'currency':
        this.#text.set(col, v);
        this.#typed.set(col, v);
        return;
      case 'enum': {
        const allowed = (s.values ?? []).map(sqlString).join(', ');
        this.#shape.set(f, '[A-Za-z_]*');
        this.#checks.push(`(${v} = '' OR lower(${v}) IN (${allowed}))`);
        this.#text.set(col, `lower(${v})`);
        this.#typed.set(col, `lower(${v})`);
        return;
      }
      case 'datetime': {
        const secs = this.#datetime(f);
        const t = `if(${v} = '', '', leftPad(toString(${secs}), 10, '0'))`;
        this.#text.set(col, t);
        // A field that is not required and empty would be NULL or the column's default: not expressed.
        if (!s.required) this.#checks.push(`${v} != ''`);
        this.#typed.set(col, `toDateTime(${secs}, 'UTC')`);
        return;
      }
      case 'int': {
        const max = Math.min(s.max ?? 999_999_999, 999_999_999);
        const dflt = s.default !== undefined ? String(Number(s.default)) : '0';
        this.#shape.set(f, '(?:[0-9]{1,9})?');
        if ((s.min ?? 0) > 0 || max < 999_999_999) this.#checks.push(`(${v} = '' OR (toUInt64OrZero(${v}) >= ${s.min ?? 0} AND toUInt64OrZero(${v}) <= ${max}))`);
        const t = `if(${v} = '', '${dflt}', toString(toUInt64OrZero(${v})))`;
        this.#text.set(col, t);
        this.#typed.set(col, `toUInt64OrZero(${t})`);
        return;
      }
      case 'quantity': {
        // Plain digits with up to QUANTITY_SCALE decimals (a sign, separators, more digits, even
        // trailing zeros beyond them: the JS path's). Written as parseQuantity writes it: the whole
        // part without leading zeros, the fraction without trailing zeros, no point for a whole number.
        const dflt = s.default ?? '0';
        if (!/^(0|[1-9][0-9]{0,8})$/.test(dflt)) throw new Error(`engine parse: default of ${s.name}`);
        if ((s.min ?? 0) !== 0 || s.max !== undefined) throw new Error(`engine parse: bounds of ${s.name}`);
        this.#shape.set(f, `(?:[0-9]{1,${QUANTITY_INTEGER_DIGITS}}(?:\\.[0-9]{1,${QUANTITY_SCALE}})?)?`);
        const dot = `position(${v}, '.')`;
        const whole = `toString(toUInt64OrZero(if(${dot} > 0, substring(${v}, 1, ${dot} - 1), ${v})))`;
        const frac = `replaceRegexpOne(if(${dot} > 0, substring(${v}, ${dot} + 1), ''), '0+$', '')`;
        const t = `if(${v} = '', '${dflt}', concat(${whole}, if(${frac} = '', '', concat('.', ${frac}))))`;
        this.#text.set(col, t);
        this.#typed.set(col, `toDecimal64(${t}, ${QUANTITY_SCALE})`);
        return;
      }
      default:
        throw new Error(`engine parse: field ${s.name} of type ${s.type}`);
    }
  }

  /**
   * Unix seconds of an ISO date or date-time in the two plain shapes (naive = UTC). The engine's
   * parser refuses a day, month, hour, minute or second out of range (2024-02-30, 24:00:00) but
   * wraps past 2106-02-07 06:28:15 (the last second a DateTime holds); the fixed shape makes a
   * string comparison with that instant the range check. Equal, over 20M random strings of the
   * shape, to the round trip through formatDateTime this replaced (a fifth of the checks' CPU).
   */
  #datetime(f: CompiledField): string {
    const v = this.v(f);
    const norm = `concat(substring(${v}, 1, 10), ' ', if(length(${v}) > 10, substring(${v}, 12, 8), '00:00:00'))`;
    const dt = `parseDateTimeOrNull(${norm}, '%Y-%m-%d %H:%i:%s', 'UTC')`;
    const name = `dt_${f.spec.name}`;
    this.#items.push(`${dt} AS ${name}`);
    this.#shape.set(f, '(?:[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}:[0-9]{2})?)?');
    this.#checks.push(`(${v} = '' OR (${name} IS NOT NULL AND ${norm} <= ${sqlString(LAST_DATETIME)}))`);
    return `toUnixTimestamp(assumeNotNull(${name}))`;
  }

  /** amount, original_amount, original_currency: the JS #writeMoney for plain decimals. */
  #money(f: CompiledField): void {
    const v = this.v(f);
    const cur = this.compiled.currency;
    const currencyField = this.compiled.byName.get(this.spec.money!.currency);
    const fallback = sqlString(cur.fallback ?? cur.base);
    const cv = currencyField ? this.v(currencyField) : `''`;
    this.#items.push(`if(${cv} = '', ${fallback}, upper(${cv})) AS cur_code`);
    if (currencyField) this.#shape.set(currencyField, '(?:[A-Za-z]{3})?');
    const codes = [...cur.rates.keys()];
    if (codes.length === 0 || codes.some((c) => !/^[A-Z]{3}$/.test(c))) throw new Error('engine parse: currency rates');
    this.#checks.push(`cur_code IN (${codes.map(sqlString).join(', ')})`);
    const rates = codes.map((c) => cur.rates.get(c)!);
    if (rates.some((r) => !Number.isFinite(r))) throw new Error('engine parse: currency rates');
    this.#items.push(`transform(cur_code, [${codes.map(sqlString).join(', ')}], [${rates.map((r) => `toFloat64(${String(r)})`).join(', ')}], toFloat64(0)) AS cur_rate`);
    // Digits, an optional point and up to 9 decimals; the JS parser reads the first two and rounds
    // half away from zero by the third (parseScaled).
    this.#shape.set(f, '[0-9]{1,13}(?:\\.[0-9]{1,9})?');
    const frac = `if(position(${v}, '.') > 0, substring(${v}, position(${v}, '.') + 1), '')`;
    const whole = `toUInt64OrZero(if(position(${v}, '.') > 0, substring(${v}, 1, position(${v}, '.') - 1), ${v}))`;
    this.#items.push(`${whole} * 100 + toUInt64OrZero(rightPad(substring(${frac}, 1, 2), 2, '0')) + if(substring(${frac}, 3, 1) >= '5', 1, 0) AS orig_cents`);
    // Math.round(cents × rate) exactly: floor, plus one when the fraction is at least a half.
    const x = `(toFloat64(orig_cents) * cur_rate)`;
    this.#items.push(`if(cur_rate = 1, orig_cents, toUInt64(floor(${x}) + if(${x} - floor(${x}) >= 0.5, 1, 0))) AS base_cents`);
    const text = (c: string): string => `concat(toString(intDiv(${c}, 100)), '.', leftPad(toString(${c} % 100), 2, '0'))`;
    this.#text.set('amount', text('base_cents'));
    this.#text.set('original_amount', text('orig_cents'));
    this.#text.set('original_currency', 'cur_code');
    // The typed values from the cents themselves, not by parsing their text again (0.01–0.02 CPU-s
    // per column at 1M rows against 0.09–0.10 for the parse): whole cents as a Decimal divided by
    // 100 is exact. Decimal128, so that ×100 cannot overflow where a rate makes large base cents:
    // a base amount past 2^53 hundredths (a large rate) is the JS path's: the double product has
    // lost digits there, and the JS path computes it exactly or rejects it past Decimal(18, 2).
    this.#checks.push(`${x} < 9007199254740992`);
    this.#typed.set('amount', 'toDecimal128(base_cents, 2) / 100');
    this.#typed.set('original_amount', 'toDecimal128(orig_cents, 2) / 100');
    this.#typed.set('original_currency', 'cur_code');
  }
}

/** A value of a field without a shape of its own: no control character and no backslash. */
const PLAIN = '[^\\x00-\\x1f\\x7f\\\\]*';
/** The last second a DateTime holds (MAX_DATETIME_SECONDS) as the parser's input shape. */
const LAST_DATETIME = new Date(MAX_DATETIME_SECONDS * 1000).toISOString().slice(0, 19).replace('T', ' ');

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** customerIdFor (ingest/identity/customer-id.ts) in SQL: `C-` + the first 60 bits of sha256(source \x1f ref) in Crockford base32. Items of the SELECT list, the last named `as`. */
function customerIdSql(source: string, ref: string, as: string): string[] {
  const x = `reinterpretAsUInt64(reverse(substring(SHA256(concat(${source}, '\\x1F', ${ref})), 1, 8)))`;
  const chars = Array.from({ length: 12 }, (_v, i) => `substring('${ALPHABET}', toUInt8(bitAnd(bitShiftRight(${as}_h64, ${59 - 5 * i}), 31)) + 1, 1)`);
  return [`${x} AS ${as}_h64`, `concat('C-', ${chars.join(', ')}) AS ${as}`];
}

/**
 * hash53 (ingest/load/hash.ts) in SQL: a query over `inner` (which has the row's text as `hs`)
 * adding it as `h`. Two 32-bit multiply-rotate lanes (UInt32 columns: the product's low half is
 * the 32-bit multiply, bitRotateLeft the rotation), one little-endian word at a time, then the
 * tail bytes, then the final mix. The first `minWords` words, which every row has, are chained
 * without a condition, up to CHAIN words per level (each word nests its lane's expression four
 * functions deeper; the parser's depth limit is 1000), with one 8-byte read per two words; the
 * words only some rows have take one level each, rows with fewer keeping their state (a state
 * used twice in one expression would be inlined twice, so one level per such word). The first
 * formulation (UInt64 lanes, one level with a condition per word) took 0.85 CPU-s at 1M rows
 * against 0.45 for this one (load 11); `arrayFold` over the words 3.4.
 */
export function hash53Query(inner: string, minWords: number, maxWords: number): string {
  const imul = (a: string, b: number): string => `toUInt32(${a} * ${b})`;
  const stepX = (h: string, w: string): string => `bitRotateLeft(${imul(`bitXor(${h}, ${w})`, 2654435761)}, 13)`;
  const stepY = (h: string, w: string): string => `bitRotateLeft(${imul(`bitXor(${h}, ${w})`, 1597334677)}, 17)`;
  // Word j of the row: the low or high half of the 8 bytes from word j - j % 2 (past the end of the
  // text the bytes read as zeros, and such words are never used).
  const word = (j: number): string =>
    j % 2 === 0 ? `toUInt32(reinterpretAsUInt64(substring(hs, ${4 * j + 1}, 8)))` : `toUInt32(bitShiftRight(reinterpretAsUInt64(substring(hs, ${4 * j - 3}, 8)), 32))`;
  const sure = Math.max(0, Math.min(minWords, maxWords));
  let q = `SELECT *, length(hs) AS hlen, intDiv(length(hs), 4) AS hnw, toUInt32(bitXor(3735928559, length(hs))) AS hx, toUInt32(1103547991) AS hy FROM (${inner})`;
  for (let j = 0; j < sure; j += CHAIN) {
    let hx = 'hx';
    let hy = 'hy';
    for (let k = j; k < Math.min(sure, j + CHAIN); k++) {
      hx = stepX(hx, word(k));
      hy = stepY(hy, word(k));
    }
    q = `SELECT * REPLACE (${hx} AS hx, ${hy} AS hy) FROM (${q})`;
  }
  for (let j = sure; j < maxWords; j++) {
    const w = `reinterpretAsUInt32(substring(hs, ${4 * j + 1}, 4))`;
    q = `SELECT * REPLACE (if(hnw > ${j}, ${stepX('hx', w)}, hx) AS hx, if(hnw > ${j}, ${stepY('hy', w)}, hy) AS hy) FROM (${q})`;
  }
  for (let k = 0; k < 3; k++) {
    const t = `reinterpretAsUInt8(substring(hs, hnw * 4 + ${k + 1}, 1))`;
    q = `SELECT * REPLACE (if(hnw * 4 + ${k} < hlen, ${imul(`bitXor(hx, ${t})`, 2654435761)}, hx) AS hx, if(hnw * 4 + ${k} < hlen, ${imul(`bitXor(hy, ${t})`, 1597334677)}, hy) AS hy) FROM (${q})`;
  }
  return `SELECT *, ${imul('bitXor(hx, bitShiftRight(hx, 16))', 2246822507)} AS ha1, bitXor(ha1, ${imul('bitXor(hy, bitShiftRight(hy, 13))', 3266489909)}) AS hb1,
    ${imul('bitXor(hy, bitShiftRight(hy, 16))', 2246822507)} AS ha2, bitXor(ha2, ${imul('bitXor(hb1, bitShiftRight(hb1, 13))', 3266489909)}) AS hb2,
    toUInt64(bitAnd(hb2, 2097151)) * 4294967296 + hb1 AS h FROM (${q})`;
}

/** Words chained in one expression of the row hash's query (see hash53Query). */
const CHAIN = 32;
