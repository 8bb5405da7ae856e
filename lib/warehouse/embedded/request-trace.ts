import { createWriteStream, type WriteStream } from 'node:fs';
import type { Lane } from './session-pool.ts';

/**
 * One line per request of the embedded endpoint (NDJSON), for finding what a slow statement waited
 * on: chDB keeps no `system.query_log`, so this stands in for it (issue 17). Turned on by
 * CRM_EMBEDDED_TRACE=<file>; off, it costs nothing.
 *
 * The statement is recorded as its shape only: string and number literals become `?`, so no
 * customer's value, e-mail or password hash reaches the file.
 */
export interface TraceEntry {
  /** Wall-clock ms when the request arrived. */
  at: number;
  user: string;
  lane: Lane;
  /** Requests waiting for an engine Session, and Sessions busy, when this one arrived. */
  queuedAhead: number;
  busyAtArrival: number;
  /** ms from arrival until it had an engine Session (privilege check and settings included for non-admins). */
  waitMs: number;
  /** ms from the Session until the engine was done with it (a streamed result's sending included). */
  runMs: number;
  /** ms this request waited for the process-wide query-parameter lock (chdb-native.ts), inside runMs. */
  bindWaitMs: number;
  ok: boolean;
  /** The statement's shape: literals replaced, at most 160 characters. */
  shape: string;
}

export type Trace = (entry: TraceEntry) => void;

/** `SELECT … WHERE id = 'C00042' AND n > 3` → `SELECT … WHERE id = ? AND n > ?`, cut at 160 characters. */
export function statementShape(text: string): string {
  return text
    .slice(0, 4000)
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
}

/** A trace appending to `file`, and how to close it; undefined when no file is given. */
export function openTrace(file: string | undefined): { trace: Trace; close(): Promise<void> } | undefined {
  if (!file) return undefined;
  const out: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  // A trace that cannot be written must not take the endpoint down: it stops tracing instead.
  let broken = false;
  out.on('error', () => (broken = true));
  return {
    trace: (entry) => {
      if (!broken) out.write(`${JSON.stringify(entry)}\n`);
    },
    close: () => new Promise<void>((done) => out.end(() => done())),
  };
}
