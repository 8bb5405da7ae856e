/**
 * lib/files/own-file.ts on real files: what is found at a name the product writes (a link, a hard
 * link, a directory) is refused before a byte of it changes; its own file is emptied and
 * made 0600.
 */
import assert from 'node:assert/strict';
import { closeSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isOwnPlainFile, openOwnFileForWriting } from '../../../lib/files/own-file.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'own-file-'))));
after(() => dir && rmSync(dir, { recursive: true, force: true }));

const KEPT = 'kept\n';

test('a symbolic link, also a dangling one, is refused and nothing is created through it', () => {
  const target = join(dir, 'target');
  writeFileSync(target, KEPT);
  symlinkSync(target, join(dir, 'sym'));
  assert.throws(() => openOwnFileForWriting(join(dir, 'sym'), 'the test file'), /the test file .*sym is a symbolic link/);
  assert.equal(readFileSync(target, 'utf8'), KEPT);
  assert.equal(isOwnPlainFile(join(dir, 'sym')), false);

  symlinkSync(join(dir, 'not-yet'), join(dir, 'dangling'));
  assert.throws(() => openOwnFileForWriting(join(dir, 'dangling'), 'the test file'), /symbolic link/);
  assert.throws(() => statSync(join(dir, 'not-yet')), /ENOENT/);
});

test('a hard link is refused and its other name keeps its content', () => {
  const target = join(dir, 'hard-target');
  writeFileSync(target, KEPT);
  linkSync(target, join(dir, 'hard'));
  assert.throws(() => openOwnFileForWriting(join(dir, 'hard'), 'the test file'), /hard link/);
  assert.equal(readFileSync(target, 'utf8'), KEPT);
  assert.equal(isOwnPlainFile(join(dir, 'hard')), false);
});

test('a directory at the name is refused', () => {
  mkdirSync(join(dir, 'folder'));
  assert.throws(() => openOwnFileForWriting(join(dir, 'folder'), 'the test file'), /EISDIR|not a plain file/);
});

test('its own earlier file is emptied and made 0600; a new one is 0600', () => {
  const path = join(dir, 'own');
  writeFileSync(path, 'an older and longer content\n', { mode: 0o644 });
  const fd = openOwnFileForWriting(path, 'the test file');
  writeSync(fd, 'new\n');
  closeSync(fd);
  assert.equal(readFileSync(path, 'utf8'), 'new\n');
  assert.equal((statSync(path).mode & 0o777).toString(8), '600');
  assert.equal(isOwnPlainFile(path), true);

  const fresh = join(dir, 'fresh');
  closeSync(openOwnFileForWriting(fresh, 'the test file'));
  assert.equal((statSync(fresh).mode & 0o777).toString(8), '600');
});

test('shareable: a new file gets the umask’s mode, an existing one keeps its mode; links are still refused', () => {
  const path = join(dir, 'draft.json');
  writeFileSync(path, 'old draft, longer than the new one\n', { mode: 0o640 });
  const fd = openOwnFileForWriting(path, 'the mapping draft', { shareable: true });
  writeSync(fd, '{}\n');
  closeSync(fd);
  assert.equal(readFileSync(path, 'utf8'), '{}\n');
  assert.equal((statSync(path).mode & 0o777).toString(8), '640');

  const target = join(dir, 'draft-target');
  writeFileSync(target, KEPT);
  symlinkSync(target, join(dir, 'draft-link.json'));
  assert.throws(() => openOwnFileForWriting(join(dir, 'draft-link.json'), 'the mapping draft', { shareable: true }), /symbolic link/);
  assert.equal(readFileSync(target, 'utf8'), KEPT);
});
