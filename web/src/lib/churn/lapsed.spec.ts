import { describe, expect, test } from 'vitest';
import { lapsedDefinition, lapsedNote, lapsedSince, valueAtRiskBase, withoutLapsedProbability } from './lapsed.ts';

describe('lapsed words', () => {
  test('the definition names the window and the scores\' as-of day', () => {
    expect(lapsedDefinition(365, '1998-06-30')).toMatch(/^Lapsed: no order in the 365 days before 30 Jun 1998\. .*not counted as at risk/);
    expect(lapsedDefinition(undefined, undefined)).toMatch(/^Lapsed: no order in the 365 days\. /);
    expect(lapsedDefinition(180, undefined)).toMatch(/in the 180 days\./);
  });
  test('the customer page says since when, not a probability', () => {
    expect(lapsedSince('1997-03-25')).toBe('lapsed — no order since 25 Mar 1997');
    expect(lapsedSince(null)).toBe('lapsed — no order on record');
    expect(lapsedNote(undefined)).toMatch(/^no order in the 365 days before/);
  });
  test('value at risk says what it leaves out', () => {
    expect(valueAtRiskBase('1545')).toBe('active customers; 1,545 lapsed not included');
    expect(valueAtRiskBase('0')).toBe('active customers');
    expect(valueAtRiskBase(null)).toBe('active customers');
  });
  test('a lapsed row loses its probability, others keep it', () => {
    expect(withoutLapsedProbability({ b: 'lapsed', p: '0.93' }, 'b', 'p')).toEqual({ b: 'lapsed', p: null });
    expect(withoutLapsedProbability({ b: 'high', p: '0.93' }, 'b', 'p')).toEqual({ b: 'high', p: '0.93' });
  });
});
