import { expect, test } from 'vitest';
import { DEFAULT_PARAMS, hashPassword, parseHash, verifyPassword } from './password.ts';

const fast = { log2N: 10, r: 8, p: 1 };

test('a hash verifies its password and nothing else', async () => {
  const hash = await hashPassword('demo1234', fast);
  expect(hash).toMatch(/^scrypt\$10\$8\$1\$[\w-]+\$[\w-]+$/);
  expect(await verifyPassword('demo1234', hash)).toBe(true);
  expect(await verifyPassword('demo1235', hash)).toBe(false);
  expect(await verifyPassword('', hash)).toBe(false);
});

test('salted: the same password hashes differently each time', async () => {
  const [a, b] = await Promise.all([hashPassword('same', fast), hashPassword('same', fast)]);
  expect(a).not.toBe(b);
  expect(parseHash(a)!.salt.equals(parseHash(b)!.salt)).toBe(false);
});

test('missing and malformed hashes never verify (and never throw)', async () => {
  for (const stored of [undefined, '', 'x', 'scrypt$99$8$1$AAAA$BBBB', 'bcrypt$2b$10$abc', 'scrypt$10$8$1$c2FsdHNhbHQ$c2hvcnQ']) {
    expect(await verifyPassword('demo1234', stored)).toBe(false);
  }
}, 60_000);

test('the default parameters are the stored ones (OWASP scrypt setting)', async () => {
  const hash = await hashPassword('demo1234');
  expect(parseHash(hash)!.params).toEqual(DEFAULT_PARAMS);
  expect(await verifyPassword('demo1234', hash)).toBe(true);
}, 60_000);

test('empty passwords cannot be hashed', async () => {
  await expect(hashPassword('')).rejects.toThrow();
});
