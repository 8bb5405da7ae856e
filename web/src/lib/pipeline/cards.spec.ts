import { describe, expect, test } from 'vitest';
import { pipelineCards } from './cards.ts';

// The four cards of /pipeline (open deals scored, open value, value at risk, expected won value).
// The CDNOW sample has no deals and no win/loss run: the page read "0 · latest win/loss run",
// "Open value $0", "Pipeline value at risk $0" — a run that scored nothing and a risk of zero,
// where the truth is that there are no deals and no model.
describe('the open deals cards', () => {
  test('no open deals and no run: no figure, the reason instead', () => {
    const c = pipelineCards({ hasRun: false, scored: undefined, scoredValue: undefined, valueAtRisk: undefined, expectedWon: undefined, open: '0', openValue: null, filtered: false });
    expect([c.scored.value, c.openValue.value, c.valueAtRisk.value, c.expectedWon.value]).toEqual([null, null, null, null]);
    expect(c.scored.note).toBe('no open deals loaded');
    expect(c.valueAtRisk.note).toBe('no open deals loaded');
  });

  test('filtered to nothing: says the view, not the data', () => {
    const c = pipelineCards({ hasRun: true, scored: '0', scoredValue: null, valueAtRisk: null, expectedWon: null, open: '0', openValue: null, filtered: true });
    expect(c.scored).toEqual({ value: null, note: 'no open deals in this view' });
  });

  test('open deals but no win/loss run yet: the open deals are counted, the risk is unknown (not 0)', () => {
    // 40 open deals worth 1,234,567: the run that would score them has not happened.
    const c = pipelineCards({ hasRun: false, scored: undefined, scoredValue: undefined, valueAtRisk: undefined, expectedWon: undefined, open: '40', openValue: '1234567', filtered: false });
    expect(c.scored).toEqual({ value: null, note: 'no win/loss run yet: 40 open deals not scored' });
    expect(c.openValue).toEqual({ value: 1234567, note: 'all open deals (none scored)' });
    expect(c.valueAtRisk).toEqual({ value: null, note: 'no win/loss run yet' });
    expect(c.expectedWon).toEqual({ value: null, note: 'no win/loss run yet' });
  });

  test('some deals scored: the risk figures say they are of the scored deals only', () => {
    // The demo: 987 of 1,040 scored; value at risk 28.5m over the 987.
    const c = pipelineCards({ hasRun: true, scored: '987', scoredValue: '44700000', valueAtRisk: '28500000', expectedWon: '16200000', open: '1040', openValue: '47697298', filtered: false });
    expect(c.scored).toEqual({ value: 987, note: 'of 1,040 open deals: 53 not scored by the latest run' });
    expect(c.openValue).toEqual({ value: 44_700_000, note: "sum of the scored deals' amounts; all open deals: €47.7m" });
    expect(c.valueAtRisk).toEqual({ value: 28_500_000, note: 'amount × (1 − win probability), the 987 scored deals' });
    expect(c.expectedWon).toEqual({ value: 16_200_000, note: 'amount × win probability, the 987 scored deals' });
  });

  test('every open deal scored: the plain notes', () => {
    const c = pipelineCards({ hasRun: true, scored: '5', scoredValue: '100', valueAtRisk: '60', expectedWon: '40', open: '5', openValue: '100', filtered: false });
    expect(c.scored).toEqual({ value: 5, note: 'latest win/loss run' });
    expect(c.valueAtRisk).toEqual({ value: 60, note: 'amount × (1 − win probability)' });
  });

  test('answers still loading: nothing is claimed', () => {
    const c = pipelineCards({ hasRun: undefined, scored: '5', scoredValue: '100', valueAtRisk: '60', expectedWon: '40', open: undefined, openValue: undefined, filtered: false });
    expect(c.scored).toEqual({ value: 5, note: 'latest win/loss run' });
  });
});
