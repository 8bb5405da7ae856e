import { randomBytes } from 'node:crypto';
import { getWebContext, type ServerLog } from './context.ts';

/**
 * What a failure may tell the browser: a clear sentence and a request id, never a stack, a file
 * path, a SQL statement or a warehouse message (they describe the system to an attacker). The
 * details go to the server log under the same id, so support can find them from a screenshot.
 */
export const newRequestId = (): string => randomBytes(6).toString('hex');

/**
 * An error whose message was written for the user (e.g. "Group 1, rule 2 (…): "abc" is not a
 * number"). Modules shared with the browser mark theirs with `userFacing = true` instead of
 * importing this server module.
 */
export class UserFacingError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'UserFacingError';
  }
}

const isUserFacing = (err: unknown): err is Error => err instanceof Error && (err as { userFacing?: unknown }).userFacing === true;

export type ErrorLog = (line: string) => void;
let override: ErrorLog | undefined;

/** Tests capture the log (as text lines). */
export function setErrorLog(next: ErrorLog): void {
  override = next;
}

const stderrLog = (level: string): ((fields: object, msg: string) => void) => (fields, msg) =>
  void process.stderr.write(`[web] ${level === 'info' ? '' : `${level.toUpperCase()} `}${msg} ${JSON.stringify(fields)}\n`);
const fallback: ServerLog = { info: stderrLog('info'), warn: stderrLog('warn'), error: stderrLog('error') };

/** The process's structured log (web/server.ts puts it in the web context), else plain stderr. */
export function serverLog(): ServerLog {
  try {
    return getWebContext().log ?? fallback;
  } catch {
    return fallback;
  }
}

/**
 * Logs `err` in full under `requestId` and returns the message to show: `what` (a sentence without
 * the final full stop), plus the error's own message when it is a UserFacingError, plus the id.
 */
export function publicError(what: string, err: unknown, requestId: string): string {
  // A user's own mistake needs no stack in the log.
  const detail = isUserFacing(err) ? `${err.name}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (override) override(`request ${requestId}: ${what}: ${detail}`);
  else if (isUserFacing(err)) serverLog().warn({ requestId, error: detail }, what);
  else serverLog().error(err instanceof Error ? { requestId, err } : { requestId, error: detail }, what);
  const own = isUserFacing(err) ? `: ${err.message}` : '';
  return `${what}${own} (request ${requestId}).`;
}
