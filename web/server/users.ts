import type { ClickHouseClient } from '@clickhouse/client';
import { hashPassword } from '../src/lib/server/password.ts';
import { isRole } from '../src/lib/auth/roles.ts';
import type { UserRecord } from '../src/lib/server/context.ts';
import { localAccountChanges } from '../src/lib/server/session-check.ts';

/**
 * Dashboard accounts live in the warehouse's `users` table (lib/warehouse/migrations/001-core.ts),
 * a ReplacingMergeTree keyed by user_id: an update is a new row with a higher `version`.
 */
interface UserRow {
  user_id: string;
  email: string;
  name: string;
  role: string;
  owner_id: string;
  region: string;
  password_hash: string;
  active: number;
  version: string;
  /** toUnixTimestamp64Milli(updated_at): read only, never written back (the insert's DEFAULT sets it). */
  updated_ms?: string;
}

export const DEMO_PASSWORD = 'demo1234';
export const DEMO_DOMAIN = '@demo.local';

const COLUMNS = 'user_id, email, name, role, owner_id, region, password_hash, active, version';

function toRecord(r: UserRow): UserRecord | undefined {
  if (!isRole(r.role)) return undefined;
  return {
    userId: r.user_id,
    email: r.email,
    name: r.name,
    role: r.role,
    ownerId: r.owner_id,
    region: r.region,
    passwordHash: r.password_hash,
    active: Number(r.active) === 1,
    updatedAt: Number(r.updated_ms ?? 0),
  };
}

async function select(client: ClickHouseClient, where: string, params: Record<string, unknown>): Promise<UserRow[]> {
  const rs = await client.query({
    query: `SELECT ${COLUMNS}, toString(toUnixTimestamp64Milli(updated_at)) AS updated_ms FROM users FINAL WHERE ${where} ORDER BY user_id`,
    query_params: params,
    format: 'JSONEachRow',
  });
  return rs.json<UserRow>();
}

/** The account store the SvelteKit server reads through the web context. */
export function userStore(client: ClickHouseClient) {
  return {
    async byEmail(email: string): Promise<UserRecord | undefined> {
      const rows = await select(client, 'lower(email) = {email:String}', { email: email.trim().toLowerCase() });
      // Two accounts with one e-mail would make sign-in ambiguous: refuse both.
      return rows.length === 1 ? toRecord(rows[0]) : undefined;
    },
    async byId(userId: string): Promise<UserRecord | undefined> {
      const rows = await select(client, 'user_id = {id:String}', { id: userId });
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
  };
}

/** A new version of the whole row with `changes`: ReplacingMergeTree keeps the highest version. */
async function writeVersion(client: ClickHouseClient, row: UserRow, changes: Partial<UserRow>): Promise<void> {
  const version = Math.max(Date.now(), Number(row.version) + 1);
  // updated_at is left to the column DEFAULT (now64(3)): the new version's time ends older sessions.
  const { updated_ms: _readOnly, ...current } = row;
  await client.insert({ table: 'users', values: [{ ...current, ...changes, version: String(version) }], format: 'JSONEachRow' });
  // The new row ends older sessions: this process's next session check waits for an accounts read that sees it.
  localAccountChanges().userChanged();
}

const writePassword = (client: ClickHouseClient, row: UserRow, passwordHash: string): Promise<void> => writeVersion(client, row, { password_hash: passwordHash });

/** The one account with this e-mail (case-insensitive); two sharing it is an error, as at sign-in. */
async function oneByEmail(client: ClickHouseClient, email: string): Promise<UserRow> {
  const rows = await select(client, 'lower(email) = {email:String}', { email: email.trim().toLowerCase() });
  if (rows.length !== 1) throw new Error(rows.length ? `${rows.length} users share the e-mail ${email}` : `no user with the e-mail ${email}`);
  return rows[0];
}

/** Sets (or replaces) one user's password. For an admin CLI or tests. */
export async function setUserPassword(client: ClickHouseClient, email: string, password: string): Promise<void> {
  if (password.length < 8) throw new Error('a password needs at least 8 characters');
  const row = await oneByEmail(client, email);
  await writePassword(client, row, await hashPassword(password));
}

export interface DemoUser {
  email: string;
  name: string;
  role: string;
  ownerId: string;
  password: string;
}

/**
 * Gives every demo account (an e-mail ending in @demo.local, loaded with the demo data) the demo
 * password "demo1234" — only when it has no password yet, so a password set with
 * setUserPassword() stays. Returns the active demo accounts, to print at start:
 *
 *   for (const u of await ensureDemoUsers(wh.client)) log(`${u.email.padEnd(24)} ${u.role}`);
 *
 * (Checking every existing hash against the demo password would cost ≈1 s per account at each
 * start, so `password` is the demo password unless someone changed it.)
 */
export async function ensureDemoUsers(client: ClickHouseClient): Promise<DemoUser[]> {
  const rows = await select(client, 'endsWith(lower(email), {domain:String}) AND active = 1', { domain: DEMO_DOMAIN });
  // Hashing is deliberately slow (≈1 s each on two cores): run them together on libuv's pool.
  await Promise.all(rows.filter((r) => r.password_hash === '').map(async (r) => writePassword(client, r, await hashPassword(DEMO_PASSWORD))));
  const order = ['executive', 'marketer', 'analyst', 'admin', 'owner'];
  return rows
    .filter((r) => isRole(r.role))
    .map((r) => ({ email: r.email, name: r.name, role: r.role, ownerId: r.owner_id, password: DEMO_PASSWORD }))
    .sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role) || a.email.localeCompare(b.email));
}

