import type { Session } from 'chdb';
import { appendOnlyNames, SECRET_COLUMNS } from '../append-only.ts';
import { runQuery, type BindLock } from './chdb-native.ts';
import { EngineError } from './errors.ts';
import { sqlTokens, type SqlToken } from './sql-scan.ts';

/**
 * Least privilege for the embedded endpoint. chdb has no access control (CREATE USER is refused,
 * currentUser() is always 'default', `readonly=2` still runs file() and url(), and even
 * `SELECT file('/etc/passwd') SETTINGS readonly=1` returns the file), so the endpoint holds the
 * line itself for every user but the admin: the engine parses the statement (`EXPLAIN AST`, which
 * parses and runs nothing) and the printed tree is checked against what the user's role may do.
 * Everything not known to be safe is refused, in ClickHouse's own ACCESS_DENIED shape.
 *
 * The roles mirror the grants lib/warehouse/access.ts gives on a real server:
 * - writer: read and change tables of the product database (DML, CREATE/DROP/TRUNCATE TABLE,
 *   ALTER DELETE/UPDATE/DROP PARTITION); nothing outside it.
 * - semantic (Cube): read the product database; create, fill and drop tables in
 *   `<db>_pre_aggregations` (and create that database).
 * - reader: read the product database.
 * All of them may read the few system tables clients need to find their way (below).
 * The append-only tables (../append-only.ts: the audit log): the writer may INSERT and SELECT
 * only — no ALTER, DELETE, TRUNCATE, OPTIMIZE, DROP or CREATE (OR REPLACE) of them; semantic and
 * reader may not read them.
 */

export type EndpointRole = 'admin' | 'writer' | 'semantic' | 'reader';

export interface EndpointUser {
  name: string;
  password: string;
  role: EndpointRole;
}

export interface Access {
  user: string;
  role: Exclude<EndpointRole, 'admin'>;
  /** The product database the role's rights refer to. */
  database: string;
}

/** What a role may read and change, by database. */
function rightsOf(access: Access): { read: Set<string>; write: Set<string>; createDatabase: Set<string> } {
  const db = access.database;
  const preAggregations = `${db}_pre_aggregations`;
  switch (access.role) {
    case 'writer':
      return { read: new Set([db]), write: new Set([db]), createDatabase: new Set() };
    case 'semantic':
      return { read: new Set([db, preAggregations]), write: new Set([preAggregations]), createDatabase: new Set([preAggregations]) };
    case 'reader':
      return { read: new Set([db]), write: new Set(), createDatabase: new Set() };
  }
}

/**
 * System tables any user may read: what Cube's driver and @clickhouse/client use to find tables,
 * columns and formats. Not processes, query_log and the like, which carry other users' query text.
 */
// The writer may also read system.parts: the derived refresh lists its snapshots' partitions there
// (semantic/derived), as a real server's writer sees its own tables' parts; it says no more about
// other databases than system.tables already does.
const READABLE_SYSTEM_TABLES = new Set([
  'one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'tables', 'columns', 'databases', 'functions', 'table_functions',
  'formats', 'data_type_families', 'time_zones', 'settings', 'build_options', 'table_engines', 'collations', 'contributors',
]);

/** Table functions that read nothing but their arguments. Everything else (file, url, s3, remote, merge, …) is refused. */
const SAFE_TABLE_FUNCTIONS = new Set([
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'values', 'generate_series', 'generateseries', 'generaterandom', 'null', 'view', 'format',
]);

/**
 * Functions that reach outside the database or into tables by name, wherever they appear (scalar
 * file() reads any file the process can; joinGet/dictGet name tables and dictionaries of any
 * database). Table functions are matched by the allowlist above; their names are repeated here so
 * that no other position (INSERT INTO FUNCTION, CREATE TABLE … AS f()) can use them either.
 */
