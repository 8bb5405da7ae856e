import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { actionName, decide, navFor, navItemFor, ROUTES, routeAccess, startedByAnotherSite } from './access.ts';
import { ROLES } from './roles.ts';

const routesDir = fileURLToPath(new URL('../../routes', import.meta.url));

/** Route ids as SvelteKit derives them: the directory of every +page / +server file. */
function routeIds(): { id: string; files: string[] }[] {
  const out = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^\+(page|server)(\.server)?\.(ts|js|svelte)$/.test(e.name)) {
        const id = `/${relative(routesDir, dir).split(sep).join('/')}`.replace(/\/$/, '') || '/';
        out.set(id, [...(out.get(id) ?? []), e.name]);
      }
    }
  };
  walk(routesDir);
  return [...out].map(([id, files]) => ({ id, files }));
}

describe('every route has an entry', () => {
  const found = routeIds();
  test('the walk finds the routes', () => expect(found.map((r) => r.id)).toContain('/(app)/segments/export.csv'));
  test.each(found.map((r) => [r.id]))('%s', (id) => expect(routeAccess(id), `add ${id} to ROUTES in access.ts`).toBeDefined());
  test('no entry names a route that does not exist', () => {
    expect(Object.keys(ROUTES).filter((id) => !found.some((r) => r.id === id))).toEqual([]);
  });
});

// Each page's form actions must be declared, or a new action would be refused (and the test says why).
const pageServers = import.meta.glob<{ actions?: Record<string, unknown> }>('../../routes/**/+page.server.ts');
describe('every form action is declared', () => {
  test.each(Object.keys(pageServers))('%s', async (file) => {
    const mod = await pageServers[file]();
    const id = `/${file.replace('../../routes/', '').replace(/\/?\+page\.server\.ts$/, '')}`.replace(/\/$/, '') || '/';
    const declared = Object.keys(routeAccess(id)?.actions ?? {}).sort();
    expect(Object.keys(mod.actions ?? {}).sort()).toEqual(declared);
  });
});

test.each([
  ['/(app)', 'owner', 'allow'],
  ['/(app)/lost-orders', 'marketer', 'forbidden'],
  ['/(app)/lost-orders', 'executive', 'allow'],
  ['/(app)/pipeline', 'owner', 'allow'],
  ['/(app)/pipeline', 'marketer', 'forbidden'],
  ['/(app)/segments', 'owner', 'forbidden'],
  ['/(app)/segments/export.csv', 'owner', 'forbidden'],
  ['/(app)/segments', 'marketer', 'allow'],
  ['/(app)/alerts', 'owner', 'allow'],
  ['/(app)/alerts', 'marketer', 'forbidden'],
  ['/(app)/alerts', 'analyst', 'forbidden'],
  ['/(app)/alerts/rules', 'admin', 'allow'],
  ['/(app)/alerts/rules', 'owner', 'forbidden'],
  ['/(app)/customers/[id]', 'owner', 'allow'],
  ['/(app)/churn-risk/export.csv', 'owner', 'allow'],
  ['/api/cube-token', 'marketer', 'allow'],
  ['/api/cube-token', undefined, 'sign-in'],
  ['/(app)', undefined, 'sign-in'],
  ['/signin', undefined, 'allow'],
  // Deny by default: a route nobody declared.
  ['/(app)/admin-console', 'admin', 'forbidden'],
  ['/(app)/admin-console', undefined, 'sign-in'],
  [null, 'admin', 'forbidden'],
  ['constructor', 'admin', 'forbidden'],
] as const)('%s for %s: %s', (id, role, verdict) => expect(decide(id, role)).toBe(verdict));

test.each([
  ['/(app)/segments', 'push', 'marketer', 'allow'],
  ['/(app)/segments', 'delete', 'admin', 'allow'],
  ['/(app)/segments', 'delete', 'analyst', 'forbidden'],
  ['/(app)/segments', 'save', 'executive', 'forbidden'],
  ['/(app)/segments', 'push', 'owner', 'forbidden'],
  ['/(app)/segments', 'default', 'marketer', 'forbidden'],
  ['/(app)/alerts/rules', 'save', 'admin', 'allow'],
  ['/(app)/alerts/rules', 'save', 'executive', 'forbidden'],
  ['/(app)/churn-risk', 'default', 'admin', 'forbidden'],
  ['/signin', 'default', undefined, 'allow'],
  ['/signout', 'default', 'owner', 'allow'],
  ['/signout', 'default', undefined, 'allow'],
  ['/(app)/segments', 'toString', 'admin', 'forbidden'],
] as const)('%s ?/%s for %s: %s', (id, action, role, verdict) => expect(decide(id, role, action)).toBe(verdict));

test('the action a form posts to is read as SvelteKit reads it', () => {
  expect(actionName(new URL('http://x/segments?/push'))).toBe('push');
  expect(actionName(new URL('http://x/segments?a=1&/delete'))).toBe('delete');
  expect(actionName(new URL('http://x/signin?next=/'))).toBe('default');
});

test('longest prefix wins and the cockpit matches only /', () => {
  expect(navItemFor('/customers/abc')?.href).toBe('/customers');
  expect(navItemFor('/customersX')).toBeUndefined();
  expect(navItemFor('/')?.href).toBe('/');
});

test('each role sees its pages in the nav, and only pages it may open', () => {
  expect(navFor('owner').map((n) => n.href)).toEqual(['/', '/lost-orders', '/pipeline', '/customers', '/churn-risk', '/alerts', '/definitions']);
  expect(navFor('marketer').map((n) => n.href)).toEqual(['/', '/customers', '/churn-risk', '/segments', '/definitions']);
  expect(navFor('admin').map((n) => n.href)).toEqual(['/', '/lost-orders', '/pipeline', '/customers', '/churn-risk', '/models', '/segments', '/alerts', '/alerts/rules', '/audit', '/privacy', '/definitions']);
  for (const role of ROLES) {
    for (const item of navFor(role)) {
      const id = Object.entries(ROUTES).find(([, r]) => 'nav' in r && r.nav.href === item.href)![0];
      expect(decide(id, role)).toBe('allow');
    }
  }
});

describe('downloads and tokens another site starts (fourth review)', () => {
  const h = (site?: string): Headers => new Headers(site ? { 'sec-fetch-site': site } : {});
  test.each(['/(app)/churn-risk/export.csv', '/(app)/segments/export.csv', '/api/cube-token'])('%s: refused from another site, allowed from the dashboard', (id) => {
    expect(startedByAnotherSite(id, h('cross-site'))).toBe(true);
    expect(startedByAnotherSite(id, h('same-site'))).toBe(true);
    for (const ok of ['same-origin', 'none', undefined]) expect(startedByAnotherSite(id, h(ok))).toBe(false);
  });
  test('pages still open from another site’s link (a shared view)', () => {
    for (const id of ['/(app)', '/(app)/customers/[id]', '/(app)/segments', '/signin']) expect(startedByAnotherSite(id, h('cross-site'))).toBe(false);
  });
  test('every endpoint (+server.ts) of the dashboard is one of them', () => {
    const endpoints = routeIds().filter((r) => r.files.some((f) => f.startsWith('+server.'))).map((r) => r.id);
    expect(endpoints.length).toBeGreaterThan(0);
    for (const id of endpoints) expect(startedByAnotherSite(id, h('cross-site')), id).toBe(true);
  });
});
