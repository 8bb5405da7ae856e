/**
 * Which warehouse tables an answer is computed from, so that a data change makes stale only the
 * answers over the tables it changed (issue 17). With one data version for the whole database, a
 * load of 1,000 transactions made every remembered answer of every scope due — deals, model
 * scores, campaigns included: ≈ 343 Cube queries per change at 10M transactions, 36–156 s of work
 * on Cube's two lanes, longer than the 30 s staleness bound, so every user then waited in Cube's
 * queue (semantic/README.md, "The stall after a data change").
 *
 * The read set of a /v1/load answer, from the model files and the engine's own view definitions:
 * - the members the query names (any string `<view or cube>.<member>` anywhere in it: selected,
 *   filtered, ordered) → the cubes on each member's join path in its view (Cube joins along it)
 *   and the member in its cube; a member the model does not resolve counts as every cube of its
 *   view, whole;
 * - of each cube on a path, its own SQL (`sql`, `sql_table`) and its primary key's SQL (Cube
 *   groups by it when a join multiplies rows); of the member, its own SQL (with its filters, its
 *   cases) and, through the `{…}` references in it, the members and cubes that SQL names
 *   (transitively: a sub-query dimension over another cube reads that cube and the join to it).
 *   Only the members a query names count: the customers cube's `source_ids` reads the identity
 *   map, which every load writes, and counting it for every query over the customers made every
 *   customer and sales answer due at each load (session 10);
 * - the scope's row filter as Cube renders it: `{SECURITY_CONTEXT.<claim>.filter(…)}` is `1 = 1`
 *   for a scope without that claim, so an executive's deals do not read customers, an owner's do;
 *   the SQL of a join only when a path takes it;
 * - every table name in that SQL, then through the engine's definitions of views, materialized
 *   views and other non-MergeTree tables, transitively; a derived table stands for the commit row
 *   that publishes it (refresh-keys.ts REPRESENTED_BY).
 * A cube's `refresh_key` is not part of it: it decides when Cube's own cache expires, not what an
 * answer is computed from, and every answer this cache does not hold is asked with renewQuery.
 * Anything the resolver cannot tell (a model file that is not YAML, a query naming no known member)
 * reads everything: such an answer goes stale on every change, as all did before. Over-counting
 * costs a re-computation; under-counting would serve old data, so every doubt counts as a read.
 * test/semantic/tables-read.test.ts checks the read sets against the SQL Cube generates.
 */
import { REPRESENTED_BY, parseTableVersions } from './refresh-keys.ts';

type Obj = Record<string, unknown>;

/** What the resolver knows of one cube. */
interface CubeReads {
  /** Its own SQL (`sql`, `sql_table`) and its primary key's: read by any query that touches the cube. */
  base: string;
  /** Each measure's, dimension's and segment's own SQL (its `sql`, its filters', its cases'), by name; '' for none (a plain count). */
  members: Map<string, string>;
  /** Every SQL text of the cube but its joins: a cube read whole (a member the resolver cannot place). */
  whole: string;
  /** A join's SQL by the cube it joins: read when a join path goes from this cube to that one. */
  joins: Map<string, string>;
}

/** One way a view member is reached: the join path to its cube, and its name there (undefined: the last cube whole). */
interface Reach {
  path: string[];
  member?: string;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;
const MEMBER = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)/;
/**
 * A Cube reference: `{CUBE}`, `{CUBE.member}`, `{member}`, `{cube.member}`, `{cube}` — the name
 * right after an opening brace. Cube compiles YAML SQL as a template whose `{…}` are its
 * references; a name outside braces is the SQL's own (a column, a table).
 */
const REFERENCE = /\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?/g;
/** Names after a brace that are Cube's context objects, not cubes or members. */
const CONTEXT_NAMES = new Set(['SECURITY_CONTEXT', 'FILTER_PARAMS', 'COMPILE_CONTEXT', 'SQL_UTILS']);

