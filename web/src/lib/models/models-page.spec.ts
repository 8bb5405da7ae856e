// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, test } from 'vitest';
import ModelsPage from '../../routes/(app)/models/+page.svelte';
import { fmt3, type ModelCardView } from './card.ts';

afterEach(() => cleanup());

/** A card as latestChurnCard() returns it (null: a skipped candidate's figures). */
const card: ModelCardView = {
  modelVersion: 'churn-20241003-abc-0f0f',
  createdAt: '2026-12-06T12:00:00.000Z',
  dataStart: '2023-01-01',
  asOf: '2025-01-01',
  trainCutoff: '2024-10-03',
  horizonDays: 90,
  definition: 'Among customers …',
  trainRows: 33093,
  churnRate: 0.3125,
  chosen: 'forest_medium',
  chosenDescription: 'random forest',
  reason: 'forest_bgnbd scored 0.905, but forest_medium (0.904) is within the tie margin of 0.005 and simpler',
  rocAuc: 0.90412,
  prAuc: 0.8701,
  brier: 0.0891,
  bestBaseline: 'bgnbd_expected',
  bestBaselineRocAuc: 0.8497,
  folds: [{ trainCutoff: '2024-07-05 + 2024-04-06', evalCutoff: '2024-10-03', evalRows: 15000, evalChurnRate: 0.3 }],
  candidates: [
    {
      name: 'recency',
      baseline: true,
      description: 'days since the last order',
      status: 'validated',
      roc_auc: 0.8421,
      pr_auc: 0.7763,
      brier: 0.1291,
    },
    {
      name: 'bgnbd_expected',
      baseline: true,
      description: 'BG/NBD',
      status: 'validated',
      roc_auc: 0.8497,
      pr_auc: 0.7741,
      brier: 0.1252,
    },
    {
      name: 'forest_medium',
      baseline: false,
      description: 'random forest',
      status: 'validated',
      roc_auc: 0.90412,
      pr_auc: 0.8701,
      brier: 0.0891,
    },
    {
      name: 'forest_deep',
      baseline: false,
      description: 'random forest',
      status: 'skipped',
      note: 'search budget of 60 s would be exceeded',
      roc_auc: null,
      pr_auc: null,
      brier: null,
    },
  ],
  calibrationPoints: [],
  topFeatures: [{ feature: 'recency_days', importance: 0.21 }],
  warnings: ['BG/NBD fit at 2023-01-02 failed'],
};

describe('Models page', () => {
  test('prints the card’s own figures: headline, churn rate, every candidate’s ROC-AUC / PR-AUC / Brier', () => {
    const { container } = render(ModelsPage, { data: { card, error: undefined } } as never);
    expect(screen.getByTestId('model-card-headline')).toHaveTextContent(
      'forest_medium: ROC-AUC 0.904 vs bgnbd_expected 0.850 (1 out-of-time fold, 90-day horizon)',
    );
    expect(screen.getByTestId('model-card-churn-rate')).toHaveTextContent('31.3% of 33,093 training rows');
    for (const c of card.candidates) {
      const row = container.querySelector(`tr[data-candidate="${c.name}"]`)!;
      expect(row.querySelector('[data-metric="roc_auc"]')).toHaveTextContent(fmt3(c.roc_auc));
      expect(row.querySelector('[data-metric="pr_auc"]')).toHaveTextContent(fmt3(c.pr_auc));
      expect(row.querySelector('[data-metric="brier"]')).toHaveTextContent(fmt3(c.brier));
    }
    expect(container.querySelector('tr.chosen')?.getAttribute('data-candidate')).toBe('forest_medium');
    expect(screen.getByText('search budget of 60 s would be exceeded')).toBeInTheDocument();
    expect(screen.getByText('BG/NBD fit at 2023-01-02 failed')).toBeInTheDocument();
  });

  test('no card yet, and a read error, each have their own state', () => {
    render(ModelsPage, { data: { card: undefined, error: undefined } } as never);
    expect(screen.getByTestId('model-card-empty')).toBeInTheDocument();
    cleanup();
    render(ModelsPage, { data: { card: undefined, error: 'The model card could not be read (request r1)' } } as never);
    expect(screen.getByRole('alert')).toHaveTextContent('could not be read');
  });
});
