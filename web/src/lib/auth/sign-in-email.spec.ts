import { describe, expect, it } from 'vitest';
import { MAX_EMAIL_CHARS, signInEmail } from './sign-in-email.ts';

describe('signInEmail', () => {
  it('trims and lower-cases a typed address', () => {
    expect(signInEmail('  Eva.Lindholm@Demo.Local ')).toBe('eva.lindholm@demo.local');
  });
  it('takes an address of 254 characters and refuses one character more, or 500 KB', () => {
    const at = (n: number) => `${'a'.repeat(n - '@x.example'.length)}@x.example`;
    expect(at(MAX_EMAIL_CHARS)).toHaveLength(254);
    expect(signInEmail(at(254))).toBe(at(254));
    expect(signInEmail(at(255))).toBeUndefined();
    expect(signInEmail(at(500_000))).toBeUndefined();
  });
  it('refuses an empty or blank value', () => {
    expect(signInEmail('')).toBeUndefined();
    expect(signInEmail('   ')).toBeUndefined();
  });
});
