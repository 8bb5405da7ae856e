import { afterEach, expect, test } from 'vitest';
import { newRequestId, publicError, setErrorLog, UserFacingError } from './errors.ts';

const lines: string[] = [];
setErrorLog((l) => lines.push(l));
afterEach(() => void (lines.length = 0));

test('internal details are logged under the request id, never shown', () => {
  const err = new Error("Code: 62. DB::Exception: Syntax error: SELECT * FROM crm.users WHERE password_hash = '' at /work/main/lib/warehouse/x.ts:12");
  const shown = publicError('The export failed', err, 'abc123');
  expect(shown).toBe('The export failed (request abc123).');
  expect(shown).not.toMatch(/SELECT|DB::|\/work|\.ts/);
  expect(lines.join('\n')).toContain('request abc123: The export failed: Error: Code: 62. DB::Exception');
});

test('a message written for the user is passed on', () => {
  expect(publicError('Invalid segment', new UserFacingError('rule 2 of group 1: "abc" is not a number'), 'r1')).toBe('Invalid segment: rule 2 of group 1: "abc" is not a number (request r1).');
});

test('request ids are short and distinct', () => {
  const a = newRequestId();
  expect(a).toMatch(/^[0-9a-f]{12}$/);
  expect(newRequestId()).not.toBe(a);
});

test('errors of shared modules marked userFacing are passed on too', () => {
  const err = Object.assign(new Error('Group 1, rule 1 (Region): choose at least one value'), { userFacing: true });
  expect(publicError('Invalid segment', err, 'r2')).toBe('Invalid segment: Group 1, rule 1 (Region): choose at least one value (request r2).');
});
