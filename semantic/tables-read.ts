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
 *   filtered, ordered) → the cubes on each member's join path in its view (Cube joins along it);
 *   a member the model does not resolve counts as every cube of its view;
 * - each cube's SQL (`sql`, `sql_table`, `refresh_key`, every member's and segment's `sql`) with the
 *   scope's row filter as Cube renders it: `{SECURITY_CONTEXT.<claim>.filter(…)}` is `1 = 1` for a
 *   scope without that claim, so an executive's deals do not read customers, an owner's do; the SQL
 *   of a join only when a path takes it; a cube named in another cube's SQL counts too;
 * - every table name in that SQL, then through the engine's definitions of views, materialized
 *   views and other non-MergeTree tables, transitively; a derived table stands for the commit row
 *   that publishes it (refresh-keys.ts REPRESENTED_BY).
 * Anything the resolver cannot tell (a model file that is not YAML, a query naming no known member)
 * reads everything: such an answer goes stale on every change, as all did before. Over-counting
 * costs a re-computation; under-counting would serve old data, so every doubt counts as a read.
 * test/semantic/tables-read.test.ts checks the read sets against the SQL Cube generates.
 */
import { REPRESENTED_BY, parseTableVersions } from './refresh-keys.ts';

type Obj = Record<string, unknown>;

/** What the resolver knows of one cube. */
interface CubeReads {
  /** Every SQL text of the cube but its joins: read by any query that touches the cube. */
  sql: string;
  /** A join's SQL by the cube it joins: read when a join path goes from this cube to that one. */
  joins: Map<string, string>;
  /** Names of its measures, dimensions and segments (a view's `includes: "*"`). */
  members: Set<string>;
}

/** A view member's join paths: the cubes each path passes (Cube joins them all to reach the member). */
type Paths = string[][];

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;
const MEMBER = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)/;

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

function memberNames(cube: Obj): Set<string> {
  const names = new Set<string>();
  for (const kind of ['measures', 'dimensions', 'segments']) {
    const list = cube[kind];
    if (Array.isArray(list)) for (const m of list) if (isObj(m) && typeof m.name === 'string') names.add(m.name);
  }
  return names;
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
  /** view → member → join paths; `*` → every path of the view (a member it does not resolve). */
  readonly #views = new Map<string, Map<string, Paths>>();
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
        this.#cubes.set(cube.name, { sql: sqlStrings(cube, new Set(['joins'])).join('\n'), joins, members: memberNames(cube) });
      }
    }
    for (const doc of docs) {
      if (!isObj(doc)) continue;
      for (const view of Array.isArray(doc.views) ? doc.views : []) {
        if (!isObj(view) || typeof view.name !== 'string') continue;
        const members = new Map<string, Paths>();
        const every: Paths = [];
        const add = (name: string, path: string[]): void => {
          const paths = members.get(name) ?? [];
          paths.push(path);
          members.set(name, paths);
        };
        for (const entry of Array.isArray(view.cubes) ? view.cubes : []) {
          if (!isObj(entry) || typeof entry.join_path !== 'string') {
            complete = false;
            continue;
          }
          const path = entry.join_path.split('.').map((s) => s.trim());
          every.push(path);
          const last = path[path.length - 1];
          const alias = typeof entry.alias === 'string' ? entry.alias : last;
          const full = (name: string): string => (entry.prefix ? `${alias}_${name}` : name);
          const excludes = new Set(Array.isArray(entry.excludes) ? entry.excludes.filter((e): e is string => typeof e === 'string') : []);
          if (entry.includes === '*') {
            for (const name of this.#cubes.get(last)?.members ?? []) if (!excludes.has(name)) add(full(name), path);
          } else if (Array.isArray(entry.includes)) {
            for (const inc of entry.includes) {
              if (typeof inc === 'string') add(full(inc), path);
              else if (isObj(inc) && typeof (inc.alias ?? inc.name) === 'string') add(full(String(inc.alias ?? inc.name)), path);
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
   * The SQL a query over these members reads in a scope (join SQL along the paths, every cube's SQL
   * with the scope's filters rendered, and the cubes named in it, transitively); undefined when the
   * query names no member the model knows.
   */
  sqlRead(query: unknown, claims: Readonly<Record<string, unknown>>): string | undefined {
    const cubes = new Set<string>();
    const joinSql: string[] = [];
    let named = false;
    const takePath = (path: string[]): void => {
      path.forEach((c, i) => {
        cubes.add(c);
        if (i > 0) joinSql.push(this.#cubes.get(path[i - 1])?.joins.get(c) ?? '', this.#cubes.get(c)?.joins.get(path[i - 1]) ?? '');
      });
    };
    for (const s of strings(query)) {
      const m = MEMBER.exec(s);
      if (!m) continue;
      const view = this.#views.get(m[1]);
      if (view) {
        named = true;
        for (const path of view.get(m[2]) ?? view.get('*') ?? []) takePath(path);
      } else if (this.#cubes.has(m[1])) {
        named = true;
        cubes.add(m[1]);
      }
    }
    if (!named) return undefined;
    const texts: string[] = [...joinSql];
    const seen = new Set<string>();
    // A cube named in a join's SQL is read with it.
    const queue = [...cubes, ...joinSql.flatMap((t) => (t.match(IDENT) ?? []).filter((token) => this.#cubes.has(token)))];
    while (queue.length) {
      const name = queue.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const cube = this.#cubes.get(name);
      if (!cube) continue;
      const sql = renderScopeFilters(cube.sql, claims);
      texts.push(sql);
      for (const token of sql.match(IDENT) ?? []) if (token !== name && this.#cubes.has(token) && !seen.has(token)) queue.push(token);
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