const OUTSIDE_FUNCTIONS = new Set([
  'file', 'filecluster', 'url', 'urlcluster', 's3', 's3cluster', 'gcs', 'oss', 'cosn', 'azureblobstorage', 'azureblobstoragecluster',
  'hdfs', 'hdfscluster', 'remote', 'remotesecure', 'cluster', 'clusterallreplicas', 'executable', 'executablepool', 'input', 'jdbc',
  'odbc', 'mysql', 'postgresql', 'sqlite', 'mongodb', 'redis', 'deltalake', 'deltalakecluster', 'hudi', 'hudicluster', 'dictionary',
  'merge', 'loop', 'fuzzjson', 'fuzzquery', 'arrowflight', 'ytsaurus', 'paimon',
  'joinget', 'joingetornull', 'hascolumnintable', 'catboostevaluate', 'modelevaluate', 'getclienthttpheader',
]);
const OUTSIDE_PREFIXES = ['iceberg', 'dictget', 'dicthas', 'dictisin', 'paimon', 'deltalake', 'hudi'];

/** Engines a non-admin CREATE TABLE may use: data stays in the database's own storage. */
const SAFE_ENGINE = /^(Replicated)?(Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Coalescing)?MergeTree$|^(Memory|Null|Log|TinyLog|StripeLog|Set|Join)$/;

/**
 * ALTER commands the roles' jobs use: deletes, updates and replacing a derived snapshot (writer);
 * skip indexes on fresh rollup tables (Cube's `indexes`, semantic).
 */
const SAFE_ALTER_COMMANDS = new Set(['DELETE', 'UPDATE', 'DROP_PARTITION', 'ADD_INDEX', 'DROP_INDEX', 'MATERIALIZE_INDEX']);

/** `IN table` names a table with a plain identifier. */
const IN_FUNCTIONS = new Set(['in', 'notin', 'globalin', 'globalnotin', 'nullin', 'notnullin', 'globalnullin', 'globalnotnullin']);

/** Settings that name files or change how the text is parsed; refused for non-admin users. */
const SENSITIVE_SETTINGS = new Set([
  'readonly', 'dialect', 'format_schema', 'output_format_schema', 'format_schema_source', 'format_template_resultset',
  'format_template_row', 'format_template_row_format', 'format_template_resultset_format', 'format_regexp', 'user_files_path',
  'allow_ddl', 'allow_introspection_functions',
  // chDB 3.4 never finishes a query run with interactive_delay = 0 (a server does): one such query
  // would hold an engine session for good. The endpoint turns a URL value of 0 into 1 (µs) itself.
  'interactive_delay',
]);

/**
 * Longest a statement of the reader or the semantic user runs in the engine, in seconds. The reader
 * is the user people hold (notebooks, BI tools), the semantic user Cube's (which bounds its own
 * statements to its query timeout, semantic/cube-process.ts; this bounds whoever else holds its
 * password). A statement runs on after its client gives up: the endpoint stops a streamed result
 * only between blocks and chDB cannot interrupt a single-shot query, so an abandoned `count()` over
 * a huge range held an engine session for hours (fifth security review). The writer and the admin
 * are the product's own processes (loads, refreshes, scoring at 10M rows): not bounded.
 */
export const MAX_EXECUTION_SECONDS = 300;
const TIME_BOUNDED_ROLES: ReadonlySet<string> = new Set(['reader', 'semantic']);
/** Settings that bound a statement's time: a request may lower them, the SQL text of a bounded user may not name them. */
const TIME_SETTINGS = new Set(['max_execution_time', 'timeout_overflow_mode']);

/**
 * The request's settings with the user's bound on statement time: for the reader and the semantic
 * user, max_execution_time is at most `maxSeconds` (0, "no limit", is the bound too). Other users'
 * settings as given.
 */
export function boundedSettings(access: Access | undefined, settings: ReadonlyMap<string, string>, maxSeconds = MAX_EXECUTION_SECONDS): Map<string, string> {
  const out = new Map(settings);
  if (!access || !TIME_BOUNDED_ROLES.has(access.role)) return out;
  const key = [...out.keys()].find((k) => k.toLowerCase() === 'max_execution_time');
  const asked = key === undefined ? NaN : Number(out.get(key));
  if (key !== undefined) out.delete(key);
  out.set('max_execution_time', String(Number.isFinite(asked) && asked > 0 && asked < maxSeconds ? asked : maxSeconds));
  // 'break' would answer a partial result as if complete; the bound is an error.
  for (const k of [...out.keys()]) if (k.toLowerCase() === 'timeout_overflow_mode') out.delete(k);
  return out;
}

