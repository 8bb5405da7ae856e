import { describe, expect, test } from 'vitest';
import { initiallyHidden, nextToHide, priorityOf, type FitColumn } from './table-fit.ts';

const cols: FitColumn[] = [
  { key: 'name' }, // first column: key by default
  { key: 'email', priority: 3 },
  { key: 'region' },
  { key: 'notes', wrap: true },
  { key: 'owner', priority: 3 },
  { key: 'ltv', priority: 1 },
];

/** Hides columns one by one as DataTable does while the table overflows. */
function order(columns: FitColumn[]): string[] {
  const hidden = new Set<string>();
  for (let k = nextToHide(columns, hidden); k; k = nextToHide(columns, hidden)) hidden.add(k);
  return [...hidden];
}

describe('table-fit: which column moves into the row detail next', () => {
  test.each([
    [{ key: 'a' }, 0, 1],
    [{ key: 'a' }, 1, 2],
    [{ key: 'a', priority: 3 as const }, 0, 3],
    [{ key: 'a', priority: 1 as const }, 4, 1],
  ])('priorityOf(%o, index %i) = %i', (c, i, p) => expect(priorityOf(c, i)).toBe(p));

  test('priority 3 first (rightmost first), then wrapped text, then priority 2 from the right; key columns never', () => {
    expect(order(cols)).toEqual(['owner', 'email', 'notes', 'region']);
  });
  test('nothing to hide when only key columns are left', () => {
    expect(nextToHide([{ key: 'a' }, { key: 'b', priority: 1 }], new Set())).toBeUndefined();
  });
  test('wrapped long text goes into the detail below 1000 px, not at 1000 px or when unmeasured', () => {
    expect([...initiallyHidden(cols, 700)]).toEqual(['notes']);
    expect(initiallyHidden(cols, 1000).size).toBe(0);
    expect(initiallyHidden(cols, 0).size).toBe(0);
    expect(initiallyHidden([{ key: 'why', wrap: true, priority: 1 }], 500).size).toBe(0);
  });
});