export type UserSummary = Omit<UserRecord, 'passwordHash'> & { hasPassword: boolean };

/** Every account, for the admin CLI: no password hashes, only whether one is set. */
export async function listUsers(client: ClickHouseClient): Promise<UserSummary[]> {
  const out: UserSummary[] = [];
  for (const row of await select(client, '1', {})) {
    const r = toRecord(row);
    if (!r) continue;
    const { passwordHash, ...rest } = r;
    out.push({ ...rest, hasPassword: passwordHash !== '' });
  }
  return out;
}

export interface NewUser {
  userId: string;
  email: string;
  name: string;
  role: string;
  ownerId?: string;
  region?: string;
}

/** Creates an account, or updates its profile when the id exists (the password stays). */
export async function upsertUser(client: ClickHouseClient, u: NewUser): Promise<'created' | 'updated'> {
  if (!isRole(u.role)) throw new Error(`unknown role "${u.role}"`);
  if (u.role === 'owner' && !u.ownerId) throw new Error('an account owner needs --owner-id (the id customers.owner_id refers to)');
  if (!/^[^\s@]+@[^\s@]+$/.test(u.email)) throw new Error(`"${u.email}" is not an e-mail address`);
  const email = u.email.trim().toLowerCase();
  const sameEmail = (await select(client, 'lower(email) = {email:String}', { email })).filter((r) => r.user_id !== u.userId);
  if (sameEmail.length) throw new Error(`the e-mail ${email} belongs to user ${sameEmail[0].user_id}: e-mails must be unique (sign-in uses them)`);
  const [existing] = await select(client, 'user_id = {id:String}', { id: u.userId });
  const profile = { user_id: u.userId, email, name: u.name, role: u.role, owner_id: u.ownerId ?? '', region: u.region ?? '' };
  // The password and the active flag stay as they are on an update.
  await writeVersion(client, existing ?? { ...profile, password_hash: '', active: 1, version: '0' }, profile);
  return existing ? 'updated' : 'created';
}

/** Deactivates (sign-in and data tokens stop within one token lifetime) or reactivates an account. */
export async function setUserActive(client: ClickHouseClient, email: string, active: boolean): Promise<void> {
  await writeVersion(client, await oneByEmail(client, email), { active: active ? 1 : 0 });
}
