import assert from 'node:assert/strict';

/** |actual − expected| ≤ tol (absolute), with a readable message. */
export function assertClose(actual: number, expected: number, tol: number, what = 'value'): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected} ± ${tol}, got ${actual} (off by ${Math.abs(actual - expected).toExponential(2)})`,
  );
}

/** Relative closeness, for values of any magnitude. */
export function assertRel(actual: number, expected: number, rel: number, what = 'value'): void {
  assertClose(actual, expected, rel * Math.max(Math.abs(expected), Number.MIN_VALUE), what);
}