const APPEND_ONLY = new Set(appendOnlyNames());
/** Table (and its shards' local table) → the columns of it only the writer and the admin read. */
const SECRET = new Map(Object.entries(SECRET_COLUMNS).flatMap(([t, columns]) => [[t, columns] as const, [`${t}_local`, columns] as const]));
/** AST nodes that stand for "all columns" (or a pattern of them) without naming one. */
const ALL_COLUMNS = new Set(['Asterisk', 'QualifiedAsterisk', 'ColumnsRegexpMatcher', 'ColumnsListMatcher', 'QualifiedColumnsRegexpMatcher', 'QualifiedColumnsListMatcher']);

/** Unquoted identifiers need no quotes; quoted ones may hold anything, which the printed tree would show unescaped. */
const PLAIN_QUOTED_IDENTIFIER = /^([`"])[A-Za-z0-9_$]*\1$/;
const NAME = /^[A-Za-z0-9_$]+$/;

export function accessDenied(user: string, what: string): EngineError {
  return EngineError.of('ACCESS_DENIED', `${user}: Not enough privileges: ${what}`);
}

/** Request settings (URL parameters) a non-admin user may not set. */
export function checkSettings(access: Access, settings: ReadonlyMap<string, string>): void {
  for (const name of settings.keys()) {
    if (SENSITIVE_SETTINGS.has(name.toLowerCase())) throw accessDenied(access.user, `user ${access.user} may not change the setting ${name}`);
  }
}

/**
 * Text whose extent ClickHouse's lexer and sqlTokens() could read differently, refused before the
 * engine sees it: the checks below (and the endpoint's one-statement rule) see sqlTokens()' reading,
 * the engine runs its own. ClickHouse also takes `# ` and `#!` for comments, `$` as a letter of bare
 * words (`a$x$` is one word, to sqlTokens() `a` and a heredoc running to the next `$x$`), and
 * Unicode whitespace for whitespace (to sqlTokens() a letter). Each let text the check never read
 * run: a `TRUNCATE` after `# '` or `a$x$ ;`, `INTO\u00a0OUTFILE` — and chDB runs every statement of
 * a text, the check's own `EXPLAIN AST …` included. None of these has a use outside strings,
 * quoted names and comments, where they stay allowed.
 */
function checkLexable(access: Access, tokens: readonly SqlToken[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const prev = tokens[i - 1];
    if (t.kind === 'literal') {
      // A heredoc straight after a word: ClickHouse reads the `$` on as part of that word.
      if (t.text.startsWith('$') && prev && prev.kind !== 'punct' && prev.start + prev.text.length === t.start) {
        throw accessDenied(access.user, `a $ inside a word cannot be checked (use a quoted name or a string; near ${JSON.stringify(prev.text + t.text.slice(0, 20))})`);
      }
      continue;
    }
    if (t.text === '#' || t.text === '$') throw accessDenied(access.user, `${t.text} outside strings and comments cannot be checked (ClickHouse reads it as a comment or a letter)`);
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(t.text)) throw accessDenied(access.user, `characters beyond ASCII outside strings, quoted names and comments cannot be checked (ClickHouse reads some as whitespace; near ${JSON.stringify(t.text.slice(0, 20))})`);
  }
}

/** What can be decided from the text alone, before the engine sees it. */
export function checkText(access: Access, text: string): void {
  const tokens = sqlTokens(text);
  checkLexable(access, tokens);
  // Settings follow a SETTINGS keyword; before it, `readonly = 1` may be a column compared.
  let inSettings = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'literal') {
      const quotedName = t.text.startsWith('`') || t.text.startsWith('"');
      if (quotedName && !PLAIN_QUOTED_IDENTIFIER.test(t.text)) {
        throw accessDenied(access.user, `user ${access.user} may only use quoted names made of letters, digits and _ (got ${t.text.slice(0, 60)})`);
      }
      // A setting's name may be quoted too (SETTINGS `dialect` = …).
      const quotedSetting = t.text.slice(1, -1).toLowerCase();
      if (quotedName && inSettings && (SENSITIVE_SETTINGS.has(quotedSetting) || (TIME_BOUNDED_ROLES.has(access.role) && TIME_SETTINGS.has(quotedSetting))) && tokens[i + 1]?.text === '=') {
        throw accessDenied(access.user, `user ${access.user} may not change the setting ${t.text.slice(1, -1)}`);
      }
      continue;
    }
    if (t.kind !== 'word') continue;
    const word = t.text.toUpperCase();
    const prev = tokens[i - 1]?.kind === 'word' ? tokens[i - 1].text.toUpperCase() : '';
    if ((word === 'OUTFILE' && prev === 'INTO') || (word === 'INFILE' && prev === 'FROM')) {
      throw accessDenied(access.user, `${prev} ${word} reads or writes files of the server and is not allowed for user ${access.user}`);
    }
    if (word === 'SETTINGS') inSettings = true;
    if (inSettings && SENSITIVE_SETTINGS.has(t.text.toLowerCase()) && tokens[i + 1]?.text === '=') {
      throw accessDenied(access.user, `user ${access.user} may not change the setting ${t.text}`);
    }
    if (inSettings && TIME_BOUNDED_ROLES.has(access.role) && TIME_SETTINGS.has(t.text.toLowerCase()) && tokens[i + 1]?.text === '=') {
      throw accessDenied(access.user, `user ${access.user} may not set ${t.text} in the query (a statement runs at most ${MAX_EXECUTION_SECONDS} s; ask for less with the URL parameter max_execution_time)`);
    }
  }
}

