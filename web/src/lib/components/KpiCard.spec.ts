// @vitest-environment jsdom
import { afterEach, describe, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import KpiCard from './KpiCard.svelte';

afterEach(() => cleanup());

const help = { definition: 'Revenue of paid orders, before refunds.', period: '1 Dec 2025 – 30 Nov 2026.', comparison: 'The previous period, 1 Dec 2024 – 30 Nov 2025.' };

describe('KpiCard (i)', () => {
  test('a button, named after the card, shows the definition, period and comparison; Escape closes it', async () => {
    render(KpiCard, { testid: 'kpi', label: 'Revenue', format: 'currency', value: 1200, help });
    const info = screen.getByRole('button', { name: 'What is Revenue?' });
    const tip = screen.getByTestId('kpi-help');
    expect(info).toHaveAttribute('aria-expanded', 'false');
    expect(info).toHaveAttribute('aria-describedby', tip.id);
    expect(tip).not.toBeVisible();
    await fireEvent.click(info);
    expect(info).toHaveAttribute('aria-expanded', 'true');
    expect(tip).toBeVisible();
    expect(tip).toHaveTextContent('Revenue of paid orders, before refunds.');
    expect(tip).toHaveTextContent('Period: 1 Dec 2025 – 30 Nov 2026.');
    expect(tip).toHaveTextContent('Compared with: The previous period, 1 Dec 2024 – 30 Nov 2025.');
    await fireEvent.keyDown(info, { key: 'Escape' });
    expect(tip).not.toBeVisible();
  });

  test('the (i) does not open the drill; the card body still does', async () => {
    const onclick = vi.fn();
    render(KpiCard, { testid: 'kpi', label: 'Revenue', format: 'currency', value: 1200, help, onclick });
    await fireEvent.click(screen.getByRole('button', { name: 'What is Revenue?' }));
    expect(onclick).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: /€1,200/ }));
    expect(onclick).toHaveBeenCalledOnce();
  });

  test('text from the layer is text, never markup', () => {
    render(KpiCard, { testid: 'kpi', label: '<b>x</b>', format: 'number', value: 1, help: { ...help, definition: '<img src=x onerror=alert(1)>' } });
    expect(screen.getByTestId('kpi-help').querySelector('img')).toBeNull();
    expect(screen.getByTestId('kpi-help')).toHaveTextContent('<img src=x onerror=alert(1)>');
  });

  test('without help there is no (i)', () => {
    render(KpiCard, { testid: 'kpi', label: 'Revenue', format: 'currency', value: 1200 });
    expect(screen.queryByTestId('kpi-info')).toBeNull();
  });
});

// One compact rule for the product (lib/format/money.ts COMPACT_FROM = 10,000, 3 significant
// digits): a KPI card used to compact only from 1,000,000, so "€58,086" on a card sat beside
// "€58.1k" in the chart and table of the same figure.
describe('KpiCard values follow the product compact rule', () => {
  test.each([
    ['currency', 9_999, '€9,999'],
    ['currency', 10_000, '€10.0k'],
    ['currency', 58_086, '€58.1k'],
    ['currency', 1_234_567, '€1.23m'],
    ['number', 9_999, '9,999'],
    ['number', 12_345, '12.3k'],
  ] as const)('%s %d → %s, the exact figure in its title', (format, value, shown) => {
    render(KpiCard, { testid: 'kpi', label: 'X', format, value });
    const el = screen.getByTestId('kpi').querySelector('.value')!;
    expect(el.textContent?.trim()).toBe(shown);
    const full = format === 'currency' ? `€${value.toLocaleString('en-GB')}` : value.toLocaleString('en-GB');
    expect(el.getAttribute('title')).toBe(full);
  });
});

// A rate on 4 deals and a rate on 400 read the same: the count it rests on is the card's note,
// shown under the change too (it used to show only on cards without a comparison).
describe('KpiCard note beside a comparison', () => {
  test('the note shows under the change, as text', () => {
    render(KpiCard, { testid: 'kpi', label: 'Win rate', format: 'percent', changeMode: 'points', value: 0.75, previous: 0.5, note: '3 won of 4 closed deals (too few to compare)' });
    // 75% − 50% = +25.0 pp.
    expect(screen.getByTestId('kpi')).toHaveTextContent('+25.0 pp');
    expect(screen.getByTestId('kpi-note')).toHaveTextContent('3 won of 4 closed deals (too few to compare)');
  });

  test('without a comparison the note is where it was; without a note nothing is added', () => {
    render(KpiCard, { testid: 'a', label: 'Pipeline', format: 'currency', value: 1200, note: '4 open deals now' });
    expect(screen.getByTestId('a')).toHaveTextContent('4 open deals now');
    expect(screen.queryByTestId('a-note')).toBeNull();
    render(KpiCard, { testid: 'b', label: 'Revenue', format: 'currency', value: 1200, previous: 1000 });
    expect(screen.queryByTestId('b-note')).toBeNull();
  });
});

// The arrow and colour say what the shown change says: a change below the shown step is said
// ("+<0.1%": it is not "±0.0%", which means no change) but flat: no arrow, no colour.
describe('KpiCard change direction', () => {
  test.each([
    // 100,001 against 100,000: +0.001%, shown +<0.1%: no arrow, not green.
    ['relative', 100_001, 100_000, '+<0.1%', '', 'flat'],
    // 50.04% against 50.00%: +0.04 pp, shown +<0.1 pp.
    ['points', 0.5004, 0.5, '+<0.1 pp', '', 'flat'],
    ['points', 0.4996, 0.5, '−<0.1 pp', '', 'flat'],
    ['relative', 100, 100, '±0.0%', '', 'flat'],
    ['relative', 110, 100, '+10.0%', '▲', 'good'],
    ['relative', 99, 100, '−1.0%', '▼', 'bad'],
    ['points', 0.49, 0.5, '−1.0 pp', '▼', 'bad'],
  ] as const)('%s %d vs %d → %s', (changeMode, value, previous, text, arrow, tone) => {
    render(KpiCard, { testid: 'k', label: 'X', format: changeMode === 'points' ? 'percent' : 'number', changeMode, value, previous, vs: 'vs previous period' });
    const change = screen.getByTestId('k').querySelector('.change')!;
    expect(change.textContent).toContain(text);
    expect(change.querySelector('[aria-hidden="true"]')?.textContent ?? '').toBe(arrow);
    expect(change.classList.contains(tone)).toBe(true);
  });
});
