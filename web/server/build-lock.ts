import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The lock that keeps two starts from building web/build at once: a directory (mkdir is atomic)
 * holding the owner's pid. A build killed half-way (Ctrl-C, an OOM kill, a test's SIGKILL) leaves
 * the directory behind; its pid is then dead and the next start takes the lock at once, where the
 * age rule alone made every start wait 10 minutes (session 8).
 */
const OWNER_FILE = 'pid';
/** mkdir and the pid write are back to back: a lock without a pid this old was left by a crash between them (or an older build of this file). */
const NO_OWNER_GRACE_MS = 10_000;

/** Whether `pid` names a live process (EPERM: alive, another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why the lock at `dir` is left over from a dead build, or undefined when its owner may still be building. */
export function staleLock(dir: string, now = Date.now()): string | undefined {
  let text: string | undefined;
  try {
    text = readFileSync(join(dir, OWNER_FILE), 'utf8');
  } catch {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st) return undefined;
    return now - st.mtimeMs > NO_OWNER_GRACE_MS
      ? `it names no owner and is ${Math.round((now - st.mtimeMs) / 1000)} s old`
      : undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return `its owner file says "${text.trim().slice(0, 20)}", not a pid`;
  return processAlive(pid) ? undefined : `its owner, process ${pid}, is gone`;
}

/**
 * Takes the lock, waiting while a live process holds it; returns the release function. A stale lock
 * is moved aside under a name of its own before it is removed, so two starts that both find it
 * stale cannot remove each other's new lock with it.
 */
export async function acquireBuildLock(dir: string, log: (line: string) => void, pollMs = 500): Promise<() => void> {
  let warned = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, OWNER_FILE), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stale = staleLock(dir);
      if (stale) {
        const aside = `${dir}.stale-${process.pid}-${Date.now()}`;
        try {
          renameSync(dir, aside);
          rmSync(aside, { recursive: true, force: true });
          log(`removed a dashboard build lock left behind (${stale})`);
        } catch {
          // Another start moved it first: take the lock in the next round like it.
        }
        continue;
      }
      if (!warned) {
        log('another process is building the dashboard; waiting for it…');
        warned = true;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
