import { expect, test } from 'vitest';
import { ACCOUNT_LIMIT, attemptsLeft, CLIENT_LIMIT, clearFailures, clientOf, recordFailure, recordSignInFailure, recordSignInSuccess, signInAllowed } from './throttle.ts';

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

test("an attacker spending the admin's account counter again and again does not keep the admin's own browser out", () => {
  const email = `admin-${unique()}@x.example`;
  const device = `dev-${unique()}`;
  let now = t;
  // The attack: 8 failures every 10 minutes, for a day, from ever-new addresses.
  for (let round = 0; round < 144; round++, now += ACCOUNT_LIMIT.windowMs) {
    for (let i = 0; i < ACCOUNT_LIMIT.max; i++) recordSignInFailure(`198.51.${round}.${i}-${unique()}`, email, now);
    expect(signInAllowed(`192.0.2.1-${unique()}`, email, now)).toBe(false);
    // The admin's browser, which signed in before, is counted on its own.
    expect(signInAllowed('192.0.2.1', email, now, device)).toBe(true);
  }
  // Its own success does not hand the attacker a fresh account counter.
  for (let i = 0; i < ACCOUNT_LIMIT.max; i++) recordSignInFailure(`198.51.200.${i}-${unique()}`, email, now);
  recordSignInSuccess(email, device);
  expect(signInAllowed(`192.0.2.2-${unique()}`, email, now)).toBe(false);
  expect(signInAllowed('192.0.2.1', email, now, device)).toBe(true);
});

test('a stolen device cookie gives no more guesses than the account limit', () => {
  const email = `victim-${unique()}@x.example`;
  const device = `dev-${unique()}`;
  for (let i = 0; i < ACCOUNT_LIMIT.max; i++) {
    expect(signInAllowed(`203.0.113.${i}-${unique()}`, email, t, device)).toBe(true);
    recordSignInFailure(`203.0.113.${i}-${unique()}`, email, t, device);
  }
  expect(signInAllowed(`203.0.113.99-${unique()}`, email, t, device)).toBe(false);
  expect(signInAllowed(`203.0.113.99-${unique()}`, email, t)).toBe(false);
});

test('a sprayer rotating through the addresses of one IPv6 /64 is one client', () => {
  const net = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
  for (let i = 1; i <= CLIENT_LIMIT.max; i++) {
    expect(signInAllowed(`${net}::${i.toString(16)}`, `user${i}-${unique()}@x.example`, t)).toBe(true);
    recordSignInFailure(`${net}:0:0:0:${i.toString(16)}`, `user${i}-${unique()}@x.example`, t);
  }
  expect(signInAllowed(`${net}:ffff:ffff:ffff:ffff`, `fresh-${unique()}@x.example`, t)).toBe(false);
  expect(signInAllowed(`[${net.toUpperCase()}::1234%eth0]`, `fresh-${unique()}@x.example`, t)).toBe(false);
  // The next /64 is another client.
  expect(signInAllowed(`${net.slice(0, -1)}8::1`, `fresh-${unique()}@x.example`, t)).toBe(true);
});

test('client keys: IPv6 by /64, IPv4 and IPv4-mapped IPv6 by address', () => {
  expect(clientOf('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
  expect(clientOf('2001:0DB8:0000:0001:ffff:0:0:1')).toBe('2001:db8:0:1::/64');
  expect(clientOf('::1')).toBe('0:0:0:0::/64');
  expect(clientOf('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  expect(clientOf('::ffff:203.0.113.9')).toBe('203.0.113.9');
  expect(clientOf('203.0.113.9')).toBe('203.0.113.9');
});
