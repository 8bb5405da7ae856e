import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scanStatement } from '../../../lib/warehouse/embedded/sql-scan.ts';

const formats = new Set(['json', 'jsoneachrow', 'tabseparated', 'tsv', 'csv', 'jsoncompacteachrowwithnamesandtypes']);
const scan = (text: string, final = true) => scanStatement(text, { final, formats });

describe('scanStatement', () => {
  const kinds: [string, string][] = [
    ['SELECT 1', 'SELECT'],
    ['  -- comment\n/* block /* nested */ */ select 1', 'SELECT'],
    ['(SELECT 1) UNION ALL (SELECT 2)', 'SELECT'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'WITH'],
    ['insert into t values (1)', 'INSERT'],
    ['CREATE TABLE t (a UInt8) ENGINE = Memory', 'CREATE'],
    ['', ''],
    ['  -- only a comment', ''],
  ];
  for (const [sql, kind] of kinds) test(`kind of ${JSON.stringify(sql)} is ${kind || 'empty'}`, () => assert.equal(scan(sql).kind, kind));

  const formatsNamed: [string, string | undefined][] = [
    ['SELECT 1 \nFORMAT JSON', 'JSON'],
    ['SELECT 1 FORMAT JSONEachRow;', 'JSONEachRow'],
    ['SELECT format FROM t', undefined],
    ["SELECT format('{}', 'FORMAT JSON') AS f", undefined],
    ['SELECT `FORMAT` FROM t -- FORMAT CSV', undefined],
    ['SELECT * FROM (SELECT 1 FORMAT CSV) FORMAT TSV', 'TSV'],
  ];
  for (const [sql, format] of formatsNamed) test(`format of ${JSON.stringify(sql)}`, () => assert.equal(scan(sql).format, format));

  test('a second statement is reported where it starts; trailing semicolons are not one', () => {
    assert.equal(scan('SELECT 1; SELECT 2').secondStatementAt, 10);
    assert.equal(scan('SELECT 1;;  -- done\n').secondStatementAt, undefined);
    assert.equal(scan("SELECT ';' AS a, \"x;y\", `;`").secondStatementAt, undefined);
    assert.equal(scan('SELECT $$ ; $$').secondStatementAt, undefined);
  });

  test('INSERT inline data starts after FORMAT name, blanks and one newline', () => {
    const text = 'INSERT INTO `db`.`t` (a, `format`) SETTINGS x = 1 FORMAT TSV  \n  1\tx\n';
    const head = scan(text);
    assert.equal(head.format, 'TSV');
    assert.equal(text.slice(0, head.data!.statementEnd), 'INSERT INTO `db`.`t` (a, `format`) SETTINGS x = 1 FORMAT TSV');
    assert.equal(text.slice(head.data!.dataStart), '  1\tx\n');
    assert.equal(text.slice(head.data!.settingsAt, head.data!.formatAt), 'SETTINGS x = 1 ');
    assert.equal(scan('INSERT INTO t FORMAT TSV\n1\n').data!.settingsAt, undefined);
    assert.equal(scan('INSERT INTO t VALUES (1)').data!.formatAt, undefined);
  });

  test('INSERT ... VALUES data starts right after VALUES', () => {
    const text = "INSERT INTO t VALUES (1, 'a;b'), (2, 'c')";
    const head = scan(text);
    assert.equal(head.format, 'Values');
    assert.equal(text.slice(head.data!.dataStart), " (1, 'a;b'), (2, 'c')");
  });

  test('INSERT ... SELECT has no inline data, even with a VALUES table function', () => {
    assert.equal(scan('INSERT INTO t SELECT * FROM values(1, 2)').data, undefined);
    assert.equal(scan('INSERT INTO t SELECT * FROM numbers(3) FORMAT TSV').data, undefined);
  });

  test('a head cut short is reported incomplete rather than guessed', () => {
    assert.equal(scan('INSERT INTO t FORMAT TSV', false).complete, false);
    assert.equal(scan('INSERT INTO t FORM', false).complete, false);
    assert.equal(scan("INSERT INTO t (a) SETTINGS s = 'x", false).complete, false);
    assert.equal(scan('INSERT INTO t FORMAT TSV\n', false).complete, true);
    assert.equal(scan('INSERT INTO t FORMAT TSV', true).data?.dataStart, 'INSERT INTO t FORMAT TSV'.length);
  });
});
