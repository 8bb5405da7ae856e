import { expect, test } from 'vitest';
import { csvCell, csvRow } from './csv.ts';

test.each([
  ['plain', 'plain'],
  ['a,b', '"a,b"'],
  ['say "hi"', '"say ""hi"""'],
  ['two\nlines', '"two\nlines"'],
  [null, ''],
  [12.5, '12.5'],
  ['-12.5', '-12.5'],
  ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
  ['+cmd', "'+cmd"],
  ['@SUM(A1)', "'@SUM(A1)"],
  [' padded ', '" padded "'],
  ['-2+3+cmd|\' /C calc\'!A0', "'-2+3+cmd|' /C calc'!A0"],
  ['\t=1+1', `"'\t'=1+1"`],
  // Excel in a `;` locale splits on `;` and tab (quotes or not): the formula after one gets an apostrophe.
  ["Müller;=cmd|' /C calc'!A0", `"Müller;'=cmd|' /C calc'!A0"`],
  ['a\tb', '"a\tb"'],
  // The carriage return is a line break to a `;`-locale Excel, which starts a record after it (seventh security review).
  ['\r=1+1', "\"'\r'=1+1\""],
  ['-', "'-"],
  ['@', "'@"],
  [-12.5, '-12.5'],
  [-3, '-3'],
  [1e21, '1e+21'],
  ['-1e5', '-1e5'],
  ['+44 20 7946 0000', "'+44 20 7946 0000"],
  [-Infinity, "'-Infinity"],
  ['a=b', 'a=b'],
  ['+3.2', '+3.2'],
  ["'=1+1", "''=1+1"],
])('csvCell(%j) = %s', (value, expected) => expect(csvCell(value)).toBe(expected));

test('csvRow ends with CRLF', () => {
  expect(csvRow(['a', 1, null])).toBe('a,1,\r\n');
});
