import { describe, expect, test } from 'vitest';
import { cellText, type Column } from './drill.ts';
import { formatValue } from './format/format.ts';

describe('cellText: a cell with nothing in it says what it can', () => {
  const name: Column = { key: 'c.name', label: 'Customer', fallback: { id: 'c.id' } };
  test.each([
    [{ 'c.name': 'Ann Lee', 'c.id': 'C-1' }, 'Ann Lee'],
    // A purchase log (CDNOW) has no names: every row read "—", indistinguishable from the next.
    [{ 'c.name': '', 'c.id': 'C-000GKPPQ7JWE' }, 'C-000GKPPQ7JWE (no name)'],
    [{ 'c.name': null, 'c.id': 'C-2' }, 'C-2 (no name)'],
    [{ 'c.name': '', 'c.id': '' }, formatValue('', 'text')],
  ])('%j → %s', (row, want) => {
    expect(cellText(row, name, formatValue)).toBe(want);
  });
  test('a column without a fallback formats as before', () => {
    expect(cellText({ v: '12.5' }, { key: 'v', label: 'V', format: 'currency' }, formatValue)).toBe(formatValue('12.5', 'currency'));
    expect(cellText({ v: '' }, { key: 'v', label: 'V', fallback: { text: 'none' } }, formatValue)).toBe('none');
    const when: Column = { key: 'v', label: 'V', format: 'percent', fallback: { text: 'lapsed', when: { key: 'band', is: 'lapsed' } } };
    expect(cellText({ v: null, band: 'lapsed' }, when, formatValue)).toBe('lapsed');
    expect(cellText({ v: null, band: 'high' }, when, formatValue)).toBe(formatValue(null, 'percent'));
  });
});
