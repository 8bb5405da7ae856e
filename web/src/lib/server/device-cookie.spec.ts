import { expect, test } from 'vitest';
import { DEVICE_TTL_SECONDS, signDevice, verifyDevice } from './device-cookie.ts';

const SECRET = 'a-session-secret-of-32-characters!';
const t = Date.UTC(2026, 11, 6);

test('a device cookie vouches for its own account, with this secret, until it expires', () => {
  const value = signDevice('Admin@Example.com', SECRET, t, 'device-id-0123456789');
  expect(verifyDevice(value, 'admin@example.com', SECRET, t)).toBe('device-id-0123456789');
  expect(verifyDevice(value, 'someone.else@example.com', SECRET, t)).toBeUndefined();
  expect(verifyDevice(value, 'admin@example.com', 'another-secret-of-32-characters!!', t)).toBeUndefined();
  expect(verifyDevice(value, 'admin@example.com', SECRET, t + DEVICE_TTL_SECONDS * 1000)).toBeUndefined();
  // The e-mail is in the MAC, not in the cookie.
  expect(value).not.toMatch(/admin/i);
});

test('a forged or altered device cookie is refused', () => {
  const value = signDevice('admin@example.com', SECRET, t, 'device-id-0123456789');
  const [id, exp, sig] = value.split('.');
  const later = String(Number(exp) + 10 * DEVICE_TTL_SECONDS);
  for (const forged of [`${id}.${later}.${sig}`, `other-device-id-0123.${exp}.${sig}`, `${id}.${exp}.${'A'.repeat(43)}`, `${id}.${exp}`, '', 'x'.repeat(500)]) {
    expect(verifyDevice(forged, 'admin@example.com', SECRET, t), forged.slice(0, 60)).toBeUndefined();
  }
});
