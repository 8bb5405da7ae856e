import { expect, test } from 'vitest';
import { inboxOwner } from './inbox-owner.ts';

test.each([
  [{ role: 'owner', ownerId: 'U-OWN-01' }, 'U-OWN-02', 'U-OWN-01'],
  [{ role: 'owner', ownerId: 'U-OWN-01' }, null, 'U-OWN-01'],
  [{ role: 'admin' }, ' U-OWN-02 ', 'U-OWN-02'],
  [{ role: 'admin' }, null, ''],
  [{ role: 'marketer' }, 'U-OWN-02', ''],
  [{ role: 'executive' }, 'U-OWN-02', ''],
  [{ role: 'analyst' }, 'U-OWN-02', ''],
] as const)('%j asking for %j reads %j', (user, requested, expected) => expect(inboxOwner(user, requested)).toBe(expected));
