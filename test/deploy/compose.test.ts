import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PROJECT_ROOT } from '../../lib/config.ts';

// Validated with Debian's docker-compose (no container engine is needed for `config`).
// .ci/run installs it; on a machine without it: apt-get install -y docker-compose
function compose(file: string, ...args: string[]): string {
  const r = spawnSync('docker-compose', ['--env-file', '.env.example', '-f', file, 'config', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CRM_ENV_FILE: '.env.example' },
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`docker-compose is not installed (apt-get install -y docker-compose): ${r.error.message}`);
  assert.equal(r.status, 0, `${file} is not valid:\n${r.stderr}`);
  return r.stdout;
}

const images = (rendered: string): string[] => [...rendered.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]);
const pinned = (image: string): boolean => {
  const tag = image.split('/').pop()!.split(':')[1];
  return !!tag && tag !== 'latest' && /\d/.test(tag);
};

for (const file of ['docker-compose.yml', 'docker-compose.cluster.yml']) {
  describe(file, () => {
    const rendered = compose(file);

    test('is valid and every image is pinned to a version', () => {
      const list = images(rendered);
      assert.ok(list.length >= 2, 'no images found');
      for (const image of list) assert.ok(pinned(image), `${image} is not pinned to a version`);
    });

    test('publishes only the web port, on loopback', () => {
      // docker-compose 1.29 renders short syntax: `- 127.0.0.1:3000:3000/tcp`.
      const published = [...rendered.matchAll(/^\s+- (?:([\d.]+):)?(\d+):(\d+)(?:\/tcp)?$/gm)].map((m) => `${m[1]}:${m[2]}`);
      assert.deepEqual(published, ['127.0.0.1:3000']);
    });

    test('the product runs the same image as Dockerfile builds, with secrets from the env file', () => {
      assert.match(rendered, /image: customer-intelligence:/);
      const raw = readFileSync(join(PROJECT_ROOT, file), 'utf8');
      assert.doesNotMatch(raw, /PASSWORD: (?!\$\{)\S/, 'a password is written into the compose file');
    });
  });
}

describe('scale-out profile', () => {
  const rendered = compose('docker-compose.cluster.yml');
  const services = compose('docker-compose.cluster.yml', '--services').trim().split('\n');

  test('has 2 shards x 2 replicas, 3 Keeper nodes and Cube Store router + workers', () => {
    assert.deepEqual(services.filter((s) => s.startsWith('ch-')).sort(), ['ch-s1r1', 'ch-s1r2', 'ch-s2r1', 'ch-s2r2']);
    assert.equal(services.filter((s) => s.startsWith('keeper')).length, 3);
    assert.ok(services.includes('cubestore-router'));
    assert.equal(services.filter((s) => s.startsWith('cubestore-worker')).length, 2);
  });

  test('the app renders cluster DDL and Cube uses Cube Store', () => {
    assert.match(rendered, /CLICKHOUSE_CLUSTER: crm_cluster/);
    assert.match(rendered, /CUBEJS_CUBESTORE_HOST: cubestore-router/);
    const xml = readFileSync(join(PROJECT_ROOT, 'deploy/clickhouse/cluster/cluster.xml'), 'utf8');
    assert.equal((xml.match(/<shard>/g) ?? []).length, 2);
    assert.equal((xml.match(/<replica>/g) ?? []).length, 4);
  });
});