interface AstNode {
  type: string;
  /** The rest of the line, without ` (children N)`. */
  args: string;
  parent?: AstNode;
  children: AstNode[];
}

/** The tree `EXPLAIN AST` prints: one node a line, indented one space per level. */
export function parseAstDump(dump: string): AstNode {
  const root: AstNode = { type: '', args: '', children: [] };
  const stack: { depth: number; node: AstNode }[] = [{ depth: -1, node: root }];
  for (const line of dump.split('\n')) {
    if (!line.trim()) continue;
    const depth = line.length - line.trimStart().length;
    let content = line.trim().replace(/ \(children \d+\)$/, '');
    // Two node types have a space in their name.
    let type: string;
    const spaced = /^(Storage definition|Columns definition|SYSTEM query)/.exec(content);
    if (spaced) {
      type = spaced[1];
      content = content.slice(type.length);
    } else {
      const space = content.indexOf(' ');
      type = space === -1 ? content : content.slice(0, space);
      content = space === -1 ? '' : content.slice(space + 1);
    }
    while (stack.length > 1 && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack[stack.length - 1].node;
    const node: AstNode = { type, args: content, parent, children: [] };
    parent.children.push(node);
    stack.push({ depth, node });
  }
  return root;
}

/** The object kind a CREATE / DROP / TRUNCATE names (TABLE, DATABASE, VIEW, …), from the text. */
function objectKind(text: string): string {
  const words = sqlTokens(text).filter((t) => t.kind === 'word').map((t) => t.text.toUpperCase());
  let i = 1;
  while (['OR', 'REPLACE', 'TEMPORARY', 'IF', 'EXISTS', 'NOT'].includes(words[i] ?? '')) i++;
  return words[i] ?? '';
}

/** Statements a non-admin may run that can end in INTO OUTFILE (ClickHouse's ASTQueryWithOutput). */
const OUTPUT_STATEMENTS = new Set(['SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'Explain', 'DescribeQuery', 'ShowTables', 'ShowCreateTableQuery', 'ExistsTableQuery', 'KillQueryQuery']);

class Checker {
  readonly rights: ReturnType<typeof rightsOf>;
  /** Secret columns of the tables this statement reads (SECRET_COLUMNS), when the user may not read them. */
  readonly secretColumns = new Set<string>();

  constructor(
    readonly access: Access,
    readonly currentDatabase: string,
  ) {
    this.rights = rightsOf(access);
  }

  deny(what: string): never {
    throw accessDenied(this.access.user, what);
  }

  read(database: string, table: string): void {
    if (database === 'system' && READABLE_SYSTEM_TABLES.has(table.toLowerCase())) return;
    if (database === 'system' && table.toLowerCase() === 'parts' && this.access.role === 'writer') return;
    if (database.toLowerCase() === 'information_schema' && ['tables', 'columns', 'schemata'].includes(table.toLowerCase())) return;
    if (!this.rights.read.has(database)) {
      this.deny(`user ${this.access.user} may not read ${database}.${table} (it may read ${[...this.rights.read].join(', ')} only)`);
    }
    if (database === this.access.database && APPEND_ONLY.has(table) && this.access.role !== 'writer') {
      this.deny(`user ${this.access.user} may not read ${database}.${table} (administrators read it through the dashboard)`);
    }
    if (database === this.access.database && this.access.role !== 'writer') for (const c of SECRET.get(table) ?? []) this.secretColumns.add(c);
  }

  /**
   * After the walk: a statement that reads a table with secret columns may not name one (in any
   * qualification) nor take all columns of a SELECT that reads that table itself, which would
   * include them; `count(*)` only counts rows. A `*` over a subquery or another table is that
   * source's columns: Cube's customer queries join the owners' names (read from users by name) to
   * `SELECT *` of the customers, and refusing every `*` in such a statement broke the customers
   * list and the 360 page.
   */
  secrets(node: AstNode): void {
    if (this.secretColumns.size === 0) return;
    if (node.type === 'Identifier') {
      const name = node.args.split(' ')[0].split('.').at(-1) ?? '';
      if (this.secretColumns.has(name)) this.deny(`user ${this.access.user} may not read the column ${name} (only the dashboard checks passwords)`);
    }
    if (ALL_COLUMNS.has(node.type)) {
      const inCount = node.type === 'Asterisk' && node.parent?.type === 'ExpressionList' && node.parent.parent?.type === 'Function' && /^count$/i.test(node.parent.parent.args.split(' ')[0]);
      if (!inCount && this.selectsFromSecretTable(node)) {
        this.deny(`user ${this.access.user} may not select all columns of a table holding ${[...this.secretColumns].join(', ')}: name the columns`);
      }
    }
    for (const child of node.children) this.secrets(child);
  }

  /** Whether the SELECT that holds `node` reads a table with secret columns in its own FROM/JOIN (not in a subquery); true when there is no SELECT to tell. */
  selectsFromSecretTable(node: AstNode): boolean {
    let select = node.parent;
    while (select && select.type !== 'SelectQuery') select = select.parent;
    if (!select) return true;
    const sources = select.children.find((c) => c.type === 'TablesInSelectQuery')?.children ?? [];
    for (const element of sources) {
      for (const expression of element.children.filter((c) => c.type === 'TableExpression')) {
        for (const table of expression.children.filter((c) => c.type === 'TableIdentifier')) {
          const [database, name] = this.tableName(table.args.split(' ')[0]);
          if (database === this.access.database && SECRET.has(name)) return true;
        }
      }
    }
    return false;
  }

  /** DROP, TRUNCATE, ALTER, DELETE, OPTIMIZE and CREATE name their table last among the top-level identifiers. */
  appendOnly(root: AstNode, what: string, database = this.headerDatabase(root)): void {
    const identifiers = root.children.filter((c) => c.type === 'Identifier').map((c) => c.args.split(' ')[0]);
    const table = identifiers.at(-1) ?? '';
    if (database === this.access.database && APPEND_ONLY.has(table)) {
      this.deny(`${table} is append-only: user ${this.access.user} may insert into it, not ${what}`);
    }
  }

  write(database: string, what: string): void {
    if (!this.rights.write.has(database)) {
      const allowed = this.rights.write.size ? `it may change ${[...this.rights.write].join(', ')} only` : 'it may only read';
      this.deny(`user ${this.access.user} may not ${what} in database ${database} (${allowed})`);
    }
  }

  /** `db.table` or `table` (in the current database), as TableIdentifier and Identifier print it. */
  tableName(name: string): [string, string] {
    const parts = name.split('.');
    if (parts.length > 2 || !parts.every((p) => NAME.test(p))) this.deny(`the table name ${name} cannot be checked`);
    return parts.length === 2 ? [parts[0], parts[1]] : [this.currentDatabase, parts[0]];
  }

  /** Database named in the header of DropQuery/AlterQuery/…: `Type <db> <table>`, db empty for the current one. */
  headerDatabase(node: AstNode): string {
    const database = node.args.split(' ')[0];
    if (database && !NAME.test(database)) this.deny(`the database name ${database} cannot be checked`);
    return database || this.currentDatabase;
  }

  walk(node: AstNode): void {
    const parentType = node.parent?.type ?? '';
    if (node.type === 'Function') {
      const name = node.args.split(' ')[0];
      const lower = name.toLowerCase();
      if (OUTSIDE_FUNCTIONS.has(lower) || OUTSIDE_PREFIXES.some((p) => lower.startsWith(p))) {
        this.deny(`the function ${name}() reaches outside the database and is not allowed for user ${this.access.user}`);
      }
      if (parentType === 'TableExpression' || parentType === 'CreateQuery') {
        if (!SAFE_TABLE_FUNCTIONS.has(lower)) this.deny(`the table function ${name}() is not allowed for user ${this.access.user}`);
      } else if (parentType === 'InsertQuery') {
        this.deny(`INSERT INTO FUNCTION ${name}() is not allowed for user ${this.access.user}`);
      } else if (parentType === 'Storage definition' && node.parent!.children[0] === node && !SAFE_ENGINE.test(name)) {
        this.deny(`the table engine ${name} is not allowed for user ${this.access.user}`);
      }
      if (IN_FUNCTIONS.has(lower)) {
        const right = node.children[0]?.children[1];
        if (right?.type === 'Identifier') {
          const [database, table] = this.tableName(right.args.split(' ')[0]);
          this.read(database, table);
        }
      }
    } else if (node.type === 'TableIdentifier') {
      const [database, table] = this.tableName(node.args.split(' ')[0]);
      this.read(database, table);
    } else if (node.type === 'Set' && parentType === 'Storage definition') {
      this.deny(`table-level SETTINGS (storage, disks) are not allowed for user ${this.access.user}`);
    }
    for (const child of node.children) this.walk(child);
  }

  statement(root: AstNode, text: string): void {
    const identifiers = root.children.filter((c) => c.type === 'Identifier').map((c) => c.args.split(' ')[0]);
    // INTO OUTFILE in the parsed tree, not only in the text (checkText): the output file (and its
    // compression) are literals directly under the statement, where FORMAT is an Identifier and
    // SETTINGS a Set; these statements have no other literal there.
    if (OUTPUT_STATEMENTS.has(root.type) && root.children.some((c) => c.type === 'Literal')) {
      this.deny(`INTO OUTFILE writes files of the server and is not allowed for user ${this.access.user}`);
    }
    switch (root.type) {
      case 'SelectWithUnionQuery':
      case 'SelectIntersectExceptQuery':
      case 'SelectQuery':
      case 'Explain':
      case 'DescribeQuery':
        return;
      case 'KillQueryQuery':
        // Cube cancels its own queries; mutations and the rest are the admin's.
        if (objectKind(text) !== 'QUERY') this.deny(`KILL ${objectKind(text)} is not allowed for user ${this.access.user}`);
        return;
      case 'ShowTables':
        for (const database of identifiers) {
          if (database !== 'system' && !this.rights.read.has(database)) this.deny(`user ${this.access.user} may not list database ${database}`);
        }
        return;
      case 'ShowCreateTableQuery':
      case 'ExistsTableQuery':
        return this.read(this.headerDatabase(root), root.args.split(' ')[1] ?? '');
      case 'InsertQuery': {
        if (root.children.some((c) => c.type === 'Literal')) this.deny(`FROM INFILE is not allowed for user ${this.access.user}`);
        if (identifiers.length === 0) return; // INSERT INTO FUNCTION: refused by walk()
        if (identifiers.length > 2) this.deny('the INSERT target cannot be checked');
        return this.write(identifiers.length === 2 ? identifiers[0] : this.currentDatabase, 'insert');
      }
      case 'CreateQuery': {
        const kind = objectKind(text);
        const names = root.args.split(' ');
        if (kind === 'DATABASE') {
          const database = names[0];
          if (!this.rights.createDatabase.has(database) || root.children.some((c) => c.type === 'Storage definition')) {
            this.deny(`user ${this.access.user} may not create database ${database}`);
          }
          return;
        }
        if (kind !== 'TABLE') this.deny(`CREATE ${kind} is not allowed for user ${this.access.user}`);
        // The header is `<db> <table>`, or just `<table>` in the current database.
        const database = names.length >= 2 && names[1] !== '' ? names[0] : this.currentDatabase;
        this.appendOnly(root, 'create or replace it', database);
        const temporary = /^\s*CREATE\s+(OR\s+REPLACE\s+)?TEMPORARY\b/i.test(text);
        const hasStructure = root.children.some((c) => c.type === 'Columns definition' || c.type.startsWith('Select'));
        if (!hasStructure) this.deny(`CREATE TABLE without columns or SELECT (AS another table) is not allowed for user ${this.access.user}`);
        if (!temporary) this.write(database, 'create tables');
        return;
      }
      case 'DropQuery': {
        this.appendOnly(root, 'drop it');
        const kind = objectKind(text);
        if (kind !== 'TABLE') this.deny(`DROP ${kind} is not allowed for user ${this.access.user}`);
        if (identifiers.length > 2) this.deny('dropping several tables at once is not allowed for this user');
        return this.write(this.headerDatabase(root), 'drop tables');
      }
      case 'TruncateQuery': {
        this.appendOnly(root, 'truncate it');
        const kind = objectKind(text);
        if (kind === 'DATABASE' || kind === 'ALL') this.deny(`TRUNCATE ${kind} is not allowed for user ${this.access.user}`);
        return this.write(this.headerDatabase(root), 'truncate tables');
      }
      case 'AlterQuery': {
        this.appendOnly(root, 'alter it');
        const commands = root.children.filter((c) => c.type === 'ExpressionList').flatMap((c) => c.children);
        for (const command of commands) {
          const name = command.args.split(' ')[0];
          if (command.type !== 'AlterCommand' || !SAFE_ALTER_COMMANDS.has(name)) this.deny(`ALTER … ${name || command.type} is not allowed for user ${this.access.user}`);
        }
        return this.write(this.headerDatabase(root), 'alter tables');
      }
      case 'DeleteQuery':
        this.appendOnly(root, 'delete from it');
        return this.write(this.headerDatabase(root), 'delete rows');
      case 'OptimizeQuery':
        this.appendOnly(root, 'optimize it');
        return this.write(this.headerDatabase(root), 'optimize tables');
      default:
        this.deny(`${root.type || 'this statement'} is not allowed for user ${this.access.user}`);
    }
  }
}

/** Checks a parsed statement (the tree `EXPLAIN AST` printed) against the user's rights. */
export function checkAst(access: Access, dump: string, text: string, currentDatabase: string): void {
  const top = parseAstDump(dump);
  if (top.children.length !== 1) throw accessDenied(access.user, 'the statement cannot be checked');
  const checker = new Checker(access, currentDatabase);
  checker.statement(top.children[0], text);
  checker.walk(top.children[0]);
  checker.secrets(top.children[0]);
}

/**
 * Refuses `text` (one statement, an INSERT cut where its data begins) unless the user's role
 * allows it. Parsing takes the engine a fraction of a millisecond for typical statements.
 */
export async function checkStatement(
  session: Session,
  access: Access,
  text: string,
  options: { database: string; params: Record<string, string>; settings: ReadonlyMap<string, string> },
  held?: BindLock,
): Promise<void> {
  checkSettings(access, options.settings);
  checkText(access, text);
  // Under the request's parameter lock, if it holds one, kept for the statement itself.
  const dump = Buffer.from((await runQuery(session, `EXPLAIN AST ${text}`, 'TSVRaw', options.params, held, true)).bytes).toString('utf8');
  checkAst(access, dump, text, options.database);
}
