import { afterEach, expect, test, vi } from 'vitest';
import type { QueryResult } from '../cube/types.ts';
import { settleWithin } from './settle-within.ts';

afterEach(() => void vi.useRealTimers());

const answer = (n: number): QueryResult => ({ rows: [{ 'sales.revenue': String(n) }] });

test('answers settled within the budget are ready (a failed one as null); the rest stay promises, and a late answer does not change what was sent', async () => {
  vi.useFakeTimers();
  let late!: (r: QueryResult) => void;
  const slow = new Promise<QueryResult | null>((resolve) => (late = resolve));
  const settled = settleWithin({ a: Promise.resolve(answer(1)), b: Promise.resolve(null), c: slow }, 400);
  await vi.advanceTimersByTimeAsync(400);
  const out = await settled;
  expect(out.ready).toEqual({ a: answer(1), b: null });
  expect(Object.keys(out.pending)).toEqual(['c']);
  late(answer(3));
  await expect(out.pending.c).resolves.toEqual(answer(3));
  expect(out.ready).not.toHaveProperty('c');
});

test('when every answer comes first, nothing waits for the budget', async () => {
  vi.useFakeTimers();
  const out = await settleWithin({ a: Promise.resolve(answer(1)), b: Promise.resolve(answer(2)) }, 60_000);
  // Resolved without advancing the clock: the budget timer did not hold it.
  expect(out).toEqual({ ready: { a: answer(1), b: answer(2) }, pending: {} });
  expect(vi.getTimerCount()).toBe(0);
});
