/**
 * Third review: the embedded endpoint's privilege check (lib/warehouse/embedded/privileges.ts) reads
 * the SQL text with a lexer of its own before the engine parses it (`EXPLAIN AST`). Wherever the two
 * lexers disagree on where a comment, a string or a statement ends, text the check never saw runs:
 * ClickHouse also knows `# ` comments, `$` inside bare words and Unicode whitespace ("copied from a
 * word processor"). And chDB runs every statement of a multi-statement text, the privilege check's
 * own `EXPLAIN AST …` included, so a hidden second statement runs before any verdict.
 *
 * Each attack is tried as every non-admin warehouse user on a real embedded endpoint; a canary table
 * and a target file show whether anything ran.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WAREHOUSE_ROLES, type WarehouseRole } from '../../lib/config.ts';
import { checkAst } from '../../lib/warehouse/embedded/privileges.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

let tw: TestWarehouse;
let scratch: string;

before(async () => {
  tw = await startTestWarehouse();
  scratch = mkdtempSync(join(tmpdir(), 'crm-lexer-'));
  const admin = tw.warehouse.client;
  await admin.command({ query: 'CREATE TABLE canary (id UInt8) ENGINE = MergeTree ORDER BY id' });
  await admin.command({ query: 'INSERT INTO canary VALUES (1)' });
  await admin.command({ query: 'CREATE TABLE users (user_id String, name String, password_hash String) ENGINE = MergeTree ORDER BY user_id' });
  await admin.command({ query: "INSERT INTO users VALUES ('U1', 'Ada', 'scrypt$abc$def')" });
});

after(async () => {
  await tw?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** One statement as `role`, over the endpoint's HTTP interface as any ClickHouse client sends it. */
async function ask(role: WarehouseRole, query: string, params: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const url = new URL(tw.server.url);
  url.searchParams.set('database', tw.config.database);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { method: 'POST', body: query, headers: { 'X-ClickHouse-User': tw.users[role].user, 'X-ClickHouse-Key': tw.users[role].password } });
  return { status: res.status, text: await res.text() };
}

async function canaryRows(): Promise<number> {
  const rs = await tw.warehouse.client.query({ query: 'SELECT count() AS n FROM canary', format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string }>();
  return Number(row.n);
}

/** Refused with ClickHouse's ACCESS_DENIED or a syntax error: either way nothing but the check ran. */
function refused(name: string, r: { status: number; text: string }): void {
  assert.notEqual(r.status, 200, `${name}: answered 200: ${r.text.slice(0, 200)}`);
  assert.match(r.text, /\((ACCESS_DENIED|SYNTAX_ERROR)\)/, `${name}: ${r.text.slice(0, 300)}`);
}

for (const role of WAREHOUSE_ROLES) {
  describe(`user ${role}`, () => {
    test('a second statement hidden from the check behind a # comment or a $ inside a word does not run', async () => {
      const attempts: [string, string][] = [
        // The check's lexer takes `'` after `#` for a string running to the end: no `;` for it.
        ['# comment', "SELECT 1 # '\n; TRUNCATE TABLE canary"],
        ['#! comment', "SELECT 1 #!'\n; TRUNCATE TABLE canary"],
        // ClickHouse reads a$x$ as one bare word; the check's lexer as `a` and a heredoc to the next $x$.
        ['$ inside a bare word', 'SELECT 1 AS a$x$ ; TRUNCATE TABLE canary -- $x$'],
      ];
      for (const [name, query] of attempts) {
        refused(name, await ask(role, query));
        assert.equal(await canaryRows(), 1, `${name}: the hidden TRUNCATE ran`);
      }
    });

    test('INTO OUTFILE spelled with a # comment or Unicode whitespace between the words writes nothing', async () => {
      const spellings: [string, (target: string) => string][] = [
        ['# comment', (t) => `SELECT 1 INTO # x\nOUTFILE '${t}'`],
        ['no-break space', (t) => `SELECT 1 INTO\u00a0OUTFILE '${t}'`],
        ['em space', (t) => `SELECT 1 INTO\u2003OUTFILE '${t}'`],
      ];
      for (const [name, query] of spellings) {
        const target = join(scratch, `${role}-${name.replace(/\W+/g, '-')}.tsv`);
        refused(name, await ask(role, query(target)));
        assert.equal(existsSync(target), false, `${name}: ${target} was written`);
      }
    });

    test('a refused setting named in quotes or after Unicode whitespace is still refused', async () => {
      for (const [name, query] of [
        ['backquoted name', "SELECT 1 SETTINGS `dialect` = 'kusto'"],
        ['double-quoted name', "SELECT 1 SETTINGS \"dialect\" = 'kusto'"],
        ['no-break space before the name', "SELECT 1 SETTINGS\u00a0dialect = 'kusto'"],
      ] as const) {
        refused(name, await ask(role, query));
      }
    });

    test('what the product sends still runs: #, $ and non-ASCII inside strings, comments and heredocs', async () => {
      const r = await ask(role, "SELECT 'Zoë # a$x$ — é' AS s, $h$it's # here$h$ AS t -- café #\nFORMAT TSV");
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, "Zoë # a$x$ — é\tit\\'s # here\n");
      assert.equal((await ask(role, 'SELECT count() FROM canary /* é # */ FORMAT TSV')).text, '1\n');
    });
  });
}

