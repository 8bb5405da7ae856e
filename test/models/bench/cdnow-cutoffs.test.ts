/**
 * The CDNOW benchmarks' cutoffs (models/bench/cdnow-cutoffs.ts), checked against dates worked out
 * here with plain UTC arithmetic: candidates-cdnow.ts and real.ts use them instead of their own
 * copies of the loop, the selection's pool of training cutoffs and its history rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CDNOW_START,
  evaluationCutoffs,
  labelsWithinSample,
  trainingCutoffs,
} from '../../../models/bench/cdnow-cutoffs.ts';

const DAY = 86_400_000;
const shift = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

test('labels within the sample: the horizon after the cutoff ends by 1998-06-30', () => {
  // 1998-04-01 + 90 days = 1998-06-30: the last label day is 1998-06-29, inside.
  assert.equal(shift('1998-04-01', 90), '1998-06-30');
  assert.equal(labelsWithinSample('1998-04-01', 90), true);
  assert.equal(labelsWithinSample('1998-04-02', 90), true, 'labels [1998-04-02, 1998-07-01) end on the last day');
  assert.equal(labelsWithinSample('1998-04-03', 90), false);
});

test('evaluation cutoffs: every step from --from while the labels fit (the bench defaults)', () => {
  const got = evaluationCutoffs('1997-09-12', 15, 90);
  // Last allowed: 1998-07-01 − 90 days = 1998-04-02; 1997-09-12 + 15·k ≤ that → k ≤ 13 (202 days / 15).
  const last = (Date.parse('1998-04-02T00:00:00Z') - Date.parse('1997-09-12T00:00:00Z')) / DAY;
  assert.equal(last, 202);
  const want = Array.from({ length: Math.floor(last / 15) + 1 }, (_, k) => shift('1997-09-12', 15 * k));
  assert.deepEqual(got, want);
  assert.equal(got.at(-1), '1998-03-26');
  assert.deepEqual(evaluationCutoffs('1998-05-01', 15, 90), [], 'no cutoff whose labels run past the end');
  assert.throws(() => evaluationCutoffs('1997-09-12', 0, 90), /positive/);
});

test('training cutoffs: two a horizon apart; the older one only with a horizon of history behind it', () => {
  assert.equal(CDNOW_START, '1997-01-01');
  // e = 1997-09-12: e − 90 = 1997-06-14 (the newest trains what it has); e − 180 = 1997-03-16 is
  // before 1997-01-01 + 90 days = 1997-04-01: left out.
  assert.deepEqual(trainingCutoffs('1997-09-12', 90), [shift('1997-09-12', -90)]);
  assert.equal(shift('1997-09-12', -90), '1997-06-14');
  // e = 1998-01-10: 1997-10-12 and 1997-07-14 (after 1997-04-01): both.
  assert.deepEqual(trainingCutoffs('1998-01-10', 90), ['1997-10-12', '1997-07-14']);
  // e − 90 before the data starts: none.
  assert.deepEqual(trainingCutoffs('1997-03-01', 90), []);
  // The older cutoff exactly one horizon after the start is allowed: 1997-04-01 = e − 180 → e = 1997-09-28.
  assert.deepEqual(trainingCutoffs('1997-09-28', 90), ['1997-06-30', '1997-04-01']);
});
