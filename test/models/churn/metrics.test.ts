import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brier, liftAt, liftTopDecile, prAuc, rocAuc } from '../../../models/churn/metrics.ts';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

describe('rocAuc (Mann–Whitney, ties count one half)', () => {
  const cases: [string, number[], number[], number][] = [
    // 4 positive/negative pairs: (0.35 vs 0.1) won, (0.35 vs 0.4) lost, 0.8 wins both → 3/4.
    ['textbook example', [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75],
    // Pairs: 0.5 vs 0.2 won, 0.5 vs 0.5 tied (½), 0.9 wins both → 3.5/4.
    ['a tie across classes', [0, 0, 1, 1], [0.2, 0.5, 0.5, 0.9], 0.875],
    ['all scores tied', [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], 0.5],
    ['perfect ranking', [0, 0, 1], [0.1, 0.2, 0.3], 1],
    ['reversed ranking', [1, 1, 0], [0.1, 0.2, 0.3], 0],
  ];
  for (const [name, labels, scores, expected] of cases) {
    test(name, () => close(rocAuc(labels, scores), expected));
  }
  test('does not depend on row order', () => close(rocAuc([1, 0, 1, 0], [0.8, 0.4, 0.35, 0.1]), 0.75));
  test('NaN with one class only', () => assert.ok(Number.isNaN(rocAuc([1, 1], [0.2, 0.3])), 'NaN expected'));
  test('rejects bad labels and length mismatch', () => {
    assert.throws(() => rocAuc([0, 2], [0.1, 0.2]), /0 or 1/);
    assert.throws(() => rocAuc([0, 1], [0.1]), /labels for/);
  });
});

describe('prAuc (average precision)', () => {
  const cases: [string, number[], number[], number][] = [
    // 0.8 → P 1, R ½; 0.35 → P ⅔, R 1: ½·1 + ½·⅔.
    ['textbook example', [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 5 / 6],
    // Tied top pair is one threshold: P ½ at R ½, then P ⅔ at R 1.
    ['a tied group counts as one threshold', [1, 0, 1], [0.5, 0.5, 0.2], 0.5 * 0.5 + 0.5 * (2 / 3)],
    ['two tied groups', [0, 1, 1, 0, 1], [0.3, 0.3, 0.9, 0.9, 0.1], (1 / 3) * 0.5 + (1 / 3) * 0.5 + (1 / 3) * 0.6],
    ['perfect ranking', [0, 1, 1], [0.1, 0.8, 0.9], 1],
  ];
  for (const [name, labels, scores, expected] of cases) {
    test(name, () => close(prAuc(labels, scores), expected));
  }
  test('NaN without positives', () => assert.ok(Number.isNaN(prAuc([0, 0], [0.2, 0.3])), 'NaN expected'));
});

describe('brier', () => {
  test('mean squared error of the probabilities', () => close(brier([0, 1, 0], [0.1, 0.9, 0.8]), (0.01 + 0.01 + 0.64) / 3));
  test('perfect and worst', () => {
    close(brier([0, 1], [0, 1]), 0);
    close(brier([0, 1], [1, 0]), 1);
  });
});

describe('liftTopDecile', () => {
  test('churn rate in the top 10% over the overall rate', () => {
    // 20 rows, 4 positives (rate 0.2); top 2 by score: one positive, one negative → 0.5 / 0.2.
    const labels = [1, 0, 1, 1, 1, ...new Array(15).fill(0)];
    const scores = [0.99, 0.98, 0.5, 0.4, 0.3, ...Array.from({ length: 15 }, (_, i) => 0.2 - i * 0.01)];
    close(liftTopDecile(labels, scores), 2.5);
  });
  test('a tied group straddling the cut counts pro rata', () => {
    // 10 rows, 2 positives; the cut takes 1 row out of a tied pair holding 1 positive → ½ hit.
    const labels = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    const scores = [0.9, 0.9, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    close(liftTopDecile(labels, scores), 0.5 / 0.2);
  });
  test('liftAt other fractions; 1 at 100%', () => {
    close(liftAt([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 0.5), 0.5 / 0.5);
    close(liftAt([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 1), 1);
    assert.throws(() => liftAt([1, 0], [0.1, 0.2], 0), /fraction/);
  });
});
