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
const clientKey = (address: string): string => `client|${address}`;
const deviceKey = (device: string): string => `device|${device}`;

/** Whether this client may try to sign in to this account now; `device`: the verified known-device id for this account. */
export function signInAllowed(address: string, email: string, now = Date.now(), device?: string): boolean {
  if (device) return attemptsLeft(deviceKey(device), now, ACCOUNT_LIMIT) > 0;
  return attemptsLeft(accountKey(email), now, ACCOUNT_LIMIT) > 0 && attemptsLeft(clientKey(address), now, CLIENT_LIMIT) > 0;
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