const isObj = (v: unknown): v is Obj => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** Every string under a key named `sql` or `sql_table`, at any depth, except under `skip` keys. */
function sqlStrings(value: unknown, skip: ReadonlySet<string>, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) sqlStrings(v, skip, out);
  else if (isObj(value))
    for (const [k, v] of Object.entries(value)) {
      if (skip.has(k)) continue;
      if ((k === 'sql' || k === 'sql_table') && typeof v === 'string') out.push(v);
      else sqlStrings(v, skip, out);
    }
  return out;
}

const MEMBER_KINDS = ['measures', 'dimensions', 'segments'] as const;

/** The cube's members' own SQL by name, and its primary key's SQL. */
function membersOf(cube: Obj): { members: Map<string, string>; primaryKey: string[] } {
  const members = new Map<string, string>();
  const primaryKey: string[] = [];
  for (const kind of MEMBER_KINDS) {
    const list = cube[kind];
    if (!Array.isArray(list)) continue;
    for (const m of list) {
      if (!isObj(m) || typeof m.name !== 'string') continue;
      const sql = sqlStrings(m, new Set()).join('\n');
      // Two members of one name (not valid Cube): both count.
      members.set(m.name, members.has(m.name) ? `${members.get(m.name)}\n${sql}` : sql);
      if (m.primary_key === true || m.primaryKey === true) primaryKey.push(sql);
    }
  }
  return { members, primaryKey };
}

/**
 * The SQL as Cube renders it for a scope, as far as which tables it names: a
 * `{SECURITY_CONTEXT.<claim>.filter(…)}` block whose claim the scope lacks (or holds empty) is
 * rendered `1 = 1` by Cube (BaseQuery's contextSymbols), so its subquery reads nothing. A block
 * whose end cannot be found is kept whole.
 */
