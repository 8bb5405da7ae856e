import { expect, test } from 'vitest';
import { attemptsLeft, clearFailures, recordFailure } from './throttle.ts';

test('failures count down within the window and reset after it or on success', () => {
  const key = `ip|user-${Math.random()}`;
  const t = 1_000_000;
  expect(attemptsLeft(key, t)).toBe(8);
  for (let i = 0; i < 8; i++) recordFailure(key, t);
  expect(attemptsLeft(key, t)).toBe(0);
  expect(attemptsLeft(key, t + 11 * 60_000)).toBe(8);
  recordFailure(key, t);
  clearFailures(key);
  expect(attemptsLeft(key, t)).toBe(8);
});
