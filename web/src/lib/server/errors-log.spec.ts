import { afterEach, expect, test } from 'vitest';
import { setWebContext, type ServerLog, type WebContext } from './context.ts';
import { publicError, serverLog, UserFacingError } from './errors.ts';

/** The structured path: the web context's log (lib/log.ts's, set by web/server.ts), no setErrorLog. */
const events: { level: string; fields: object; msg: string }[] = [];
const recorder = (level: string) => (fields: object, msg: string) => void events.push({ level, fields, msg });
const log: ServerLog = { info: recorder('info'), warn: recorder('warn'), error: recorder('error') };
afterEach(() => {
  events.length = 0;
  setWebContext(undefined);
});

test('an error goes to the web context log with the request id as a field', () => {
  setWebContext({ log } as unknown as WebContext);
  const err = new Error('Code: 62. DB::Exception: Syntax error');
  expect(publicError('The export failed', err, 'abc123')).toBe('The export failed (request abc123).');
  expect(events).toEqual([{ level: 'error', fields: { requestId: 'abc123', err }, msg: 'The export failed' }]);
});

test("a user's own mistake is a warning without a stack", () => {
  setWebContext({ log } as unknown as WebContext);
  publicError('Invalid segment', new UserFacingError('rule 2: "abc" is not a number'), 'r2');
  expect(events).toEqual([{ level: 'warn', fields: { requestId: 'r2', error: 'UserFacingError: rule 2: "abc" is not a number' }, msg: 'Invalid segment' }]);
});

test('without a web context the log still works (plain stderr)', () => {
  expect(serverLog()).not.toBe(log);
  expect(typeof serverLog().error).toBe('function');
});
