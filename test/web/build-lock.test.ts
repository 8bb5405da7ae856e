/**
 * The dashboard's build lock (web/server/build-lock.ts): a lock left by a killed build is taken over
 * at once when its owner is dead, and a live owner is waited for. Before, any lock younger than 10
 * minutes blocked every start (session 8). Real processes: a child that exited gives a dead pid, a
 * sleeping child a live one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acquireBuildLock } from '../../web/server/build-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'crm-build-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The log lines, and a promise for the first line matching `re`. */
function recorder(): { lines: string[]; log: (l: string) => void; when: (re: RegExp) => Promise<void> } {
  const lines: string[] = [];
  const waiters: { re: RegExp; ok: () => void }[] = [];
  return {
    lines,
    log: (l) => {
      lines.push(l);
      for (const w of waiters) if (w.re.test(l)) w.ok();
    },
    when: (re) => new Promise((ok) => (lines.some((l) => re.test(l)) ? ok() : waiters.push({ re, ok }))),
  };
}

test('a lock whose owner process is dead is taken at once, named in the log', async () => {
  const dir = join(root, 'dead');
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), String(dead));
  const r = recorder();
  const release = await acquireBuildLock(dir, r.log, 10);
  assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), String(process.pid));
  assert.ok(
    r.lines.some((l) => l.includes(`process ${dead}, is gone`)),
    r.lines.join('\n'),
  );
  assert.ok(!r.lines.some((l) => l.includes('waiting')), r.lines.join('\n'));
  release();
  assert.equal(existsSync(dir), false);
});

test('a live owner is waited for; its exit frees the lock', async () => {
  const dir = join(root, 'live');
  const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = new Promise((ok) => owner.once('exit', ok));
  await new Promise((ok) => owner.once('spawn', ok));
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), String(owner.pid));
  const r = recorder();
  const acquired = acquireBuildLock(dir, r.log, 10);
  await r.when(/another process is building the dashboard/);
  assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), String(owner.pid), 'the live owner keeps its lock');
  owner.kill('SIGKILL');
  await exited;
  const release = await acquired;
  assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), String(process.pid));
  release();
});

test('a lock without an owner file: waited for while new, taken when old', async () => {
  const dir = join(root, 'no-owner');
  mkdirSync(dir);
  const r = recorder();
  const acquired = acquireBuildLock(dir, r.log, 10);
  await r.when(/another process is building the dashboard/);
  assert.equal(existsSync(join(dir, 'pid')), false, 'not taken while it may be a start between mkdir and its pid');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(dir, hourAgo, hourAgo);
  const release = await acquired;
  assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), String(process.pid));
  assert.ok(
    r.lines.some((l) => /names no owner and is \d+ s old/.test(l)),
    r.lines.join('\n'),
  );
  release();
});
