/**
 * The audit table (lib/audit/actions.ts) against the product: every dashboard route and form
 * action (access.ts ROUTES) and every command of the CLIs that change accounts or issue tokens is
 * either audited or listed here as not audited with the reason; what issue 16 says must be audited
 * is; and every file named as writing an action really writes it. Pure: reads source files only.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUDIT_ACTIONS, AUDIT_ACTION_NAMES } from '../../../lib/audit/actions.ts';
import { ROUTES } from '../../../web/src/lib/auth/access.ts';
import { USERS_COMMANDS } from '../../../web/users-cli.ts';
import { PRIVACY_COMMANDS } from '../../../bin/privacy.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Operations that write no audit row, and why. A new route or action lands in neither list and fails the first test. */
const NOT_AUDITED: Record<string, string> = {
  'route /(app) load': 'cockpit: aggregates only, no person',
  'route /(app)/lost-orders load': 'aggregates of deals, no person',
  'route /(app)/pipeline load':
    'the list reads Cube in the browser with the audited token (like the churn list); no export',
  'route /(app)/customers load': 'the list page; opening a customer is audited (customer.view)',
  'route /(app)/churn-risk load':
    'the on-screen list reads Cube in the browser with the audited token; the file export is audited',
  'route /(app)/models load': 'model card: aggregates only',
  'route /(app)/segments load': 'saved segments and their counts; export and push are audited',
  'route /(app)/segments save': 'a rule set, no person (its exports and pushes are audited)',
  'route /(app)/segments delete': 'a rule set, no person',
  'route /(app)/alerts load': "an owner's own alert inbox",
  'route /(app)/alerts/rules load': 'reading the rules; saving is audited',
  'route /(app)/audit load': 'reading the audit log itself (admins only)',
  'route /(app)/privacy load':
    'erasure receipts: counts and tombstone hashes, no person (look-ups and erasures are audited)',
  'route /(app)/definitions load': 'the semantic layer’s definitions: no data about anyone',
  'route /signin load': 'the form',
  'route /signout load': 'redirects only',
  'cli users list': 'lists accounts; changes nothing',
};

/** What issue 16 requires to be audited, by rule, so a new export or admin action cannot slip into NOT_AUDITED. */
function mustAudit(op: string): boolean {
  return (
    /^route \S+\.csv GET$/.test(op) || // every export
    /^route \/api\/cube-token /.test(op) || // token issuance
    /^route \/(signin|signout) default$/.test(op) ||
    op === 'route /(app)/customers/[id] load' ||
    op === 'route /(app)/segments push' ||
    op === 'route /(app)/customers/[id] consent' || // consent changes
    /^route \/\(app\)\/privacy (lookup|erase)$/.test(op) || // erasure and its look-up
    /^cli privacy /.test(op) || // erasure, subject access
    /^cli (users (?!list)|token )/.test(op) // account and role changes, tokens
  );
}

/** Every operation the dashboard and the CLIs offer: page loads, endpoint GETs, form actions, CLI commands. */
function operations(): string[] {
  const ops: string[] = [];
  for (const [id, access] of Object.entries(ROUTES)) {
    const dir = join(ROOT, 'web', 'src', 'routes', id);
    assert.ok(existsSync(dir), `ROUTES names ${id}, which has no folder`);
    if (existsSync(join(dir, '+server.ts'))) ops.push(`route ${id} GET`);
    if (existsSync(join(dir, '+page.svelte')) || existsSync(join(dir, '+page.server.ts'))) ops.push(`route ${id} load`);
    for (const action of Object.keys((access as { actions?: Record<string, unknown> }).actions ?? {}))
      ops.push(`route ${id} ${action}`);
  }
  for (const command of USERS_COMMANDS) ops.push(`cli users ${command}`);
  ops.push('cli token issue');
  for (const command of PRIVACY_COMMANDS) ops.push(`cli privacy ${command}`);
  return ops;
}

const where = new Map<string, string>();
for (const name of AUDIT_ACTION_NAMES) for (const w of AUDIT_ACTIONS[name].where) where.set(w, name);

test('every route, form action and CLI command is either audited or listed as not audited with a reason', () => {
  const ops = operations();
  const unclassified = ops.filter((op) => !where.has(op) && !Object.hasOwn(NOT_AUDITED, op));
  assert.deepEqual(unclassified, [], 'add these to lib/audit/actions.ts or to NOT_AUDITED here, with the reason');
  const both = ops.filter((op) => where.has(op) && Object.hasOwn(NOT_AUDITED, op));
  assert.deepEqual(both, []);
  const stale = [...where.keys(), ...Object.keys(NOT_AUDITED)].filter((op) => !ops.includes(op));
  assert.deepEqual(stale, [], 'entries naming an operation that no longer exists');
});

test('what issue 16 requires is audited, never waved through', () => {
  const ops = operations();
  const required = ops.filter(mustAudit);
  // The rule must match something, or it checks nothing: the exports, the token, sign-in/out, the 360 view, the push, the consent change, 4 account commands, the token CLI.
  assert.equal(required.length, 2 + 1 + 2 + 1 + 1 + 1 + 4 + 1 + 2 + 2, required.join('\n'));
  assert.deepEqual(
    required.filter((op) => !where.has(op)),
    [],
  );
  // Admin-only form actions change settings for everyone: audited too.
  const adminActions = Object.entries(ROUTES).flatMap(([id, a]) =>
    Object.entries((a as { actions?: Record<string, readonly string[] | 'public'> }).actions ?? {})
      .filter(([, roles]) => Array.isArray(roles) && roles.length === 1 && roles[0] === 'admin')
      .map(([action]) => `route ${id} ${action}`),
  );
  assert.ok(adminActions.length >= 1);
  assert.deepEqual(
    adminActions.filter((op) => !where.has(op)),
    [],
  );
});

/** Source files that may write audit rows: the dashboard's server code and the CLIs. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

test('every file named for an action writes it, and no file writes an action without being named', () => {
  for (const name of AUDIT_ACTION_NAMES) {
    for (const file of AUDIT_ACTIONS[name].files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      assert.ok(text.includes(`'${name}'`), `${file} should write ${name}`);
      assert.match(text, /\baudit(?:Repeatable)?\(|\bwriteAudit\(/, `${file} calls no audit writer`);
    }
  }
  const files = [
    ...sourceFiles(join(ROOT, 'web', 'src')),
    join(ROOT, 'web', 'users-cli.ts'),
    join(ROOT, 'semantic', 'token-cli.ts'),
  ];
  const writers = files.filter(
    (f) =>
      /\baudit(?:Repeatable)?\(|\bwriteAudit\(/.test(readFileSync(f, 'utf8')) &&
      !f.endsWith(join('lib', 'server', 'audit.ts')),
  );
  assert.ok(writers.length >= 9, writers.join('\n'));
  for (const file of writers) {
    const rel = file.slice(ROOT.length + 1);
    const text = readFileSync(file, 'utf8');
    const written = AUDIT_ACTION_NAMES.filter((name) => text.includes(`'${name}'`));
    assert.ok(written.length > 0, `${rel} calls the audit writer but names no action of lib/audit/actions.ts`);
    for (const name of written)
      assert.ok(
        (AUDIT_ACTIONS[name].files as readonly string[]).includes(rel),
        `${rel} writes ${name} but is not among its files`,
      );
  }
});
