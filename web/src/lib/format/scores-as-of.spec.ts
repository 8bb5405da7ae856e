import { expect, test } from 'vitest';
import { scoresAsOf } from './scores-as-of.ts';

test('the published run’s day, whatever the dashboard’s as-of date; nothing claimed without a run', () => {
  expect(scoresAsOf({ asOf: '2026-11-30' })).toBe(' (scores as of 30 Nov 2026)');
  expect(scoresAsOf({ asOf: '1998-06-30' })).toBe(' (scores as of 30 Jun 1998)');
  expect(scoresAsOf(undefined)).toBe('');
  expect(scoresAsOf({ asOf: '' })).toBe('');
});
