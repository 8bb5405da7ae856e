/**
 * Fourth security review: patterns run on values a source system (or an ingest token's holder)
 * controls must not take super-linear time. A value that took quadratic time in a pattern is here
 * at a size that ran for minutes before the fix (the test's timeout fails it), with the answer it
 * must give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PHONE_CHARS, normalizePhone } from '../../ingest/identity/normalize-phone.ts';

test('a phone field of many spaces is no phone number', () => {
  // Before the fix these took 5–20 CPU-s each (the extension pattern's leading \s* tried at every
  // position: quadratic); a synchronous pattern cannot be timed out, so the size is kept where a
  // regression slows the suite instead of hanging it. The test below is the one that fails.
  const spaces = ' '.repeat(60_000);
  assert.equal(normalizePhone(`1${spaces}x${spaces}a`, 'DE'), '');
  assert.equal(normalizePhone(`+1${spaces}${spaces}a`, 'DE'), '');
  assert.equal(normalizePhone(`00${spaces}1${'-'.repeat(60_000)}a`, 'DE'), '');
});

test('an over-long value is no phone number, even with a phone number in it', () => {
  assert.equal(normalizePhone(`+49 30 1234567${' '.repeat(MAX_PHONE_CHARS)}x`, 'DE'), '');
  // Real numbers in every writing the importer knows still match (the limit is far above them).
  assert.equal(normalizePhone('+49 (0)30 1234 5678 ext. 1234', 'DE'), '+493012345678');
  assert.equal(normalizePhone(`   030/1234567   `, 'DE'), '+49301234567');
});
