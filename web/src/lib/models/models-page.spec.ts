// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, test } from 'vitest';
import ModelsPage from '../../routes/(app)/models/+page.svelte';
import { fmt3, type ModelCardView } from './card.ts';
import type { WinLossCardPage } from './winloss-card.ts';
import type { ClvCardView } from './clv-card.ts';

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
      roc_auc_sd: 0.01237,
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
    // The training rows' churn share within the horizon, named apart from the cockpit's 180-day dormancy rate.
    expect(screen.getByTestId('model-card-churn-rate')).toHaveTextContent(
      '31.3% of 33,093 training rows churned within 90 days',
    );
    expect(screen.getByTestId('model-card-churn-rate').previousElementSibling).toHaveTextContent('Churned in training');
    for (const c of card.candidates) {
      const row = container.querySelector(`tr[data-candidate="${c.name}"]`)!;
      expect(row.querySelector('[data-metric="roc_auc"]')).toHaveTextContent(fmt3(c.roc_auc));
      // the folds' spread when the card has it (cards stored before it show a dash)
      expect(row.querySelector('[data-metric="roc_auc_sd"]')).toHaveTextContent(
        c.name === 'forest_medium' ? '0.012' : '—',
      );
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

/** A win/loss card as latestWinLossCard() returns it (the JSON models/winloss/run.ts stores, and drivers). */
const winloss: WinLossCardPage = {
  card: {
    modelVersion: 'winloss-20261101-20261206T120000000-a1b2c3',
    createdAt: '2026-12-06T12:00:00.000Z',
    asOf: '2026-11-01',
    chosen: 'logistic',
    reason: 'logistic (0.781) is within 0.005 of forest (0.784) and simpler',
    roc_auc: { logistic: 0.78149, forest: 0.78431, stage_only: 0.61234, amount_only: 0.55555 },
    baselines: { stage_only: 0.61234, amount_only: 0.55555 },
    brier: 0.201,
    folds: [{}, {}, {}],
    open_deals: {
      chosen: 'forest',
      reason: 'forest had the best mean out-of-time ROC-AUC (0.702)',
      roc_auc: { forest: 0.702 },
      folds: 3,
    },
    deals: { closed: 1520, lost: 901, open: 410 },
    warnings: [],
  },
  drivers: [
    {
      factor: 'no_meeting_21d',
      label: 'no meeting in the 21 days before close',
      direction: 'loss',
      effect: 2.31,
      ciLow: 1.92,
      ciHigh: 2.78,
      n: 1520,
      nWith: 412,
      significant: true,
    },
    {
      factor: 'slow_reply',
      label: '<b>slow</b> replies',
      direction: 'loss',
      effect: 1.6,
      ciLow: 1.3,
      ciHigh: 1.95,
      n: 1500,
      nWith: 300,
      significant: true,
    },
  ],
};

describe('Models page: the win/loss model card', () => {
  test("every candidate and baseline with its out-of-time ROC-AUC, the shipped one marked; drivers in the panel's words, as text", () => {
    const { container } = render(ModelsPage, {
      data: { card, error: undefined, winloss: { page: winloss, error: undefined } },
    } as never);
    expect(screen.getByTestId('winloss-card-headline')).toHaveTextContent(
      'logistic: ROC-AUC 0.781 vs stage_only 0.612 (3 out-of-time folds, 1,520 closed deals)',
    );
    const rows = [...container.querySelectorAll('[data-testid="winloss-candidates"] tbody tr')];
    // Baselines first, then the candidates by ROC-AUC.
    expect(rows.map((r) => r.getAttribute('data-candidate'))).toEqual([
      'stage_only',
      'amount_only',
      'forest',
      'logistic',
    ]);
    for (const [name, auc] of Object.entries({
      logistic: '0.781',
      forest: '0.784',
      stage_only: '0.612',
      amount_only: '0.556',
    }))
      expect(
        container.querySelector(
          `[data-testid="winloss-candidates"] tr[data-candidate="${name}"] [data-metric="roc_auc"]`,
        ),
      ).toHaveTextContent(auc);
    expect(
      container.querySelector('[data-testid="winloss-candidates"] tr.chosen')?.getAttribute('data-candidate'),
    ).toBe('logistic');
    expect(screen.getByTestId('winloss-card-deals')).toHaveTextContent('1,520 closed (901 lost), 410 open');
    const drivers = [...container.querySelectorAll('[data-testid="winloss-drivers"] li')].map((li) => li.textContent);
    expect(drivers).toEqual([
      'no meeting in the 21 days before close: lost 2.3× as often, 95% CI 1.9–2.8×, n = 1,520',
      '<b>slow</b> replies: lost 1.6× as often, 95% CI 1.3–2.0×, n = 1,500',
    ]);
    expect(container.querySelector('[data-testid="winloss-card"] b')).toBeNull();
  });

  test('no win/loss run yet, and a read error, each shown without hiding the churn card', () => {
    render(ModelsPage, { data: { card, error: undefined, winloss: { page: undefined, error: undefined } } } as never);
    expect(screen.getByTestId('winloss-card-empty')).toBeInTheDocument();
    expect(screen.getByTestId('model-card')).toBeInTheDocument();
    cleanup();
    render(ModelsPage, {
      data: {
        card,
        error: undefined,
        winloss: { page: undefined, error: 'The win/loss model card could not be read (request r2)' },
      },
    } as never);
    expect(screen.getByRole('alert')).toHaveTextContent('win/loss model card could not be read');
    expect(screen.getByTestId('model-card')).toBeInTheDocument();
  });
});

/** A CLV card as latestClvCard() returns it: one validated check, one too short to validate. */
const score = (total: number, totalError: number, mae: number, spearman: number | null, top: number | null) => ({
  total,
  totalError,
  mae,
  rmse: mae * 2,
  spearman,
  topDecileCapture: top,
});
const clvCard: ClvCardView = {
  modelVersion: 'clv-19980701-abc',
  createdAt: '2026-12-07T12:00:00.000Z',
  asOf: '1998-07-01',
  dataStart: '1997-01-01',
  validated: true,
  headline: 'expected_purchases_90d: total −14.2% to +25.3% vs actual over 2 folds',
  checks: [
    {
      key: 'spend_12m',
      figure: 'clv_12m',
      measure: 'spend',
      horizonDays: 365,
      validated: false,
      reason: 'not validated: 181 days of purchases; checking clv_12m needs 455 (90 to fit on, 365 to compare with)',
      folds: [],
      mean: {} as ClvCardView['checks'][number]['mean'],
      losses: [],
    },
    {
      key: 'purchases_90d',
      figure: 'expected_purchases_90d',
      measure: 'purchases',
      horizonDays: 90,
      validated: true,
      reason: '',
      folds: [
        {
          cutoff: '1998-04-01',
          holdoutEnd: '1998-06-30',
          customers: 2357,
          actualTotal: 495,
          oracleTopDecileCapture: 0.95,
          scores: {
            model: score(620.2, 0.253, 0.278, 0.387, 0.551),
            past_rate: score(1372, 1.773, 0.52, 0.371, 0.525),
            last_period: score(661, 0.335, 0.275, 0.44, 0.517),
            cohort_average: score(661, 0.335, 0.419, null, 0.1),
          },
          modelDeciles: [{ decile: 1, customers: 235, meanPredicted: 0.031, meanActual: 0.052 }],
        },
        {
          cutoff: '1997-12-31',
          holdoutEnd: '1998-03-31',
          customers: 2357,
          actualTotal: 656,
          oracleTopDecileCapture: 0.9,
          scores: {
            model: score(563, -0.142, 0.3, 0.36, 0.5),
            past_rate: score(1900, 1.9, 0.7, 0.37, 0.48),
            last_period: score(700, 0.067, 0.31, 0.4, 0.47),
            cohort_average: score(700, 0.067, 0.5, null, 0.1),
          },
          modelDeciles: [],
        },
      ],
      mean: {
        model: { totalError: 0.0555, absTotalError: 0.1975, mae: 0.289, spearman: 0.3735, topDecileCapture: 0.525 },
        past_rate: { totalError: 1.83, absTotalError: 1.83, mae: 0.61, spearman: 0.3705, topDecileCapture: 0.5025 },
        last_period: { totalError: 0.201, absTotalError: 0.201, mae: 0.2925, spearman: 0.42, topDecileCapture: 0.4935 },
        cohort_average: { totalError: 0.201, absTotalError: 0.201, mae: 0.4595, spearman: null, topDecileCapture: 0.1 },
      },
      losses: [
        "on the ranking of customers (Spearman) of purchases, last_period does better: 0.420 against the model's 0.374",
      ],
    },
  ],
  warnings: [],
};

describe('Models page: the CLV model card', () => {
  test('each figure’s folds, every predictor’s total error per fold and means, the losses in words; a short history says not validated', () => {
    const { container } = render(ModelsPage, {
      data: { card, error: undefined, clv: { card: clvCard, error: undefined } },
    } as never);
    expect(screen.getByTestId('clv-card-headline')).toHaveTextContent(clvCard.headline);
    expect(container.querySelector('[data-testid="clv-not-validated"][data-check="spend_12m"]')).toHaveTextContent(
      'checking clv_12m needs 455',
    );
    const row = (p: string) => container.querySelector(`[data-testid="clv-predictors"] tr[data-predictor="${p}"]`)!;
    // Signed per fold, newest first, never averaged into one number that cancels out.
    expect(row('model').querySelector('[data-metric="total_error"]')).toHaveTextContent('+25.3% / −14.2%');
    expect(row('last_period').querySelector('[data-metric="total_error"]')).toHaveTextContent('+33.5% / +6.7%');
    expect(row('model').querySelector('[data-metric="mae"]')).toHaveTextContent('0.29');
    expect(row('last_period').querySelector('[data-metric="spearman"]')).toHaveTextContent('0.420');
    expect(row('cohort_average').querySelector('[data-metric="spearman"]')).toHaveTextContent('—');
    expect(row('model').querySelector('[data-metric="top_tenth"]')).toHaveTextContent('52.5%');
    expect(screen.getByTestId('clv-losses')).toHaveTextContent('last_period does better: 0.420');
    // The BG/NBD counts purchase days (several orders on one day once): "purchases over 90 days" read as orders.
    expect(
      screen.getByRole('heading', { name: 'expected_purchases_90d: purchase days over 90 days' }),
    ).toBeInTheDocument();
    expect(screen.getByTestId('clv-folds')).toHaveTextContent(
      '1998-04-01 → 1998-06-30 (2,357 customers, actual 495 purchase days)',
    );
    // Session 13: the past-rate baseline of a purchase-day check read "own spend per day" (CDNOW's Models page).
    expect(row('past_rate')).toHaveTextContent(
      'baseline: the customer’s own purchase days per day so far, carried forward',
    );
    expect(row('past_rate')).not.toHaveTextContent('spend');
  });

  test('no CLV card yet, and a read error, without hiding the churn card', () => {
    render(ModelsPage, { data: { card, error: undefined, clv: { card: undefined, error: undefined } } } as never);
    expect(screen.getByTestId('clv-card-empty')).toBeInTheDocument();
    cleanup();
    render(ModelsPage, {
      data: {
        card,
        error: undefined,
        clv: { card: undefined, error: 'The CLV model card could not be read (request r3)' },
      },
    } as never);
    expect(screen.getByRole('alert')).toHaveTextContent('CLV model card could not be read');
    expect(screen.getByTestId('model-card')).toBeInTheDocument();
  });
});
