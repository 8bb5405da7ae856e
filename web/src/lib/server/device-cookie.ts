import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Known-device cookies (OWASP "Slow down online guessing attacks with device cookies"): the sign-in
 * throttle (throttle.ts) refuses an account after 8 failures in 10 minutes from anywhere, so whoever
 * keeps failing on the admin's address every few minutes would keep the admin out for as long as
 * they liked. A browser that has signed in to an account before carries this cookie, and its
 * attempts on that account are counted on their own (per device), not with the attacker's: the
 * admin's usual browser always gets in. A stolen device cookie buys no more guesses than a fresh
 * address does (the device counter has the account's limit).
 *
 * Value: `<device id>.<expiry, s>.<HMAC-SHA256>` over the account's e-mail, the id and the expiry,
 * keyed with the session secret. The e-mail is inside the MAC, not in the cookie: a cookie left on
 * a shared computer does not say whose it was, and it vouches for that one account only.
 */
export const DEVICE_COOKIE = 'crm_device';
/** Half a year: the admin's browser should still be known after a long holiday. */
export const DEVICE_TTL_SECONDS = 180 * 86_400;

const mac = (email: string, id: string, exp: number, secret: string): Buffer =>
  createHmac('sha256', secret).update(`crm-device-v1\n${email.trim().toLowerCase()}\n${id}\n${exp}`).digest();

export function signDevice(email: string, secret: string, now = Date.now(), id = randomBytes(16).toString('base64url')): string {
  const exp = Math.floor(now / 1000) + DEVICE_TTL_SECONDS;
  return `${id}.${exp}.${mac(email, id, exp, secret).toString('base64url')}`;
}

/** The device id when the cookie was issued by this server for this account and has not expired; else undefined. */
export function verifyDevice(value: string | undefined, email: string, secret: string, now = Date.now()): string | undefined {
  if (!value || value.length > 200) return undefined;
  const m = /^([A-Za-z0-9_-]{16,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return undefined;
  const [, id, expText, given] = m;
  const exp = Number(expText);
  if (exp * 1000 <= now) return undefined;
  const expected = mac(email, id, exp, secret);
  const got = Buffer.from(given, 'base64url');
  return got.length === expected.length && timingSafeEqual(got, expected) ? id : undefined;
}
