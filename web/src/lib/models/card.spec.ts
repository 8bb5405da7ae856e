import { describe, expect, test } from 'vitest';
import { calibrationOption } from '../charts/options/calibration.ts';
import { candidateRows, cardHeadline, cardSummary, featureWeightNote, fmt3, type ModelCardView } from './card.ts';

const card: ModelCardView = {
  modelVersion: 'churn-19980402-abc-0f0f',
  createdAt: '2026-12-06T12:00:00.000Z',
  dataStart: '1997-01-01',
  asOf: '1998-07-01',
  trainCutoff: '1998-04-02',
  horizonDays: 90,
  definition: 'Among …',
  trainRows: 3281,
  churnRate: 0.8,
  chosen: 'logistic',
  chosenDescription: 'L2 logistic regression',
  reason: 'best',
  rocAuc: 0.7812,
  prAuc: 0.9,
  brier: 0.13,
  bestBaseline: 'recency',
  bestBaselineRocAuc: 0.765,
  folds: [
    { trainCutoff: 'a', evalCutoff: 'b', evalRows: 10, evalChurnRate: 0.5 },
    { trainCutoff: 'c', evalCutoff: 'd', evalRows: 10, evalChurnRate: 0.5 },
  ],
  candidates: [
    {
      name: 'forest_deep',
      baseline: false,
      description: 'forest',
      status: 'skipped',
      note: 'budget',
      roc_auc: null,
      pr_auc: null,
      brier: null,
    },
    {
      name: 'logistic',
      baseline: false,
      description: 'logistic',
      status: 'validated',
      roc_auc: 0.7812,
      pr_auc: 0.9,
      brier: 0.13,
    },
    {
      name: 'recency',
      baseline: true,
      description: 'recency',
      status: 'validated',
      roc_auc: 0.765,
      pr_auc: 0.88,
      brier: 0.14,
    },
    {
      name: 'forest_medium',
      baseline: false,
      description: 'forest',
      status: 'validated',
      roc_auc: 0.79,
      pr_auc: 0.91,
      brier: 0.128,
    },
  ],
  calibrationPoints: [
    { lower: 0.1, upper: 0.2, rows: 100, meanPredicted: 0.15, observedRate: 0.2 },
    { lower: 0.8, upper: 0.9, rows: 400, meanPredicted: 0.85, observedRate: 0.8 },
  ],
  topFeatures: [{ feature: 'recency_days', importance: 1.2 }],
  warnings: [],
};

describe('model card view', () => {
  test('headline: shipped candidate, its validated AUC, the best baseline, folds and horizon', () => {
    expect(cardHeadline(card)).toBe('logistic: ROC-AUC 0.781 vs recency 0.765 (2 out-of-time folds, 90-day horizon)');
    expect(cardHeadline({ ...card, chosen: 'recency', rocAuc: 0.765, folds: card.folds.slice(0, 1) })).toBe(
      'recency: ROC-AUC 0.765 (1 out-of-time fold, 90-day horizon)',
    );
  });
  test('candidates: baselines first, then by ROC-AUC, skipped last; the shipped one is marked', () => {
    const rows = candidateRows(card);
    expect(rows.map((r) => r.name)).toEqual(['recency', 'forest_medium', 'logistic', 'forest_deep']);
    expect(rows.filter((r) => r.chosen).map((r) => r.name)).toEqual(['logistic']);
    expect(fmt3(rows[3].roc_auc)).toBe('—');
  });
});

// The Models page listed "bgnbd_logodds_no_purchase 2.101 … overdue_ratio 0.999" with no word on
// what the numbers are: read as shares, although a logistic model's add up to far more than 1
// (logistic.test.ts: |weights|; forest.test.ts: a forest's sum to 1).
describe('featureWeightNote', () => {
  const withKind = (chosen: string, kind: string | undefined) => ({
    chosen,
    candidates: [{ ...card.candidates[0], name: chosen, kind }],
  });
  test('says what the numbers are for the shipped model’s kind', () => {
    expect(featureWeightNote(withKind('logistic_bgnbd', 'logistic'))).toMatch(
      /log-odds of churn per standard deviation .* Not a share: they do not add up to 1\.$/,
    );
    expect(featureWeightNote(withKind('forest_medium', 'forest'))).toMatch(
      /share of the forest’s split improvements .* all features add up to 1/,
    );
    expect(featureWeightNote(withKind('recency', 'recency'))).toBe(
      'The shipped model is a baseline that ranks customers by this one feature.',
    );
    // A card stored without kinds says it cannot tell, rather than guessing.
    expect(featureWeightNote(withKind('logistic', undefined))).toMatch(/does not say which model kind/);
  });
});

describe('cardSummary', () => {
  test('carries the card’s own figures, nothing recomputed', () => {
    expect(cardSummary(card)).toEqual({
      modelVersion: 'churn-19980402-abc-0f0f',
      chosen: 'logistic',
      headline: 'logistic: ROC-AUC 0.781 vs recency 0.765 (2 out-of-time folds, 90-day horizon)',
      rocAuc: 0.7812,
      brier: 0.13,
      bestBaseline: 'recency',
      bestBaselineRocAuc: 0.765,
      horizonDays: 90,
      activeWindowDays: 365,
      asOf: '1998-07-01',
      folds: 2,
      validated: true,
    });
  });
  test('a card validation did not choose says so in the headline and the summary', () => {
    const unvalidated = { ...card, validated: false };
    expect(cardHeadline(unvalidated)).toBe(
      'logistic: ROC-AUC 0.781 vs recency 0.765 (2 out-of-time folds, 90-day horizon); not validated: a rule of thumb, see the model card',
    );
    expect(cardSummary(unvalidated).validated).toBe(false);
    expect(cardSummary({ ...card, folds: [] }).validated).toBe(false);
  });
});

describe('calibrationOption', () => {
  test('a dashed diagonal and one point per bin: (mean predicted, observed, customers)', () => {
    const o = calibrationOption(card.calibrationPoints);
    const series = o.series as { type: string; data: number[][]; lineStyle?: { type: string } }[];
    expect(series[0]).toMatchObject({
      type: 'line',
      data: [
        [0, 0],
        [1, 1],
      ],
      lineStyle: { type: 'dashed' },
    });
    expect(series[1].type).toBe('scatter');
    expect(series[1].data).toEqual([
      [0.15, 0.2, 100],
      [0.85, 0.8, 400],
    ]);
    const x = o.xAxis as { min: number; max: number };
    expect([x.min, x.max]).toEqual([0, 1]);
  });
});

// A leaky feature's 0.9996 ROC-AUC is not a perfect model; a tiny importance is not none.
describe('scores at the extremes', () => {
  test.each([
    [0.8125, '0.813'],
    [0.9996, '>0.999'],
    [1, '1.000'],
    [0.0004, '<0.001'],
    [0, '0.000'],
    [null, '—'],
  ] as const)('fmt3(%s) → %s', (v, text) => expect(fmt3(v)).toBe(text));
});
