/**
 * Sixth security review: what the notebooks write. `npm run notebooks` writes the executed
 * notebooks and their HTML (the company's revenue by month, segments' value, model metrics) to
 * .out/notebooks, and the kernels' connection files under .out/jupyter/runtime; nbconvert writes
 * with the umask's modes, and the directories were created 0755: any user of the machine could
 * read the results. Now the directories are created 0700, and the default ones an earlier run left
 * open are tightened; a directory the user names with --out that exists keeps its mode.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { privateDir } from '../../notebooks/run.ts';

const root = mkdtempSync(join(tmpdir(), 'crm-nb-modes-'));
after(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

test('output and runtime directories the notebook runner creates are 0700, whatever the umask', () => {
  const old = process.umask(0o022);
  try {
    const out = join(root, 'a', 'notebooks');
    privateDir(out);
    assert.equal(mode(out), '700');
  } finally {
    process.umask(old);
  }
});

test('a default directory an earlier run left 0755 is tightened; an existing --out directory is not', () => {
  const earlier = join(root, 'earlier');
  mkdirSync(earlier, { mode: 0o755 });
  privateDir(earlier, true);
  assert.equal(mode(earlier), '700');
  const chosen = join(root, 'chosen');
  mkdirSync(chosen, { mode: 0o755 });
  privateDir(chosen);
  assert.equal(mode(chosen), '755');
});
