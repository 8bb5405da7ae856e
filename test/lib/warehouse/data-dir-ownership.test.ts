import { createClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findRunningEndpoint, startEmbeddedServer } from '../../../lib/warehouse/embedded/server.ts';

const fixture = new URL('./fixtures/hold-data-dir.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'crm-owned-'));
let child: ChildProcess | undefined;

after(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startOwner(dataDir: string): Promise<{ pid: number; url: string; process: ChildProcess }> {
  const owner = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  owner.stderr!.on('data', (d: Buffer) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: owner.stdout! }).once('line', resolve);
    owner.once('exit', (code) => reject(new Error(`owner exited with ${code}: ${stderr}`)));
  });
  return { ...(JSON.parse(line) as { pid: number; url: string }), process: owner };
}

const options = { dataDir: dir, port: 0, user: 'me', password: 'pw' };

test('a live owner is found through endpoint.json, and a second start names it', async () => {
  const owner = await startOwner(dir);
  child = owner.process;
  assert.equal(await findRunningEndpoint(dir), owner.url);
  const record = JSON.parse(readFileSync(join(dir, 'endpoint.json'), 'utf8')) as { pid: number; url: string; startedAt: string };
  assert.equal(record.pid, owner.pid);
  assert.ok(Date.parse(record.startedAt));

  await assert.rejects(startEmbeddedServer(options), (error: Error) => {
    assert.ok(error.message.includes(`the data directory ${dir} is in use by process ${owner.pid}`), error.message);
    assert.match(error.message, /Stop that process.*or set CRM_DATA_DIR/);
    return true;
  });
});

test('without endpoint.json the engine lock still names the owner', async () => {
  unlinkSync(join(dir, 'endpoint.json'));
  assert.equal(await findRunningEndpoint(dir), undefined);
  await assert.rejects(startEmbeddedServer(options), (error: Error) => error.message.includes(`the data directory ${dir} is in use by process ${child!.pid}`));
});

test('after the owner is killed its stale record is ignored and the data is intact', async () => {
  writeFileSync(join(dir, 'endpoint.json'), JSON.stringify({ pid: child!.pid, url: 'http://127.0.0.1:9', startedAt: new Date().toISOString() }));
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child!.kill('SIGKILL');
  await exited;
  child = undefined;
  assert.equal(await findRunningEndpoint(dir), undefined);

  const server = await startEmbeddedServer(options);
  try {
    assert.equal(JSON.parse(readFileSync(join(dir, 'endpoint.json'), 'utf8')).pid, process.pid);
    assert.equal(await findRunningEndpoint(dir), server.url);
    const client = createClient({ url: server.url, username: 'me', password: 'pw' });
    const rs = await client.query({ query: 'SELECT n FROM kept', format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ n: 7 }]);
    await client.close();
  } finally {
    await server.close();
  }
  assert.equal(existsSync(join(dir, 'endpoint.json')), false, 'close() removes endpoint.json');
});

test('a record whose process is alive but not answering is ignored', async () => {
  const sleeper = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  writeFileSync(join(dir, 'endpoint.json'), JSON.stringify({ pid: Number(sleeper.stdout), url: 'http://127.0.0.1:9', startedAt: '' }));
  assert.equal(await findRunningEndpoint(dir), undefined, 'dead pid');
  writeFileSync(join(dir, 'endpoint.json'), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:9', startedAt: '' }));
  assert.equal(await findRunningEndpoint(dir), undefined, 'live pid, nothing listening');
});
