import { expect, test } from 'vitest';
import { causeLine, causesText, formatPoints, parseCauses } from './causes.ts';

test('texts and effects are paired back up in order', () => {
  expect(parseCauses('no contact in the 14 days before close; discount of 15% or more', '0.21;0.05')).toEqual([
    { text: 'no contact in the 14 days before close', effect: 0.21 },
    { text: 'discount of 15% or more', effect: 0.05 },
  ]);
});

test.each([
  ['', '', []],
  [null, null, []],
  ['a; b', '0.1', [{ text: 'a', effect: 0.1 }, { text: 'b', effect: null }]],
  ['a', 'x', [{ text: 'a', effect: null }]],
] as const)('missing or odd input %o / %o', (t, e, expected) => expect(parseCauses(t, e)).toEqual(expected));

test.each([
  [0.21, '+21 pts'],
  [0.05, '+5.0 pts'],
  [0.0049, '+0.5 pts'],
  [0.1, '+10 pts'],
  [-0.03, '−3.0 pts'],
  // A cause that adds 0.04 points adds something: not "+0 pts".
  [0.0004, '+<0.1 pts'],
  [null, ''],
] as const)('points of loss probability: %s → %s', (effect, text) => expect(formatPoints(effect)).toBe(text));

test('one line per cause, the effect in brackets; a cause without a number is just its text', () => {
  expect(causeLine({ text: 'slow replies', effect: 0.12 })).toBe('slow replies (+12 pts)');
  expect(causeLine({ text: 'slow replies', effect: null })).toBe('slow replies');
  expect(causesText('a; b', '0.2;0.1')).toBe('a (+20 pts)\nb (+10 pts)');
});
