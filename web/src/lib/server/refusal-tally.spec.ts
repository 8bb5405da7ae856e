import { expect, test } from 'vitest';
import { RefusalTally } from './refusal-tally.ts';

const t0 = 1_000_000;
const W = 600_000;

test('the first refusal of a key opens a window; the rest are counted, written once after it ends', () => {
  const tally = new RefusalTally<string>(W);
  expect(tally.isFirst('account|a', t0)).toBe(true);
  tally.opened('account|a', 'U-1', t0);
  for (let i = 1; i <= 500; i++) expect(tally.isFirst('account|a', t0 + i)).toBe(false);
  expect(tally.due(t0 + W - 1)).toEqual([]);
  expect(tally.due(t0 + W)).toEqual([{ key: 'account|a', first: 'U-1', count: 500, since: t0, until: t0 + W }]);
  expect(tally.due(t0 + W), 'written once').toEqual([]);
  expect(tally.size).toBe(0);
  expect(tally.isFirst('account|a', t0 + W + 1)).toBe(true);
});

test('keys are tallied apart; a window with only its first refusal writes nothing more', () => {
  const tally = new RefusalTally<string>(W);
  tally.opened('client|10.0.0.1', 'x', t0);
  tally.opened('account|b', 'y', t0 + 10);
  expect(tally.isFirst('account|b', t0 + 20)).toBe(false);
  expect(tally.due(t0 + W + 10).map((t) => [t.key, t.count])).toEqual([['account|b', 1]]);
});

test('past the cap every open tally is written early, so memory stays bounded', () => {
  const tally = new RefusalTally<number>(W, 3);
  for (let i = 0; i < 4; i++) {
    tally.opened(`client|${i}`, i, t0);
    tally.isFirst(`client|${i}`, t0 + 1);
  }
  expect(tally.due(t0 + 2).length).toBe(4);
  expect(tally.size).toBe(0);
});
