import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distinctXT, groupByRfm } from '../../../models/clv/rfm-groups.ts';

test('groupByRfm: distinct day-aligned (x, t_x, T) triples with counts', () => {
  const g = groupByRfm({ frequency: [0, 1, 0, 1, 1], recency: [0, 1, 0, 1, 2 / 7], T: [3, 2, 3, 2, 2] })!;
  assert.deepEqual([...g.frequency], [0, 1, 1]);
  assert.deepEqual([...g.weight], [2, 2, 1]);
  assert.deepEqual([...g.groupOf], [0, 1, 0, 1, 2]);
});

test('groupByRfm: undefined when times are not whole days (callers then work per row)', () => {
  assert.equal(groupByRfm({ frequency: [1], recency: [0.1], T: [2] }), undefined);
});

test('distinctXT: exact (x, T) pairs', () => {
  const d = distinctXT(Int32Array.from([1, 1, 2, 1, 0]), Float64Array.from([5, 5, 5, 5.5, 5]));
  assert.deepEqual([...d.pairOf], [0, 0, 1, 2, 3]);
  assert.deepEqual([...d.x], [1, 2, 1, 0]);
  assert.deepEqual([...d.T], [5, 5, 5.5, 5]);
});
