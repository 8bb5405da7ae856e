/** The choice rule of model selection (models/churn/select.ts pickCandidate), table-driven. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { informativeFeatures } from '../../../models/churn/candidates.ts';
import { pickCandidate, stackSets, TIE_MARGIN } from '../../../models/churn/select.ts';

const complexity: Record<string, number> = {
  recency: 0,
  bgnbd_p_alive: 1,
  bgnbd_expected: 1,
  logistic: 2,
  forest_medium: 4,
  forest_bgnbd: 7,
};
const of = (name: string): number => complexity[name];

describe('pickCandidate', () => {
  const cases: [title: string, aucs: Record<string, number>, best: string, pick: string][] = [
    ['a clear winner ships', { recency: 0.8, logistic: 0.85, forest_medium: 0.9 }, 'forest_medium', 'forest_medium'],
    [
      'within the margin the simpler ships',
      { recency: 0.8, logistic: 0.897, forest_medium: 0.9 },
      'forest_medium',
      'logistic',
    ],
    [
      'a baseline within the margin beats any learner',
      { recency: 0.776, bgnbd_expected: 0.774, forest_medium: 0.778 },
      'forest_medium',
      'recency',
    ],
    [
      'just outside the margin the better one ships',
      { recency: 0.78, forest_medium: 0.78 + TIE_MARGIN + 0.0001 },
      'forest_medium',
      'forest_medium',
    ],
    [
      'equal complexity: the higher ROC-AUC',
      { bgnbd_p_alive: 0.46, bgnbd_expected: 0.774, forest_medium: 0.776 },
      'forest_medium',
      'bgnbd_expected',
    ],
  ];
  for (const [title, aucs, best, pick] of cases) {
    test(title, () => {
      const validated = Object.entries(aucs)
        .filter(([name]) => name in complexity)
        .map(([name, roc_auc]) => ({ name, roc_auc }));
      const r = pickCandidate(validated, of);
      assert.equal(r.best.name, best);
      assert.equal(r.pick.name, pick);
    });
  }
  test('the pick is never below the best baseline by more than the margin', () => {
    // Exhaustive over a grid of AUCs: the rule can only trade down to something within the margin.
    const grid = [0.7, 0.75, 0.752, 0.8];
    for (const a of grid)
      for (const b of grid)
        for (const c of grid) {
          const validated = [
            { name: 'recency', roc_auc: a },
            { name: 'logistic', roc_auc: b },
            { name: 'forest_medium', roc_auc: c },
          ];
          const { pick } = pickCandidate(validated, of);
          assert.ok(pick.roc_auc >= a - TIE_MARGIN, JSON.stringify(validated));
          assert.ok(pick.roc_auc >= Math.max(a, b, c) - TIE_MARGIN);
        }
  });
});

describe('stackSets', () => {
  test('rows of both cutoffs, columns and labels concatenated in order', () => {
    const s1 = {
      cutoff: '2024-01-01',
      features: ['a', 'b'],
      customerIds: ['x'],
      columns: [Float64Array.of(1), Float64Array.of(2)],
      labels: Uint8Array.of(1),
    };
    const s2 = {
      cutoff: '2023-10-01',
      features: ['a', 'b'],
      customerIds: ['x', 'y'],
      columns: [Float64Array.of(3, 4), Float64Array.of(5, 6)],
      labels: Uint8Array.of(0, 1),
    };
    const s = stackSets([s1, s2]);
    assert.deepEqual(s.customerIds, ['x', 'x', 'y']);
    assert.deepEqual([...s.columns[0]], [1, 3, 4]);
    assert.deepEqual([...s.columns[1]], [2, 5, 6]);
    assert.deepEqual([...s.labels], [1, 0, 1]);
    assert.throws(() => stackSets([s1, { ...s2, features: ['a', 'c'] }]), /differ/);
  });
});

describe('informativeFeatures', () => {
  test('drops columns that are one constant in the training rows; keeps known-vs-unknown columns', () => {
    const set = {
      features: ['varies', 'zeros', 'all_missing', 'value_or_missing'],
      columns: [
        Float64Array.of(1, 2, 1),
        Float64Array.of(0, 0, 0),
        Float64Array.of(NaN, NaN, NaN),
        Float64Array.of(3, NaN, 3),
      ],
    };
    assert.deepEqual(informativeFeatures(set.features, set), ['varies', 'value_or_missing']);
    // Nothing informative at all: keep everything rather than train on no column.
    assert.deepEqual(informativeFeatures(['zeros'], set), ['zeros']);
  });
});
