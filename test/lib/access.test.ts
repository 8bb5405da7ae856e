import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { loadWarehouseConfig, credentialsFor } from '../../lib/config.ts';
import { renderRoles, renderUsers } from '../../lib/warehouse/access.ts';

/** What the migrate step sends a real server: roles with grants on the product database only, users with their passwords. */

test('roles: grants on the product database and its pre-aggregations schema, nothing that reaches outside', () => {
  const sql = renderRoles({ database: 'crm' }).join(';\n');
  assert.match(sql, /GRANT SELECT, INSERT, ALTER DELETE, ALTER UPDATE, CREATE TABLE, DROP TABLE, TRUNCATE, OPTIMIZE ON `crm`\.\* TO `crm_writer`/);
  assert.match(sql, /GRANT SELECT ON `crm`\.\* TO `crm_semantic`/);
  assert.match(sql, /ON `crm_pre_aggregations`\.\* TO `crm_semantic`/);
  assert.match(sql, /GRANT SELECT ON `crm`\.\* TO `crm_reader`/);
  assert.doesNotMatch(sql, /\b(FILE|URL|S3|REMOTE|SOURCES|ALL)\b|\*\.\*/);
});

test('on a cluster every statement runs ON CLUSTER, and the writer may run ON CLUSTER DDL', () => {
  const statements = renderRoles({ database: 'crm', cluster: 'crm_cluster' });
  for (const s of statements) assert.match(s, /ON CLUSTER `crm_cluster`/, s);
  assert.ok(statements.includes('GRANT ON CLUSTER `crm_cluster` CLUSTER ON *.* TO `crm_writer`'));
});

test('the audit log is append-only: partial revokes after the grants leave the writer SELECT and INSERT, semantic and reader nothing', () => {
  const statements = renderRoles({ database: 'crm' });
  const grant = statements.findIndex((s) => s.includes('ON `crm`.* TO `crm_writer`'));
  const revoke = statements.indexOf('REVOKE ALTER DELETE, ALTER UPDATE, CREATE TABLE, DROP TABLE, TRUNCATE, OPTIMIZE ON `crm`.`audit_log` FROM `crm_writer`');
  assert.ok(grant >= 0 && revoke > grant, 'the revoke follows the database-wide grant');
  assert.ok(statements.includes('REVOKE SELECT ON `crm`.`audit_log` FROM `crm_semantic`, `crm_reader`'));
  const cluster = renderRoles({ database: 'crm', cluster: 'c' });
  assert.ok(cluster.includes('REVOKE ON CLUSTER `c` SELECT ON `crm`.`audit_log_local` FROM `crm_semantic`, `crm_reader`'));
  assert.ok(!statements.some((s) => /REVOKE[^;]*\bINSERT\b/.test(s)), 'the writer keeps INSERT');
});

test("the dashboard accounts' password hashes: a column revoke after the grants takes them from semantic and reader", () => {
  const statements = renderRoles({ database: 'crm' });
  const grant = statements.findIndex((s) => s === 'GRANT SELECT ON `crm`.* TO `crm_reader`');
  const revoke = statements.indexOf('REVOKE SELECT(`password_hash`) ON `crm`.`users` FROM `crm_semantic`, `crm_reader`');
  assert.ok(grant >= 0 && revoke > grant, 'the revoke follows the database-wide grant');
  assert.ok(renderRoles({ database: 'crm', cluster: 'c' }).includes('REVOKE ON CLUSTER `c` SELECT(`password_hash`) ON `crm`.`users_local` FROM `crm_semantic`, `crm_reader`'));
  assert.ok(!statements.some((s) => /REVOKE[^;]*password_hash[^;]*crm_writer/.test(s)), 'the writer checks passwords');
});

test('users: created, password set (rotation), role granted and default; the reader is readonly; quotes escaped', () => {
  const statements = renderUsers({ database: 'crm' }, { writer: { user: 'w', password: "it's\\x" }, reader: { user: 'r', password: 'p' } });
  assert.deepEqual(statements.slice(0, 4), [
    "CREATE USER IF NOT EXISTS `w` IDENTIFIED WITH sha256_password BY 'it\\'s\\\\x'",
    "ALTER USER `w` IDENTIFIED WITH sha256_password BY 'it\\'s\\\\x'",
    'GRANT `crm_writer` TO `w`',
    'ALTER USER `w` DEFAULT ROLE `crm_writer`',
  ]);
  assert.equal(statements.at(-1), 'ALTER USER `r` DEFAULT ROLE `crm_reader` SETTINGS readonly = 2');
  assert.ok(!statements.some((s) => s.includes('crm_semantic')), 'a role without a password is skipped');
  assert.throws(() => renderUsers({ database: 'crm' }, { writer: { user: 'w`; DROP', password: 'p' } }), /invalid ClickHouse name/);
});

test('a real server: a role without its password is an error naming the variables, when it is asked for', () => {
  const config = loadWarehouseConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_WRITER_PASSWORD: 'pw', CRM_DATA_DIR: '/nonexistent' });
  assert.deepEqual(credentialsFor(config, 'writer'), { user: 'crm_writer', password: 'pw' });
  assert.throws(() => credentialsFor(config, 'semantic'), /CLICKHOUSE_SEMANTIC_PASSWORD.*CLICKHOUSE_SEMANTIC_USER/);
});

let tw: TestWarehouse;
before(async () => {
  tw = await startTestWarehouse({ poolSize: 1 });
});
after(() => tw?.close());

test('every statement parses (the engine has no access control to run them, but its parser is the server\'s)', async () => {
  const users = { writer: { user: 'w', password: "a'b" }, semantic: { user: 's', password: 'p' }, reader: { user: 'r', password: 'p' } };
  for (const ctx of [{ database: 'crm' }, { database: 'crm', cluster: 'crm_cluster' }]) {
    for (const statement of [...renderRoles(ctx), ...renderUsers(ctx, users)]) {
      await tw.warehouse.client.query({ query: `EXPLAIN AST ${statement}`, format: 'TabSeparatedRaw' }).then((rs) => rs.text());
    }
  }
});
