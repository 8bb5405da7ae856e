import { expect, test } from 'vitest';
import type { Resource, ResourceState } from '../cube/resource.svelte.ts';
import { withInitial } from './with-initial.ts';

/** A resource whose state the test sets. */
function fake<T>(state: ResourceState<T>): Resource<T> & { state: ResourceState<T> } {
  let retried = 0;
  return {
    state,
    get data() {
      return this.state.data;
    },
    retry: () => void retried++,
    get retried() {
      return retried;
    },
  } as Resource<T> & { state: ResourceState<T> };
}

test.each([
  ['loading, nothing in the page', { status: 'loading', data: undefined, refreshing: false }, undefined, { status: 'loading', data: undefined, refreshing: false }],
  ['loading, the page has the answer', { status: 'loading', data: undefined, refreshing: true }, [1, 2], { status: 'loaded', data: [1, 2], refreshing: false }],
  ['loading, the page has an empty answer', { status: 'loading', data: undefined, refreshing: true }, [], { status: 'empty', data: [], refreshing: false }],
  ['loaded: its own data wins', { status: 'loaded', data: [9], refreshing: false }, [1, 2], { status: 'loaded', data: [9], refreshing: false }],
  ['refreshing after a filter change: its old data stays, dimmed', { status: 'loaded', data: [9], refreshing: true }, [1, 2], { status: 'loaded', data: [9], refreshing: true }],
  ['error: shown, not hidden by the page’s answer', { status: 'error', data: undefined, error: 'boom', refreshing: false }, [1, 2], { status: 'error', data: undefined, error: 'boom', refreshing: false }],
] as [string, ResourceState<number[]>, number[] | undefined, ResourceState<number[]>][])('%s', (_name, state, initial, shown) => {
  const r = withInitial(fake(state), () => initial, (d) => d.length === 0);
  expect(r.state).toEqual(shown);
  expect(r.data).toEqual(shown.data);
});

test('retry goes to the resource', () => {
  const inner = fake<number[]>({ status: 'error', data: undefined, error: 'x', refreshing: false });
  withInitial(inner, () => undefined).retry();
  expect((inner as unknown as { retried: number }).retried).toBe(1);
});
