/**
 * Sign-in throttling: at most MAX_FAILURES failed attempts per (client address, e-mail) in a
 * window, in memory (one web process). Slows password guessing without locking anyone out for long.
 */
const MAX_FAILURES = 8;
const WINDOW_MS = 10 * 60_000;
const failures = new Map<string, { count: number; until: number }>();

export function attemptsLeft(key: string, now = Date.now()): number {
  const f = failures.get(key);
  if (!f || f.until < now) return MAX_FAILURES;
  return MAX_FAILURES - f.count;
}

export function recordFailure(key: string, now = Date.now()): void {
  const f = failures.get(key);
  if (!f || f.until < now) failures.set(key, { count: 1, until: now + WINDOW_MS });
  else f.count += 1;
  if (failures.size > 10_000) {
    for (const [k, v] of failures) if (v.until < now) failures.delete(k);
  }
}

export function clearFailures(key: string): void {
  failures.delete(key);
}
