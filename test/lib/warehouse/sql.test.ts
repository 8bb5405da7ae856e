/**
 * The warehouse kit (lib/warehouse/sql.ts): identifier quoting, the name policy, bound queries and
 * reading ClickHouse error codes from errors and texts. Pure: no engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClickHouseError } from '@clickhouse/client';
import {
  bound,
  checkName,
  CLICKHOUSE_CODES,
  clickHouseCodeIn,
  clickHouseCodeName,
  clickHouseCodeOf,
  isClickHouseError,
  isRollupTableRace,
  qualified,
  quoteIdent,
} from '../../../lib/warehouse/sql.ts';

describe('quoteIdent', () => {
  const cases: [string, string][] = [
    ['crm', '`crm`'],
    ['crm_pre_aggregations', '`crm_pre_aggregations`'],
    ['', '``'],
    ['with space', '`with space`'],
    ['a`b', '`a\\`b`'],
    ['a\\b', '`a\\\\b`'],
    ['\\`', '`\\\\\\``'],
    ['`; DROP TABLE x; --', '`\\`; DROP TABLE x; --`'],
    ["it's", "`it's`"],
    ['ünïcode', '`ünïcode`'],
  ];
  for (const [name, quoted] of cases) test(JSON.stringify(name), () => assert.equal(quoteIdent(name), quoted));

  test('the quoted form never ends early: every inner backquote is escaped', () => {
    for (const [name] of cases) {
      const inner = quoteIdent(name).slice(1, -1);
      assert.doesNotMatch(inner.replace(/\\[\\`]/g, ''), /[`\\]/, name);
    }
  });
});

test('qualified quotes both parts', () => {
  assert.equal(qualified('crm', 'paid_orders'), '`crm`.`paid_orders`');
  assert.equal(qualified('a`b', 't'), '`a\\`b`.`t`');
});

describe('checkName', () => {
  for (const ok of ['crm', 'crm_2', '_x', 'CRM']) test(`accepts ${ok}`, () => assert.equal(checkName(ok), ok));
  for (const bad of ['', '2crm', 'a-b', 'a b', 'a`b', 'a.b', "a'b", 'w`; DROP', 'ü']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => checkName(bad), /invalid ClickHouse name/));
  }
});

test('bound: a query with its parameters, none by default', () => {
  assert.deepEqual(bound('SELECT {n:UInt8}', { n: 1 }), { query: 'SELECT {n:UInt8}', query_params: { n: 1 } });
  assert.deepEqual(bound('SELECT 1'), { query: 'SELECT 1', query_params: {} });
});

describe('the code table', () => {
  const expected: [keyof typeof CLICKHOUSE_CODES, number][] = [
    ['UNKNOWN_IDENTIFIER', 47],
    ['TABLE_ALREADY_EXISTS', 57],
    ['UNKNOWN_TABLE', 60],
    ['SYNTAX_ERROR', 62],
    ['UNKNOWN_DATABASE', 81],
    ['TIMEOUT_EXCEEDED', 159],
    ['READONLY', 164],
    ['TOO_MANY_SIMULTANEOUS_QUERIES', 202],
    ['MEMORY_LIMIT_EXCEEDED', 241],
    ['ACCESS_DENIED', 497],
    ['AUTHENTICATION_FAILED', 516],
  ];
  for (const [name, code] of expected) {
    test(`${name} = ${code}`, () => {
      assert.equal(CLICKHOUSE_CODES[name], code);
      assert.equal(clickHouseCodeName(code), name);
    });
  }
  test('codes are unique', () => assert.equal(new Set(Object.values(CLICKHOUSE_CODES)).size, Object.keys(CLICKHOUSE_CODES).length));
  test('an unlisted code has no name', () => assert.equal(clickHouseCodeName(1), undefined));
});

describe('clickHouseCodeOf / isClickHouseError', () => {
  // What @clickhouse/client throws: code as a string, type the name.
  const unknownTable = new ClickHouseError({ message: "Table crm.x doesn't exist. ", code: '60', type: 'UNKNOWN_TABLE' });
  const denied = new ClickHouseError({ message: 'w: Not enough privileges. ', code: '497', type: 'ACCESS_DENIED' });
  const chdb = Object.assign(new Error('Code: 62. DB::Exception: Syntax error'), { clickhouseCode: 62, code: 'CHDB_QUERY' });
  const wrapped = new Error(`Query failed: ${unknownTable}; query id: q1`, { cause: unknownTable });
  const cases: [string, unknown, number | undefined][] = [
    ['ClickHouseError', unknownTable, 60],
    ['ClickHouseError ACCESS_DENIED', denied, 497],
    ["chdb's error", chdb, 62],
    ['a driver error wrapping one', wrapped, 60],
    ['a Node error with a string code', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), undefined],
    ['a plain error whose text names a code (text is not read)', new Error('Code: 60. DB::Exception: … (UNKNOWN_TABLE)'), undefined],
    ['an object with a numeric code', { code: 60 }, undefined],
    ['a string', 'Code: 60.', undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
  ];
  for (const [what, err, code] of cases) test(what, () => assert.equal(clickHouseCodeOf(err), code));

  test('by code number or by name', () => {
    assert.ok(isClickHouseError(unknownTable, 60));
    assert.ok(isClickHouseError(unknownTable, 'UNKNOWN_TABLE'));
    assert.ok(!isClickHouseError(unknownTable, 'TABLE_ALREADY_EXISTS'));
    assert.ok(isClickHouseError(denied, 'ACCESS_DENIED'));
    assert.ok(isClickHouseError(wrapped, 'UNKNOWN_TABLE'));
    assert.ok(isClickHouseError(chdb, 'SYNTAX_ERROR'));
    assert.ok(!isClickHouseError(new Error('UNKNOWN_TABLE'), 'UNKNOWN_TABLE'));
    assert.ok(!isClickHouseError(undefined, 60));
  });
});

describe('clickHouseCodeIn', () => {
  const cases: [string, string, number | undefined][] = [
    ['the HTTP body', "Code: 60. DB::Exception: Table crm.x doesn't exist. (UNKNOWN_TABLE) (version 24.3.1.1)", 60],
    ['inside JSON', JSON.stringify({ error: "Error: Code: 60. DB::Exception: Table crm_pre_aggregations.s_1 doesn't exist. (UNKNOWN_TABLE)" }), 60],
    ['a code without a type marker', 'Code: 241. DB::Exception: Memory limit (total) exceeded', 241],
    ['a cluster-wrapped exception: the innermost', 'Code: 1000. DB::Exception: on [h:9000]: Code: 57. DB::Exception: Table x already exists. (TABLE_ALREADY_EXISTS)', 57],
    ['only a type marker', 'Error during create table: CREATE TABLE p.x_1 …: Table p.x_1 already exists. (TABLE_ALREADY_EXISTS)', 57],
    ['an unknown type marker', 'something (NOT_IN_OUR_TABLE)', undefined],
    ['markers that are not types', 'failed (2) (official build)', undefined],
    ['no marker: a message alone', "Table crm.x doesn't exist.", undefined],
    ['a word ending in Code', 'ErrorCode: 60', undefined],
    ['empty', '', undefined],
  ];
  for (const [what, text, code] of cases) test(what, () => assert.equal(clickHouseCodeIn(text), code));
});

describe('isRollupTableRace', () => {
  const cases: [string, string, boolean][] = [
    ['UNKNOWN_TABLE on a rollup table, in Cube’s JSON body', JSON.stringify({ error: "Error: Code: 60. DB::Exception: Table crm_pre_aggregations.s_1 doesn't exist. (UNKNOWN_TABLE)" }), true],
    ['TABLE_ALREADY_EXISTS by its type marker only', 'Error during create table: CREATE TABLE crm_pre_aggregations.x_1 …: Table crm_pre_aggregations.x_1 already exists. (TABLE_ALREADY_EXISTS)', true],
    ['a code with no message words', 'Code: 57. DB::Exception: crm_pre_aggregations.x_1', true],
    ['no code: the bare message Cube’s driver leaves (missing)', "Query failed: Error: Table crm_pre_aggregations.s_1 doesn't exist. ; query id: q", true],
    ['no code: the bare message (newer wording)', 'Query failed: Error: Table crm_pre_aggregations.s_1 does not exist. ; query id: q', true],
    ['no code: the bare message (exists)', 'Query failed: Error: Table crm_pre_aggregations.s_1 already exists. ; query id: q', true],
    ['a product table, not a rollup', "Error: Code: 60. Table crm.transactions doesn't exist. (UNKNOWN_TABLE)", false],
    ['another code on a rollup table', "Code: 241. DB::Exception: Memory limit exceeded while reading crm_pre_aggregations.s_1 (MEMORY_LIMIT_EXCEEDED)", false],
    ['a Cube validation message', "'sales.nope' not found for path 'sales.nope'", false],
    ['empty', '', false],
  ];
  for (const [what, text, race] of cases) test(what, () => assert.equal(isRollupTableRace(text), race));
});
