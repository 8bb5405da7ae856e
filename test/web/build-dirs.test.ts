/**
 * Which dashboard builds web/server/build-dirs.js removes after a build: never the current one,
 * never one a live server still serves (its mark in <build>/.in-use), the `keep` newest others
 * kept for tabs opened on them; the rest go, a mark of a process that is gone included. On a temp
 * folder of builds (the repository's web/builds is never touched).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { claimBuild, listBuilds, pruneBuildsIn } from '../../web/server/build-dirs.js';

const root = mkdtempSync(join(tmpdir(), 'crm-build-dirs-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A folder of builds named by time (b1 oldest); each holds a file so removal is a real rm -r. */
function builds(name: string, count: number): string[] {
  const dir = join(root, name);
  const made = Array.from({ length: count }, (_, i) => join(dir, `20260101T00000${i + 1}Z-1`));
  for (const b of made) {
    mkdirSync(join(b, 'client'), { recursive: true });
    writeFileSync(join(b, 'handler.js'), '');
  }
  return made;
}
const left = (dir: string): string[] => readdirSync(dir).sort();
const name = (b: string): string => b.slice(b.lastIndexOf('/') + 1);

test('the current build and the `keep` newest others stay; older ones go', () => {
  const [b1, b2, b3, b4, b5] = builds('plain', 5);
  const removed = pruneBuildsIn(join(root, 'plain'), b3, 1);
  // b5 is newer than the current b3 (a build that never switched): it counts among the kept.
  assert.deepEqual(removed.map(name).sort(), [b1, b2, b4].map(name).sort());
  assert.deepEqual(left(join(root, 'plain')), [b3, b5].map(name).sort());
  assert.deepEqual(listBuilds(join(root, 'plain')).map(name), [b5, b3].map(name), 'newest first');
});

test('a build a live server serves stays until the server lets it go; a dead server’s mark does not count', () => {
  const [b1, b2, b3, b4] = builds('marked', 4);
  const release = claimBuild(b1);
  mkdirSync(join(b2, '.in-use'));
  // No process has this pid (above any pid_max Linux allows).
  writeFileSync(join(b2, '.in-use', '2147483646-dead'), '2147483646');
  assert.deepEqual(pruneBuildsIn(join(root, 'marked'), b4, 1).map(name), [b2].map(name));
  assert.deepEqual(left(join(root, 'marked')), [b1, b3, b4].map(name).sort());
  release();
  assert.deepEqual(pruneBuildsIn(join(root, 'marked'), b4, 1).map(name), [b1].map(name));
  assert.deepEqual(left(join(root, 'marked')), [b3, b4].map(name).sort());
});
