/**
 * Ninth security review: an erasure (`npm run privacy`, the Privacy page) rewrites every
 * `<file>.rejects.csv` the warehouse names, and a subject access export reads them. Those files sit
 * beside loaded exports, in folders others may write to. A link planted at that name (or at the
 * rewrite's temporary name, `<file>.rejects.csv.<pid>.tmp`) had the erasure write through it: the
 * linked file, one the erasing process may write (it runs as the product's user, often root), was
 * replaced by its own lines minus the person's, or the temporary link's target overwritten whole.
 * Real files, the erasure's own function.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { scrubRejectsFile } from '../../lib/privacy/files.ts';

const HEADER = 'source_file,line,record_id,field,reason,raw\n';
const PERSON = /jane@example\.com/i;
const VICTIM = 'root:x:0:0\njane@example.com kept here\nother line\n';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'privacy-links-'))));
after(() => dir && rmSync(dir, { recursive: true, force: true }));

test('a rejects file name that is a symbolic link is not rewritten through', () => {
  const victim = join(dir, 'victim-a');
  writeFileSync(victim, VICTIM, { mode: 0o644 });
  const path = join(dir, 'a.csv.rejects.csv');
  symlinkSync(victim, path);

  const change = scrubRejectsFile(path, PERSON, false);
  assert.equal(change, undefined, 'a link is not the product\'s rejects file: nothing to scrub');
  assert.equal(readFileSync(victim, 'utf8'), VICTIM);
  assert.ok(lstatSync(path).isSymbolicLink(), 'the link was replaced by a copy of its target');
});

test("a link planted at the rewrite's temporary name does not receive the rewritten file", () => {
  const victim = join(dir, 'victim-b');
  writeFileSync(victim, VICTIM, { mode: 0o600 });
  const path = join(dir, 'b.csv.rejects.csv');
  writeFileSync(path, `${HEADER}b.csv,2,R1,amount,bad,"jane@example.com,1"\nb.csv,3,R2,amount,bad,"bob@example.com,2"\n`, { mode: 0o600 });
  symlinkSync(victim, `${path}.${process.pid}.tmp`);

  let thrown: Error | undefined;
  try {
    scrubRejectsFile(path, PERSON, false);
  } catch (err) {
    thrown = err as Error;
  }
  assert.equal(readFileSync(victim, 'utf8'), VICTIM, 'the temporary name\'s link target was overwritten');
  // Either the erasure says it could not rewrite the file, or it rewrote it under another name.
  if (!thrown) assert.ok(!readFileSync(path, 'utf8').includes('jane@example.com'));
  else assert.match(thrown.message, /b\.csv\.rejects\.csv/);
});

test('a plain rejects file of its own still loses the person\'s records and keeps the rest', () => {
  const path = join(dir, 'c.csv.rejects.csv');
  writeFileSync(path, `${HEADER}c.csv,2,R1,amount,bad,"jane@example.com,1"\nc.csv,3,R2,amount,bad,"bob@example.com,2"\n`, { mode: 0o600 });
  const change = scrubRejectsFile(path, PERSON, false);
  assert.deepEqual(change, { path, action: 'rewritten', records: 1 });
  assert.equal(readFileSync(path, 'utf8'), `${HEADER}c.csv,3,R2,amount,bad,"bob@example.com,2"\n`);
  assert.equal((lstatSync(path).mode & 0o777).toString(8), '600');
});