export function renderScopeFilters(sql: string, claims: Readonly<Record<string, unknown>>): string {
  const start = /\{\s*SECURITY_CONTEXT\.([A-Za-z_][A-Za-z0-9_]*)\.filter\(/g;
  let out = '';
  let from = 0;
  for (let m = start.exec(sql); m; m = start.exec(sql)) {
    if (m.index < from) continue;
    let depth = 0;
    let end = -1;
    for (let i = m.index; i < sql.length; i++) {
      if (sql[i] === '{') depth++;
      else if (sql[i] === '}' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) break;
    if (claims[m[1]]) continue;
    out += `${sql.slice(from, m.index)}1 = 1`;
    from = end + 1;
    start.lastIndex = from;
  }
  return out + sql.slice(from);
}

/** The model's cubes and views as the resolver needs them, from the parsed YAML documents. */
export class ModelReads {
  readonly #cubes = new Map<string, CubeReads>();
  /** view → member → how it is reached; `*` → every path of the view, cubes whole (a member it does not resolve). */
  readonly #views = new Map<string, Map<string, Reach[]>>();
  /** False when something in the model is beyond this resolver: every answer then reads everything. */
  readonly complete: boolean;

  /** `docs`: each model file parsed (js-yaml), and whether every model file was YAML. */
  constructor(docs: unknown[], allYaml = true) {
    let complete = allYaml;
    for (const doc of docs) {
      if (!isObj(doc)) continue;
      for (const cube of Array.isArray(doc.cubes) ? doc.cubes : []) {
        if (!isObj(cube) || typeof cube.name !== 'string') continue;
        // `extends` pulls SQL from another definition this resolver does not merge.
        if (cube.extends !== undefined) complete = false;
        const joins = new Map<string, string>();
        for (const j of Array.isArray(cube.joins) ? cube.joins : []) if (isObj(j) && typeof j.name === 'string') joins.set(j.name, sqlStrings(j, new Set()).join('\n'));
        const { members, primaryKey } = membersOf(cube);
        const own = [cube.sql, cube.sql_table].filter((t): t is string => typeof t === 'string');
        this.#cubes.set(cube.name, { base: [...own, ...primaryKey].join('\n'), members, whole: sqlStrings(cube, new Set(['joins'])).join('\n'), joins });
      }
    }
    for (const doc of docs) {
      if (!isObj(doc)) continue;
      for (const view of Array.isArray(doc.views) ? doc.views : []) {
        if (!isObj(view) || typeof view.name !== 'string') continue;
        const members = new Map<string, Reach[]>();
        const every: Reach[] = [];
        const add = (name: string, reach: Reach): void => {
          const reaches = members.get(name) ?? [];
          reaches.push(reach);
          members.set(name, reaches);
        };
        for (const entry of Array.isArray(view.cubes) ? view.cubes : []) {
          if (!isObj(entry) || typeof entry.join_path !== 'string') {
            complete = false;
            continue;
          }
          const path = entry.join_path.split('.').map((s) => s.trim());
          every.push({ path });
          const last = path[path.length - 1];
          const alias = typeof entry.alias === 'string' ? entry.alias : last;
          const full = (name: string): string => (entry.prefix ? `${alias}_${name}` : name);
          const excludes = new Set(Array.isArray(entry.excludes) ? entry.excludes.filter((e): e is string => typeof e === 'string') : []);
          if (entry.includes === '*') {
            for (const name of this.#cubes.get(last)?.members.keys() ?? []) if (!excludes.has(name)) add(full(name), { path, member: name });
          } else if (Array.isArray(entry.includes)) {
            for (const inc of entry.includes) {
              if (typeof inc === 'string') add(full(inc), { path, member: inc });
              else if (isObj(inc) && typeof inc.name === 'string') add(full(String(inc.alias ?? inc.name)), { path, member: inc.name });
              else if (isObj(inc) && typeof inc.alias === 'string') add(full(inc.alias), { path });
            }
          }
        }
        // Old-style view members (`includes: [cube.member]` on the view): not resolved here.
        if (view.includes !== undefined || view.measures !== undefined || view.dimensions !== undefined) complete = false;
        members.set('*', every);
        this.#views.set(view.name, members);
      }
    }
    this.complete = complete;
  }

  isView(name: string): boolean {
    return this.#views.has(name);
  }
  isCube(name: string): boolean {
    return this.#cubes.has(name);
  }

  /**
   * The SQL a query over these members reads in a scope: of every cube on the members' join paths
   * its own SQL and primary key, the joins along the paths, the members' own SQL and what it
   * references (members, cubes and the joins to them, transitively), each with the scope's filters
   * rendered; undefined when the query names no member the model knows.
   */
  sqlRead(query: unknown, claims: Readonly<Record<string, unknown>>): string | undefined {
    const texts: string[] = [];
    const taken = new Set<string>();
    /** SQL texts still to render and scan for references, each with the cube its `{CUBE}` means. */
    const work: { cube: string; text: string }[] = [];
    const once = (tag: string): boolean => !taken.has(tag) && Boolean(taken.add(tag));
    const takeCube = (c: string): void => {
      const cube = this.#cubes.get(c);
      if (cube && once(`cube ${c}`)) work.push({ cube: c, text: cube.base });
    };
    const takeWhole = (c: string): void => {
      const cube = this.#cubes.get(c);
      if (!cube || !once(`whole ${c}`)) return;
      takeCube(c);
      work.push({ cube: c, text: cube.whole });
    };
    const takeMember = (c: string, m: string): void => {
      const cube = this.#cubes.get(c);
      if (!cube || !once(`member ${c}.${m}`)) return;
      takeCube(c);
      const sql = cube.members.get(m);
      if (sql === undefined) takeWhole(c);
      else work.push({ cube: c, text: sql });
    };
    /** The join between two cubes, declared on either (Cube joins along whichever the graph has). */
    const takeJoin = (a: string, b: string): void => {
      for (const [from, to] of [[a, b], [b, a]]) {
        const sql = this.#cubes.get(from)?.joins.get(to);
        if (sql !== undefined && once(`join ${from}>${to}`)) work.push({ cube: from, text: sql });
      }
    };
    const takePath = (path: string[]): void => {
      path.forEach((c, i) => {
        takeCube(c);
        if (i > 0) takeJoin(path[i - 1], c);
      });
    };
    let named = false;
    for (const s of strings(query)) {
      const m = MEMBER.exec(s);
      if (!m) continue;
      const view = this.#views.get(m[1]);
      if (view) {
        named = true;
        const reaches = view.get(m[2]);
        if (reaches)
          for (const { path, member } of reaches) {
            takePath(path);
            const last = path[path.length - 1];
            if (member === undefined) takeWhole(last);
            else takeMember(last, member);
          }
        else
          for (const { path } of view.get('*') ?? []) {
            takePath(path);
            for (const c of path) takeWhole(c);
          }
      } else if (this.#cubes.has(m[1])) {
        named = true;
        takeMember(m[1], m[2]);
      }
    }
    if (!named) return undefined;
    while (work.length) {
      const { cube, text } = work.pop()!;
      const sql = renderScopeFilters(text, claims);
      texts.push(sql);
      for (const [, first, second] of sql.matchAll(REFERENCE)) {
        if (CONTEXT_NAMES.has(first)) continue;
        if (first === 'CUBE') {
          if (second !== undefined) takeMember(cube, second);
        } else if (this.#cubes.has(first) && first !== cube) {
          // Another cube's member (a sub-query dimension, a join's other side): that cube, joined to this one.
          takeJoin(cube, first);
          if (second !== undefined) takeMember(first, second);
          else takeWhole(first);
        } else if (this.#cubes.get(cube)?.members.has(first)) takeMember(cube, first);
        else if (first === cube && second !== undefined) takeMember(cube, second);
      }
    }
    return texts.join('\n');
  }
}

/** Every string in a value, object keys included (an `order` names members as keys). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (isObj(value))
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  return out;
}

/** A row of `SELECT name, engine, create_table_query FROM system.tables` for the product database. */
export interface TableDefinition {
  name: string;
  engine: string;
  create_table_query: string;
}

/** The query for TableGraph's rows: the product database's tables and their definitions. */
export const TABLE_DEFINITIONS_SQL = 'SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase()';

/** The tables of the product database and what each one reads (a view, a materialized view, a Distributed or Merge table, a dictionary). */
export class TableGraph {
  readonly #reads = new Map<string, Set<string>>();
  /** Tables whose rows come from others (not MergeTree, Memory, Log…): views, materialized views, Distributed. */
  readonly #derived = new Set<string>();
  readonly names: ReadonlySet<string>;

  constructor(rows: readonly TableDefinition[]) {
    this.names = new Set(rows.map((r) => r.name));
    for (const r of rows) {
      // A MergeTree-family, Memory or Log table holds its own rows; anything else reads others.
      const own = /MergeTree$|^(Memory|Log|TinyLog|StripeLog|Set|Join|Null)$/.test(r.engine);
      const reads = new Set<string>([r.name]);
      if (!own) this.#derived.add(r.name);
      if (!own) for (const token of r.create_table_query.match(IDENT) ?? []) if (this.names.has(token)) reads.add(token);
      this.#reads.set(r.name, reads);
    }
  }

  /** Whether a table's rows come from other tables (a view): its definition is what a reader depends on. */
  isDerivedFromOthers(name: string): boolean {
    return this.#derived.has(name);
  }

  /** Every table the SQL reads, through views transitively, with the tables that stand for a derived table's changes; sorted. */
  tablesIn(sql: string): string[] {
    const found = new Set<string>();
    const queue: string[] = [];
    const take = (t: string): void => {
      if (found.has(t)) return;
      found.add(t);
      queue.push(t);
    };
    for (const token of sql.match(IDENT) ?? []) {
      if (this.names.has(token)) take(token);
      const stand = REPRESENTED_BY.get(token);
      if (stand) take(stand);
    }
    while (queue.length) {
      const t = queue.pop()!;
      for (const r of this.#reads.get(t) ?? []) take(r);
      const stand = REPRESENTED_BY.get(t);
      if (stand) take(stand);
    }
    return [...found].sort();
  }
}

/** The answer-cache key's two parts (answer-cache.ts answerKeyOf: scope, newline, normalized query). */
function splitKey(key: string): { claims: Record<string, unknown>; query: unknown } | undefined {
  const nl = key.indexOf('\n');
  if (nl < 0) return undefined;
  try {
    const scope = JSON.parse(key.slice(0, nl)) as unknown;
    const query = JSON.parse(key.slice(nl + 1)) as unknown;
    if (!Array.isArray(scope)) return undefined;
    return { claims: Object.fromEntries(scope as [string, unknown][]), query };
  } catch {
    return undefined;
  }
}

/**
 * The tables an answer-cache key's answer reads, or undefined for "everything" (the model or the
 * key is beyond the resolver). Pure: model, tables and key in, names out.
 */
export function tablesReadBy(key: string, model: ModelReads, graph: TableGraph): string[] | undefined {
  if (!model.complete) return undefined;
  const parts = splitKey(key);
  if (!parts) return undefined;
  const sql = model.sqlRead(parts.query, parts.claims);
  return sql === undefined ? undefined : graph.tablesIn(sql);
}

/** Keys whose read sets are remembered (one per scope × query asked; cleared whole past it). */
const MEMO_KEYS = 50_000;

/**
 * Read sets for the answer cache: each key's tables (memoized), the engine's table definitions
 * re-read when the tables change shape, and each key's view of a data version — the day and the
 * hashes of its own tables only (refresh-keys.ts tableVersionsSql). Until the definitions are read,
 * and for a key it cannot resolve, a key's view is the whole version.
 */
export class ReadSets {
  #graph: TableGraph | undefined;
  /** Each table's hash when the definitions were read: a table added, dropped or re-created asks for a new read. */
  #hashesAtRead = new Map<string, string>();
  readonly #memo = new Map<string, string[] | undefined>();
  readonly #parsed = new Map<string, { day: string; tables: Map<string, string> }>();

  constructor(readonly model: ModelReads) {}

  /** Whether the table definitions must be read (again) before this version's read sets can be trusted. */
  needsDefinitions(value: string): boolean {
    if (!this.#graph) return true;
    const { tables } = this.#parse(value);
    if (tables.size !== this.#hashesAtRead.size) return true;
    for (const [name, hash] of tables) {
      const was = this.#hashesAtRead.get(name);
      if (was === undefined) return true;
      // A view's hash moves only when it is re-created (no rows of its own): its definition may differ.
      if (was !== hash && this.#graph.isDerivedFromOthers(name)) return true;
    }
    return false;
  }

  /** New table definitions, read at `value`. */
  update(rows: readonly TableDefinition[], value: string): void {
    this.#graph = new TableGraph(rows);
    this.#hashesAtRead = new Map(this.#parse(value).tables);
    this.#memo.clear();
  }

  /** Definitions no longer known (their read failed): every key reads everything until the next update. */
  forget(): void {
    this.#graph = undefined;
    this.#memo.clear();
  }

  /** The tables a key's answer reads; undefined: everything (see tablesReadBy). */
  tables(key: string): string[] | undefined {
    if (!this.#graph) return undefined;
    if (this.#memo.has(key)) return this.#memo.get(key);
    if (this.#memo.size >= MEMO_KEYS) this.#memo.clear();
    const tables = tablesReadBy(key, this.model, this.#graph);
    this.#memo.set(key, tables);
    return tables;
  }

  /** A key's view of a data version: equal for two versions exactly when the day and every table the key reads are. */
  project(key: string, value: string): string {
    const tables = this.tables(key);
    if (!tables) return value;
    const { day, tables: hashes } = this.#parse(value);
    return `${day}|${tables.map((t) => `${t}=${hashes.get(t) ?? ''}`).join(';')}`;
  }

  #parse(value: string): { day: string; tables: Map<string, string> } {
    let p = this.#parsed.get(value);
    if (!p) {
      if (this.#parsed.size >= 32) this.#parsed.delete(this.#parsed.keys().next().value as string);
      this.#parsed.set(value, (p = parseTableVersions(value)));
    }
    return p;
  }
}
