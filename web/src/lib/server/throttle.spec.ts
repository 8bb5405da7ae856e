import { expect, test } from 'vitest';
import { ACCOUNT_LIMIT, attemptsLeft, CLIENT_LIMIT, clearFailures, recordFailure, recordSignInFailure, recordSignInSuccess, signInAllowed } from './throttle.ts';

const unique = (): string => Math.random().toString(36).slice(2);
const t = 1_000_000;

test('failures count down within the window and reset after it or on success', () => {
  const key = `ip|user-${unique()}`;
  expect(attemptsLeft(key, t)).toBe(8);
  for (let i = 0; i < 8; i++) recordFailure(key, t);
  expect(attemptsLeft(key, t)).toBe(0);
  expect(attemptsLeft(key, t + 11 * 60_000)).toBe(8);
  recordFailure(key, t);
  clearFailures(key);
  expect(attemptsLeft(key, t)).toBe(8);
});

test('one account guessed from many addresses is throttled', () => {
  const email = `victim-${unique()}@x.example`;
  for (let i = 0; i < ACCOUNT_LIMIT.max; i++) recordSignInFailure(`10.0.${i}.1-${unique()}`, email, t);
  expect(signInAllowed(`192.168.1.1-${unique()}`, email, t)).toBe(false);
  expect(signInAllowed(`192.168.1.1-${unique()}`, email.toUpperCase(), t)).toBe(false);
  expect(signInAllowed(`192.168.1.1-${unique()}`, email, t + ACCOUNT_LIMIT.windowMs + 1)).toBe(true);
});

test('one address spraying one password over many accounts is throttled', () => {
  const ip = `203.0.113.7-${unique()}`;
  for (let i = 0; i < CLIENT_LIMIT.max; i++) {
    expect(signInAllowed(ip, `user${i}-${unique()}@x.example`, t)).toBe(true);
    recordSignInFailure(ip, `user${i}-${unique()}@x.example`, t);
  }
  expect(signInAllowed(ip, `fresh-${unique()}@x.example`, t)).toBe(false);
  expect(signInAllowed(`198.51.100.1-${unique()}`, `fresh-${unique()}@x.example`, t)).toBe(true);
});

test("a success clears the account's counter, not the address's", () => {
  const ip = `203.0.113.9-${unique()}`;
  const own = `own-${unique()}@x.example`;
  for (let i = 0; i < CLIENT_LIMIT.max; i++) recordSignInFailure(ip, `other${i}-${unique()}@x.example`, t);
  recordSignInSuccess(own);
  expect(signInAllowed(ip, `next-${unique()}@x.example`, t)).toBe(false);
});
