/**
 * The TypeScript of everything, web/ included (svelte-check),
 * type-checks in strict mode: tsx runs code without checking types, so only this catches a wrong
 * type before a user does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../lib/config.ts';

test('tsc --noEmit finds no type errors (tsconfig.json: bin, lib, ingest, models, semantic, bench, test)', () => {
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', PROJECT_ROOT], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `type errors:\n${r.stdout}${r.stderr}`);
});

test('svelte-check finds no errors or warnings in web/ (npm run check:web)', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '-s', 'check:web'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, FORCE_COLOR: '0' } });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(out, /svelte-check found 0 errors and 0 warnings/, out);
});
