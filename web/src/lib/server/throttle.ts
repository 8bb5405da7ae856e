import { isIP } from 'node:net';

/**
 * Sign-in throttling, in memory (one web process), on two counters at once:
 *
 * - per account (the e-mail, whatever address the attempts come from): guessing one account's
 *   password from many addresses;
 * - per client address (whatever accounts it tries): password spraying, one common password tried
 *   on many accounts from one address.
 *
 * A sign-in is refused while either counter is spent. A success clears only the account counter:
 * an attacker who owns one account must not be able to reset their address's counter with it.
 *
 * A browser that signed in to the account before (a valid known-device cookie, device-cookie.ts)
 * is counted on a third counter of its own instead: an attacker who spends the account's counter
 * over and over cannot keep its holder — the admin above all — out for good.
 */
export interface Limit {
  max: number;
  windowMs: number;
}

export const ACCOUNT_LIMIT: Limit = { max: 8, windowMs: 10 * 60_000 };
export const CLIENT_LIMIT: Limit = { max: 20, windowMs: 10 * 60_000 };

const failures = new Map<string, { count: number; until: number }>();

export function attemptsLeft(key: string, now = Date.now(), limit: Limit = ACCOUNT_LIMIT): number {
  const f = failures.get(key);
  if (!f || f.until < now) return limit.max;
  return Math.max(0, limit.max - f.count);
}

export function recordFailure(key: string, now = Date.now(), limit: Limit = ACCOUNT_LIMIT): void {
  const f = failures.get(key);
  if (!f || f.until < now) failures.set(key, { count: 1, until: now + limit.windowMs });
  else f.count += 1;
  if (failures.size > 10_000) {
    for (const [k, v] of failures) if (v.until < now) failures.delete(k);
  }
}

export function clearFailures(key: string): void {
  failures.delete(key);
}

const accountKey = (email: string): string => `account|${email.trim().toLowerCase()}`;
const clientKey = (address: string): string => `client|${clientOf(address)}`;

/**
 * The client as the address counter counts it: an IPv4 address, or an IPv6 address's /64. One
 * subscriber or server gets a whole /64 (2^64 addresses), so counting single IPv6 addresses let a
 * sprayer take a fresh address for every guess. An IPv4-mapped IPv6 address counts as its IPv4.
 */
export function clientOf(address: string): string {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1];
  if (isIP(a) !== 6) return a;
  let s = a;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [b1, b2, b3, b4] = v4.slice(1).map(Number);
    s = `${s.slice(0, v4.index)}${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
const deviceKey = (device: string): string => `device|${device}`;

/** Whether this client may try to sign in to this account now; `device`: the verified known-device id for this account. */
export function signInAllowed(address: string, email: string, now = Date.now(), device?: string): boolean {
  return spentCounter(address, email, now, device) === undefined;
}

/** The counter that refuses this attempt (its key: the refusals of one key are tallied together, refusal-tally.ts), or undefined. */
export function spentCounter(address: string, email: string, now = Date.now(), device?: string): string | undefined {
  if (device) return attemptsLeft(deviceKey(device), now, ACCOUNT_LIMIT) > 0 ? undefined : deviceKey(device);
  if (attemptsLeft(accountKey(email), now, ACCOUNT_LIMIT) <= 0) return accountKey(email);
  if (attemptsLeft(clientKey(address), now, CLIENT_LIMIT) <= 0) return clientKey(address);
  return undefined;
}

// A known device's failures still count on the account and the address: they are failures all the same.
export function recordSignInFailure(address: string, email: string, now = Date.now(), device?: string): void {
  recordFailure(accountKey(email), now, ACCOUNT_LIMIT);
  recordFailure(clientKey(address), now, CLIENT_LIMIT);
  if (device) recordFailure(deviceKey(device), now, ACCOUNT_LIMIT);
}

/** A known device's success clears only its own counter: the account's may be an attack in progress, which its holder signing in must not reset. */
export function recordSignInSuccess(email: string, device?: string): void {
  if (device) clearFailures(deviceKey(device));
  else clearFailures(accountKey(email));
}
