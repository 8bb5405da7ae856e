/**
 * The dashboard's vitest suite (option builders, formatters, URL filters, sessions, passwords,
 * components — web/src/**\/*.spec.ts), run from `npm test` through node's runner.
 * Alone: npm run test:web
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../lib/config.ts';

test('web unit and component tests (vitest) pass', { timeout: 900_000 }, () => {
  const vitest = join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'web/vitest.config.ts', '--reporter=dot'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  // Colour codes can still come through (a parent's FORCE_COLOR): read the text without them.
  const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(run.status, 0, `vitest failed:\n${output.slice(-8000)}`);
  assert.match(output, /Tests\s+\d+ passed/);
});
