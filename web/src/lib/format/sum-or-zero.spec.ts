import { expect, test } from 'vitest';
import { sumOrZero } from './sum-or-zero.ts';

// Cube's answer for a period with no lost deals: { lost_deals: '0', lost_value: null }.
test.each([
  [null, '0', 0], // none matched: the sum is 0, not "no data"
  [undefined, 0, 0],
  ['1234.5', '3', 1234.5],
  [null, undefined, undefined], // no answer: still missing
  [null, null, undefined],
  [null, '2', undefined], // rows with no amounts: missing, not 0
])('sum %s, count %s → %s', (sum, count, want) => expect(sumOrZero(sum, count)).toBe(want));
