import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { credentialsFor, loadWarehouseConfig } from '../../lib/config.ts';

const root = mkdtempSync(join(tmpdir(), 'crm-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('embedded: four users with generated passwords, kept in secrets.json across starts', () => {
  const dataDir = join(root, 'a');
  const first = loadWarehouseConfig({ CRM_DATA_DIR: dataDir });
  const again = loadWarehouseConfig({ CRM_DATA_DIR: dataDir });
  assert.deepEqual(again, first);
  const names = [first.user, ...(['writer', 'semantic', 'reader'] as const).map((r) => credentialsFor(first, r).user)];
  assert.deepEqual(names, ['crm', 'crm_writer', 'crm_semantic', 'crm_reader']);
  const passwords = new Set([first.password, ...(['writer', 'semantic', 'reader'] as const).map((r) => credentialsFor(first, r).password)]);
  assert.equal(passwords.size, 4, 'every user has its own password');
  const stored = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { clickhouseUsers: Record<string, string> };
  assert.equal(stored.clickhouseUsers.writer, credentialsFor(first, 'writer').password);
});

test('embedded: names and passwords from the environment win; two users with one name are refused', () => {
  const dataDir = join(root, 'b');
  const config = loadWarehouseConfig({ CRM_DATA_DIR: dataDir, CLICKHOUSE_READER_USER: 'analysts', CLICKHOUSE_READER_PASSWORD: 'from-env' });
  assert.deepEqual(credentialsFor(config, 'reader'), { user: 'analysts', password: 'from-env' });
  assert.throws(() => loadWarehouseConfig({ CRM_DATA_DIR: dataDir, CLICKHOUSE_WRITER_USER: 'crm' }), /must have different names.*CLICKHOUSE_USER/);
});
