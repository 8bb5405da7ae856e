import { expect, test } from 'vitest';
import { canAccess, navFor, navItemFor } from './access.ts';

test.each([
  ['/', 'owner', true],
  ['/lost-orders', 'marketer', false],
  ['/lost-orders', 'executive', true],
  ['/segments', 'owner', false],
  ['/segments/new', 'marketer', true],
  ['/alerts', 'owner', true],
  ['/alerts', 'analyst', false],
  ['/alerts/rules', 'admin', true],
  ['/alerts/rules', 'owner', false],
  ['/alerts/rules', 'executive', false],
  ['/customers/C-1', 'owner', true],
  ['/churn-risk/export.csv', 'owner', true],
  ['/api/cube-token', 'marketer', true],
] as const)('%s for %s: %s', (path, role, allowed) => expect(canAccess(path, role)).toBe(allowed));

test('longest prefix wins and the cockpit matches only /', () => {
  expect(navItemFor('/customers/abc')?.href).toBe('/customers');
  expect(navItemFor('/customersX')).toBeUndefined();
  expect(navItemFor('/')?.href).toBe('/');
});

test('each role sees its pages in the nav', () => {
  expect(navFor('owner').map((n) => n.href)).toEqual(['/', '/lost-orders', '/customers', '/churn-risk', '/alerts']);
  expect(navFor('marketer').map((n) => n.href)).toEqual(['/', '/customers', '/churn-risk', '/segments']);
  expect(navFor('admin').map((n) => n.href)).toEqual(['/', '/lost-orders', '/customers', '/churn-risk', '/segments', '/alerts', '/alerts/rules']);
});
