import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { epochDayToIso, toEpochDay } from '../../../models/clv/dates.ts';
import { ClvModelError } from '../../../models/clv/errors.ts';
import { buildRfmSummary, type Transaction } from '../../../models/clv/rfm-summary.ts';
import { assertClose } from './helpers.ts';

// Cutoff 2024-01-31. Expected values worked out by hand below each customer.
const TRANSACTIONS: Transaction[] = [
  // A: first 01-01 (10 + 5 merged), repeats 01-08 (20) and 01-15 (30 + 10 merged); 02-10 after the cutoff.
  { customerId: 'A', date: '2024-01-15', amount: 30 },
  { customerId: 'A', date: '2024-01-01', amount: 10 },
  { customerId: 'A', date: '2024-01-08T10:00:00Z', amount: 20 },
  { customerId: 'A', date: '2024-01-01 18:30:00', amount: 5 },
  { customerId: 'A', date: '2024-01-15', amount: 10 },
  { customerId: 'A', date: '2024-02-10', amount: 99 },
  // B: one purchase day only (two lines), x = 0.
  { customerId: 'B', date: '20240110', amount: 7 },
  { customerId: 'B', date: new Date(Date.UTC(2024, 0, 10, 23, 59)), amount: 3 },
  // C: first purchase after the cutoff: not in the summary.
  { customerId: 'C', date: '2024-02-01', amount: 50 },
  // D: bought on the cutoff day itself (included, T = 0) and on 02-05 (holdout).
  { customerId: 'D', date: '2024-01-31', amount: 12 },
  { customerId: 'D', date: '2024-02-05', amount: 8 },
];

describe('buildRfmSummary', () => {
  const s = buildRfmSummary(TRANSACTIONS, '2024-01-31', { holdoutEnd: '2024-02-29' });

  test('keeps customers acquired up to the cutoff, in input order', () => {
    assert.deepEqual(s.customerIds, ['A', 'B', 'D']);
    assert.equal(epochDayToIso(s.cutoffDay), '2024-01-31');
  });

  test('x counts repeat purchase days after merging same-day lines', () => {
    assert.deepEqual([...s.frequency], [2, 0, 0]);
  });

  test('t_x and T in weeks from the first purchase', () => {
    assertClose(s.recency[0], 14 / 7, 0); // 01-01 → 01-15
    assertClose(s.T[0], 30 / 7, 1e-15); // 01-01 → 01-31
    assert.equal(s.recency[1], 0);
    assertClose(s.T[1], 21 / 7, 0);
    assert.equal(s.T[2], 0);
    assert.equal(epochDayToIso(s.firstPurchaseDay[0]), '2024-01-01');
    assert.equal(epochDayToIso(s.lastPurchaseDay[0]), '2024-01-15');
  });

  test('monetary value: mean of the repeat days (first day excluded, same-day amounts summed)', () => {
    assertClose(s.monetaryValue[0], (20 + 40) / 2, 0);
    assert.equal(s.monetaryValue[1], 0);
  });

  test('holdout: repeat purchase days after the cutoff', () => {
    assert.deepEqual([...s.holdoutFrequency!], [1, 0, 1]);
    assert.equal(s.holdoutDays, 29);
  });

  test('without a holdout, later transactions change nothing', () => {
    const plain = buildRfmSummary(TRANSACTIONS, '2024-01-31');
    assert.deepEqual([...plain.frequency], [...s.frequency]);
    assert.deepEqual([...plain.monetaryValue], [...s.monetaryValue]);
    assert.equal(plain.holdoutFrequency, undefined);
  });

  test('input order does not change the numbers', () => {
    const reversed = buildRfmSummary([...TRANSACTIONS].reverse(), '2024-01-31');
    assert.deepEqual(reversed.customerIds, ['D', 'B', 'A']);
    assert.deepEqual([...reversed.frequency], [0, 0, 2]);
    assert.deepEqual([...reversed.monetaryValue], [0, 0, 30]);
  });

  test('numeric customer ids are kept as given', () => {
    const n = buildRfmSummary([{ customerId: 7, date: '2024-01-01', amount: 1 }], '2024-01-02');
    assert.deepEqual(n.customerIds, [7]);
  });

  test('bad dates and amounts are coded errors naming the value', () => {
    for (const bad of [
      { customerId: 'x', date: '2024-02-30', amount: 1 },
      { customerId: 'x', date: '01/02/2024', amount: 1 },
      { customerId: 'x', date: '2024-01-01', amount: Number.NaN },
    ]) {
      assert.throws(() => buildRfmSummary([bad], '2024-03-01'), (e: unknown) => e instanceof ClvModelError && e.code === 'INVALID_INPUT');
    }
  });
});

test('calendar days: a string keeps its written day, a Date uses its UTC day', () => {
  assert.equal(toEpochDay('1970-01-02'), 1);
  assert.equal(toEpochDay('2024-01-01T23:30:00-05:00'), toEpochDay('2024-01-01'));
  assert.equal(toEpochDay(new Date('2024-01-01T23:30:00-05:00')), toEpochDay('2024-01-02'));
  assert.equal(toEpochDay('19970930'), toEpochDay('1997-09-30'));
  assert.equal(epochDayToIso(toEpochDay('1997-09-30')), '1997-09-30');
});
