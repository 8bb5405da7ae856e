import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with node:crypto's scrypt — a vetted primitive, nothing hand-rolled but the
 * encoding. Parameters follow OWASP's Password Storage Cheat Sheet (scrypt: N=2^15, r=8, p=3 is
 * one of its equivalent settings) and are stored in the hash, so they can be raised later without
 * invalidating existing hashes:
 *
 *   scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>
 *
 * This module is a leaf (no local imports): web/server/users.ts (run by tsx) and the SvelteKit
 * sign-in action (bundled by Vite) both use it.
 */
export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

export const DEFAULT_PARAMS: ScryptParams = { log2N: 15, r: 8, p: 3 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) throw new Error('password must be a non-empty string');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Parses a stored hash; undefined when it is not one of ours (e.g. empty: no password set). */
export function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [log2N, r, p] = parts.slice(1, 4).map(Number);
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n > 0) || log2N > 20 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || key.length !== KEY_BYTES) return undefined;
  return { params: { log2N, r, p }, salt, key };
}

// A well-formed hash of a random password: verifying against it when the user does not exist
// costs the same time as a real check, so response times do not reveal which e-mails exist.
let decoy: Promise<string> | undefined;

/**
 * True when `password` matches `stored`. Constant-time comparison; a missing or malformed hash
 * still spends one scrypt run (against a decoy) before answering false.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored ? parseHash(stored) : undefined;
  if (!parsed) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    const d = parseHash(await decoy)!;
    await derive(typeof password === 'string' ? password : '', d.salt, d.params);
    return false;
  }
  if (typeof password !== 'string' || password.length === 0) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}
