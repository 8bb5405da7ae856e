#!/usr/bin/env node
// Runs every *.test.ts under test/ with node's own runner (Node 20 has no --test globbing).
// Files run one at a time: each starts its own embedded engine, and two would fight over cores.
// Usage: npm test [-- path-filter …]   e.g. npm test -- ingest
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? walk(path) : name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// System packages (chromium, jupyter, docker-compose): installed when missing and we may.
// (npm's pretest hook would not run: .npmrc sets ignore-scripts for Cube's sake.)
spawnSync('bash', [join(root, 'bin', 'setup-system.sh')], { stdio: 'inherit' });
const reporter = 'spec';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-reporter=${reporter}`, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
process.exit(r.status ?? 1);
