/**
 * Third review: ingest's local payload files (ingest/core/local-payloads.ts) live in a directory of
 * their own under the temp directory, and a load first removes the directories that killed loads
 * left behind — every `crm-ingest-<pid>-…` whose process is gone, recursively. The temp directory is
 * everyone's: another local user can create a directory of that name, and a recursive removal of a
 * directory someone else controls can be steered (a subdirectory swapped for a symbolic link while
 * the removal walks it) into whatever the product's user may delete — everything, when it runs as
 * root, as container images often do. Only the product's own directories are its to remove.
 *
 * Needs root to create a directory owned by another user; skips, saying so, otherwise.
 */
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalPayloads } from '../../ingest/core/local-payloads.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;
/** Above Linux's pid_max (4194304 at most): never a live process. */
const DEAD_PID = 999_999_999;

let scratch: string;
let savedTmp: string | undefined;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'crm-leftovers-test-'));
  savedTmp = process.env.TMPDIR;
  // os.tmpdir() reads TMPDIR at every call: the payloads and the leftovers live under the scratch directory.
  process.env.TMPDIR = scratch;
});

after(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(scratch, { recursive: true, force: true });
});

test("a load removes its own killed loads' payload directories, never another user's of the same name", { skip: isRoot ? false : 'needs root to create a directory owned by another user' }, async () => {
  const ours = join(scratch, `crm-ingest-${DEAD_PID}-ours`);
  mkdirSync(ours, { mode: 0o700 });
  writeFileSync(join(ours, 'payload-1.tsv'), 'left by a killed load\n');
  const theirs = join(scratch, `crm-ingest-${DEAD_PID}-theirs`);
  mkdirSync(join(theirs, 'a'), { recursive: true, mode: 0o777 });
  writeFileSync(join(theirs, 'a', 'kept.txt'), 'not the product’s\n');
  for (const p of [theirs, join(theirs, 'a'), join(theirs, 'a', 'kept.txt')]) chownSync(p, NOBODY, NOBODY);

  const minBytes = LocalPayloads.minBytes;
  LocalPayloads.minBytes = 0;
  const statements: string[] = [];
  const payloads = new LocalPayloads(async (sql) => void statements.push(sql));
  try {
    assert.equal(await payloads.insert('`crm`.`t`', ['a'], Buffer.from('1\n'), 'TabSeparated'), true);
  } finally {
    LocalPayloads.minBytes = minBytes;
    await payloads.close();
  }
  assert.equal(statements.length, 2, 'the probe and the payload');
  assert.equal(existsSync(ours), false, "the product's own leftover is removed");
  assert.equal(existsSync(join(theirs, 'a', 'kept.txt')), true, "another user's directory of the same name is not the product's to remove");
});