describe('columns named by a query parameter', () => {
  for (const role of ['semantic', 'reader'] as const) {
    test(`${role}: the password hashes are not readable through {name:Identifier}`, async () => {
      const r = await ask(role, 'SELECT {c:Identifier} FROM users', { param_c: 'password_hash' });
      refused('column parameter', r);
      assert.doesNotMatch(r.text, /scrypt/);
    });
  }
});

describe('INTO OUTFILE in the parsed tree', () => {
  // The trees EXPLAIN AST prints for `SELECT 1 INTO OUTFILE 'x'`, `EXPLAIN SELECT 1 INTO OUTFILE 'x'` and
  // `SHOW CREATE TABLE t INTO OUTFILE 'x'`: whatever the text looked like to the text check, the tree says it.
  const access = { user: 'crm_reader', role: 'reader', database: 'crm' } as const;
  const trees: [string, string][] = [
    ['SELECT', "SelectWithUnionQuery (children 2)\n ExpressionList (children 1)\n  SelectQuery (children 1)\n   ExpressionList (children 1)\n    Literal UInt64_1\n Literal '/tmp/x.tsv'\n"],
    ['EXPLAIN', "Explain EXPLAIN (children 2)\n SelectWithUnionQuery (children 1)\n  ExpressionList (children 1)\n   SelectQuery (children 1)\n    ExpressionList (children 1)\n     Literal UInt64_1\n Literal '/tmp/x.tsv'\n"],
    ['SHOW CREATE', "ShowCreateTableQuery  t (children 2)\n Identifier t\n Literal '/tmp/x.tsv'\n"],
  ];
  for (const [name, dump] of trees) {
    test(`${name}: refused from the tree alone`, () => {
      assert.throws(() => checkAst(access, dump, 'SELECT 1', 'crm'), /OUTFILE/);
    });
  }
  test('LIMIT, OFFSET, FORMAT and SETTINGS are no output file', () => {
    const dump =
      "SelectWithUnionQuery (children 2)\n ExpressionList (children 1)\n  SelectQuery (children 4)\n   ExpressionList (children 1)\n    Literal UInt64_1\n   Literal UInt64_5\n   Literal UInt64_10\n   Set\n Identifier JSON\n";
    assert.doesNotThrow(() => checkAst(access, dump, 'SELECT 1 LIMIT 10 OFFSET 5 SETTINGS max_threads = 1 FORMAT JSON', 'crm'));
  });
});
