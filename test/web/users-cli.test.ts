/**
 * `npm run users`: an administrator adds an account, sets its password, and the dashboard's own
 * account store then signs it in (the same hash check the sign-in form uses); deactivation stops it.
 * Real embedded warehouse, reached as a ClickHouse server through CLICKHOUSE_URL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { userStore } from '../../web/server/users.ts';
import { verifyPassword } from '../../web/src/lib/server/password.ts';
import { main, type Io } from '../../web/users-cli.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

let tw: TestWarehouse;
const saved = { ...process.env };

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  Object.assign(process.env, {
    CLICKHOUSE_URL: tw.warehouse.url,
    CLICKHOUSE_USER: tw.config.user,
    CLICKHOUSE_PASSWORD: tw.config.password,
    CLICKHOUSE_DATABASE: tw.config.database,
  });
});
after(async () => {
  process.env = saved;
  await tw?.close();
});

async function run(argv: string[], password = ''): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), readPassword: async () => password };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('--help and usage errors', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /set-password <email>/);
  const bad = await run(['add', '--email', 'x@example.com']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /add needs --email, --name and --role/);
  assert.equal((await run(['frobnicate'])).code, 2);
});

test('add, set a password, sign in through the account store; deactivate', async () => {
  const added = await run(['add', '--email', 'Ana@Example.com', '--name', 'Ana Ruiz', '--role', 'owner', '--owner-id', 'OWN-17', '--id', 'U-ANA']);
  assert.equal(added.code, 0, added.err);
  assert.match(added.out, /created ana@example\.com|created Ana@Example\.com/);

  const store = userStore(tw.warehouse.client);
  let ana = await store.byEmail('ana@example.com');
  assert.ok(ana);
  assert.deepEqual({ id: ana.userId, role: ana.role, owner: ana.ownerId, active: ana.active, hash: ana.passwordHash }, { id: 'U-ANA', role: 'owner', owner: 'OWN-17', active: true, hash: '' });

  assert.equal((await run(['set-password', 'ana@example.com'], 'short')).code, 1, 'fewer than 8 characters is refused');
  const set = await run(['set-password', 'ANA@example.com'], 'correct horse battery');
  assert.equal(set.code, 0, set.err);
  assert.ok(!set.out.includes('correct horse'), 'a typed password is never printed');
  ana = await store.byEmail('ana@example.com');
  assert.ok(await verifyPassword('correct horse battery', ana!.passwordHash));
  assert.ok(!(await verifyPassword('wrong password', ana!.passwordHash)));

  // A profile update keeps the password.
  assert.equal((await run(['add', '--email', 'ana@example.com', '--name', 'Ana Ruiz-Diaz', '--role', 'owner', '--owner-id', 'OWN-18', '--id', 'U-ANA'])).code, 0);
  ana = await store.byEmail('ana@example.com');
  assert.equal(ana!.ownerId, 'OWN-18');
  assert.ok(await verifyPassword('correct horse battery', ana!.passwordHash));

  const list = await run(['list']);
  assert.match(list.out, /ana@example\.com\s+owner\s+OWN-18\s+active\s+password set\s+Ana Ruiz-Diaz/);

  assert.equal((await run(['deactivate', 'ana@example.com'])).code, 0);
  assert.equal((await store.byEmail('ana@example.com'))!.active, false);
  assert.equal((await run(['activate', 'ana@example.com'])).code, 0);
  assert.equal((await store.byEmail('ana@example.com'))!.active, true);
});

test('refusals name the problem', async () => {
  const dup = await run(['add', '--email', 'ana@example.com', '--name', 'Other', '--role', 'analyst', '--id', 'U-OTHER']);
  assert.equal(dup.code, 1);
  assert.match(dup.err, /belongs to user U-ANA/);
  const owner = await run(['add', '--email', 'bo@example.com', '--name', 'Bo', '--role', 'owner']);
  assert.match(owner.err, /needs --owner-id/);
  const role = await run(['add', '--email', 'bo@example.com', '--name', 'Bo', '--role', 'ceo']);
  assert.match(role.err, /unknown role "ceo"/);
  const missing = await run(['set-password', 'nobody@example.com'], 'long enough password');
  assert.match(missing.err, /no user with the e-mail nobody@example\.com/);
  const generated = await run(['set-password', 'ana@example.com', '--generate']);
  const pw = generated.out.match(/set to: (\S+)/)?.[1];
  assert.ok(pw && pw.length >= 16);
  assert.ok(await verifyPassword(pw, (await userStore(tw.warehouse.client).byEmail('ana@example.com'))!.passwordHash));
});
