import type { EntitySpec } from './types.ts';

export const users: EntitySpec = {
  name: 'users',
  table: 'users',
  key: ['user_id'],
  idField: 'user_id',
  // The users table is small and upserted by user_id (lib/warehouse/migrations/001-core.ts): it has no audit columns.
  withoutAudit: true,
  sourceIsColumn: false,
  fields: [
    { name: 'user_id', type: 'id', required: true, doc: 'login id' },
    { name: 'email', type: 'string', doc: 'e-mail' },
    { name: 'name', type: 'string', doc: 'display name' },
    { name: 'role', type: 'enum', required: true, values: ['executive', 'marketer', 'analyst', 'owner', 'admin'], doc: 'executive | marketer | analyst | owner | admin' },
    { name: 'owner_id', type: 'id', doc: 'for account owners: the id customers.owner_id refers to' },
    { name: 'region', type: 'string', doc: 'region' },
    { name: 'password_hash', type: 'string', doc: 'scrypt/bcrypt hash, never a password' },
  ],
};
