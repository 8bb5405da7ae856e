/**
 * One alert run at a time per data directory (the worker and an `npm run alerts -- run` must not
 * plan and send the same digests side by side). A lock file holds the owner's pid; a lock left by
 * a dead process is taken over. Several hosts sharing one ClickHouse are not covered: run one worker.
 */
import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AlertsError } from './errors.ts';

export function lockPath(dataDir: string): string {
  return join(dataDir, 'alerts.lock');
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** In this process: lock files we hold (so our own stale file after a restart is not mistaken for another run). */
const held = new Set<string>();

export function acquireRunLock(dataDir: string): () => void {
  const file = lockPath(dataDir);
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      held.add(file);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(file);
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try {
        pid = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid);
      } catch {
        // half-written or unreadable: treat as stale
      }
      const ours = pid === process.pid && !held.has(file);
      if (alive(pid) && !ours) {
        throw new AlertsError('RUN_BUSY', `another alert run (pid ${pid}) is in progress (lock ${file})`);
      }
      try {
        unlinkSync(file);
      } catch {
        // someone else removed it first
      }
    }
  }
  throw new AlertsError('RUN_BUSY', `could not take the alert run lock ${file}`);
}
