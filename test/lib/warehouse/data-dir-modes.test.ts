import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadWarehouseConfig } from '../../../lib/config.ts';
import { startEmbeddedServer } from '../../../lib/warehouse/embedded/server.ts';

/** The data directory holds passwords and the engine's files: this OS user only. */

const root = mkdtempSync(join(tmpdir(), 'crm-modes-'));
after(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('a new data directory is 0700 and secrets.json 0600', () => {
  const dataDir = join(root, 'fresh', 'data');
  loadWarehouseConfig({ CRM_DATA_DIR: dataDir });
  assert.equal(mode(dataDir), '700');
  assert.equal(mode(join(dataDir, 'secrets.json')), '600');
});

test('what an earlier version left readable (0755 / 0644) is tightened when the endpoint starts', async () => {
  const dataDir = join(root, 'old');
  mkdirSync(join(dataDir, 'store', 'abc'), { recursive: true });
  const files = ['secrets.json', 'alert-rules.json', join('store', 'abc', 'users.list')];
  for (const f of files) writeFileSync(join(dataDir, f), '{}');
  writeFileSync(join(dataDir, 'endpoint.json'), JSON.stringify({ pid: 1 << 30, url: 'http://127.0.0.1:9', startedAt: '' }));
  for (const f of [...files, 'endpoint.json']) chmodSync(join(dataDir, f), 0o644);
  for (const d of ['', 'store', join('store', 'abc')]) chmodSync(join(dataDir, d), 0o755);

  const config = loadWarehouseConfig({ CRM_DATA_DIR: dataDir });
  assert.equal(mode(join(dataDir, 'secrets.json')), '600');
  const server = await startEmbeddedServer({ dataDir, port: 0, user: config.user, password: config.password, poolSize: 1 });
  try {
    assert.equal(mode(dataDir), '700');
    for (const f of [...files, 'endpoint.json']) assert.equal(mode(join(dataDir, f)), '600', f);
    for (const d of ['store', join('store', 'abc'), 'insert-spool']) assert.equal(mode(join(dataDir, d)), '700', d);
  } finally {
    await server.close();
  }
});
