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
])('csvCell(%j) = %s', (value, expected) => expect(csvCell(value)).toBe(expected));

test('csvRow ends with CRLF', () => {
  expect(csvRow(['a', 1, null])).toBe('a,1,\r\n');
});
