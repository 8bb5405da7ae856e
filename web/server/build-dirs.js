// Where the dashboard's builds live, and how a new one replaces the old without breaking servers
// and browser tabs that still use it. Plain JavaScript: web/svelte.config.js imports it, and Vite
// loads that file with Node's own loader (no TypeScript there). Types: build-dirs.d.ts.
//
//   web/builds/<id>/   one adapter-node build each (handler.js, client/, server/)
//   web/build          a symlink to the current one ("builds/<id>")
//
// A build is written into a directory of its own and made current by renaming a new symlink over
// web/build (rename is atomic): a server already running keeps the directory it started with, and
// the previous builds stay a while for tabs opened before the switch (their lazily loaded chunks).
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_LINK = join(WEB_ROOT, 'build');
export const BUILDS_DIR = join(WEB_ROOT, 'builds');
/** Previous builds kept beside the current one (besides any a live server still serves). */
export const KEEP_PREVIOUS = 3;
const IN_USE = '.in-use';

/** A fresh, empty directory under web/builds for the next build; its name sorts by time. */
export function newBuildDir() {
  mkdirSync(BUILDS_DIR, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  for (let n = 0; ; n++) {
    const dir = join(BUILDS_DIR, `${stamp}-${process.pid}${n ? `-${n}` : ''}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Makes `dir` (a directory under web/builds) the current build.
 * @param {string} dir
 */
export function switchBuild(dir) {
  adoptPlainBuild();
  const link = join(WEB_ROOT, `.build-link-${process.pid}`);
  rmSync(link, { force: true });
  symlinkSync(join('builds', dir.slice(BUILDS_DIR.length + 1)), link);
  renameSync(link, BUILD_LINK);
}

/**
 * A web/build written as a plain directory (by the code before web/builds) becomes a build like the
 * others, so that the next switch leaves the server that serves it on its files. Done before a
 * server resolves its build, so that it serves it under its lasting name.
 */
function adoptPlainBuild() {
  if (!lstatSync(BUILD_LINK, { throwIfNoEntry: false })?.isDirectory()) return;
  const dir = join(BUILDS_DIR, `00000000T000000Z-plain-${process.pid}`);
  try {
    mkdirSync(BUILDS_DIR, { recursive: true });
    renameSync(BUILD_LINK, dir);
  } catch {
    // Adopted by another process first (ENOENT), or a read-only tree (an image run as another
    // user): served as it is, which is all such a tree needs.
    return;
  }
  const link = join(WEB_ROOT, `.build-link-${process.pid}`);
  rmSync(link, { force: true });
  symlinkSync(join('builds', dir.slice(BUILDS_DIR.length + 1)), link);
  renameSync(link, BUILD_LINK);
}

/** The current build's real directory, or undefined when there is none. */
export function currentBuildDir() {
  adoptPlainBuild();
  try {
    return realpathSync(BUILD_LINK);
  } catch {
    return undefined;
  }
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/**
 * Marks `dir` as served by this process until the returned function is called, so that pruning
 * never removes a build a running server reads its files from. A marker whose process is gone
 * (killed, no close) no longer counts.
 * @param {string} dir
 * @returns {() => void}
 */
export function claimBuild(dir) {
  const marks = join(dir, IN_USE);
  const mark = join(marks, `${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    mkdirSync(marks, { recursive: true });
    writeFileSync(mark, String(process.pid));
  } catch {
    // A read-only tree (the image's build, owned by root, served by the crm user): nothing there
    // rebuilds or prunes, so there is nothing to guard against.
    return () => {};
  }
  return () => rmSync(mark, { force: true });
}

/** @param {string} dir */
function servedByALiveProcess(dir) {
  let marks;
  try {
    marks = readdirSync(join(dir, IN_USE));
  } catch {
    return false;
  }
  return marks.some((m) => {
    try {
      return alive(Number(readFileSync(join(dir, IN_USE, m), 'utf8')));
    } catch {
      return false;
    }
  });
}

/**
 * Build directories under `buildsDir` (default web/builds), newest first.
 * @param {string} [buildsDir]
 */
export function listBuilds(buildsDir = BUILDS_DIR) {
  if (!existsSync(buildsDir)) return [];
  return readdirSync(buildsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => join(buildsDir, e.name))
    .sort()
    .reverse();
}

/**
 * Removes builds no one needs: keeps the current one, the `keep` newest before it, and any a live
 * server still serves. Returns the directories removed. A half-written build (a build killed
 * before its switch) is older than the next one and goes the same way.
 * @param {number} [keep]
 */
export function pruneBuilds(keep = KEEP_PREVIOUS) {
  const removed = pruneBuildsIn(BUILDS_DIR, currentBuildDir(), keep);
  // A symlink left by a switch that died between its two steps.
  for (const name of readdirSync(WEB_ROOT)) {
    if (!name.startsWith('.build-link-')) continue;
    const pid = Number(name.slice('.build-link-'.length));
    if (!alive(pid)) rmSync(join(WEB_ROOT, name), { force: true });
  }
  return removed;
}

/**
 * pruneBuilds on any folder of builds (tests use a temp one): `current` is never removed.
 * @param {string} buildsDir
 * @param {string | undefined} current
 * @param {number} keep
 * @returns {string[]}
 */
export function pruneBuildsIn(buildsDir, current, keep) {
  const removed = [];
  let kept = 0;
  for (const dir of listBuilds(buildsDir)) {
    if (dir === current) continue;
    if (kept < keep) {
      kept++;
      continue;
    }
    if (servedByALiveProcess(dir)) continue;
    // Renamed aside first: a server starting now cannot find half a directory under its old name.
    const aside = join(buildsDir, `.removing-${process.pid}-${basename(dir)}`);
    try {
      renameSync(dir, aside);
      rmSync(aside, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another process pruned it first.
    }
  }
  return removed;
}
