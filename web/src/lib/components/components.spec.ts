// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Resource, ResourceState } from '$lib/cube/resource.svelte.ts';
import QueryLoad from './QueryLoad.svelte';
import KpiCard from './KpiCard.svelte';
import DataTable from './DataTable.svelte';
import DateField from './DateField.svelte';
import Pagination from './Pagination.svelte';
import Tabs from './Tabs.svelte';

afterEach(() => cleanup());

type Data = { rows: unknown[] };
function resource(state: ResourceState<Data>): Resource<Data> & { retry: () => void } {
  return { state, data: state.data, retry: vi.fn<() => void>() };
}
// Typed as the gate's generic children take it (unknown data).
const rowsSnippet = createRawSnippet((data: () => unknown) => ({ render: () => `<p>${(data() as Data).rows.length} rows</p>` }));

describe('QueryLoad: exactly one of four states', () => {
  test('loading shows a skeleton and marks the region busy', () => {
    const { container } = render(QueryLoad, { resource: resource({ status: 'loading', data: undefined, refreshing: true }), children: rowsSnippet });
    const gate = container.querySelector('[data-state]')!;
    expect(gate.getAttribute('data-state')).toBe('loading');
    expect(gate.getAttribute('aria-busy')).toBe('true');
    expect(screen.getByRole('status')).toHaveTextContent('Loading');
  });
  test('error shows the message and retries', async () => {
    const r = resource({ status: 'error', data: undefined, error: 'Cube said no', refreshing: false });
    render(QueryLoad, { resource: r, children: rowsSnippet });
    expect(screen.getByRole('alert')).toHaveTextContent('Cube said no');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(r.retry).toHaveBeenCalledOnce();
  });
  test('empty shows the empty text', () => {
    render(QueryLoad, { resource: resource({ status: 'empty', data: { rows: [] }, refreshing: false }), children: rowsSnippet, emptyText: 'Nothing here.' });
    expect(screen.getByText('Nothing here.')).toBeInTheDocument();
  });
  test('loaded renders the content with the data; refreshing dims it', () => {
    const { container } = render(QueryLoad, { resource: resource({ status: 'loaded', data: { rows: [1, 2, 3] }, refreshing: true }), children: rowsSnippet });
    expect(screen.getByText('3 rows')).toBeInTheDocument();
    expect(container.querySelector('.refreshing')).not.toBeNull();
  });
});

describe('KpiCard', () => {
  test('value, relative change and tone; raw value for tests', () => {
    render(KpiCard, { testid: 'kpi', label: 'Revenue', format: 'currency', value: '1200', previous: '1000' });
    const card = screen.getByTestId('kpi');
    expect(card).toHaveTextContent('€1,200');
    expect(card).toHaveTextContent('+20.0%');
    expect(card.querySelector('.change')).toHaveClass('good');
    expect(card.dataset.value).toBe('1200');
  });
  test('rates change in points; a rise is bad when goodWhen=down', () => {
    render(KpiCard, { testid: 'kpi', label: 'Churn', format: 'percent', value: 0.3, previous: 0.25, changeMode: 'points', goodWhen: 'down' });
    const card = screen.getByTestId('kpi');
    expect(card).toHaveTextContent('+5.0 pp');
    expect(card.querySelector('.change')).toHaveClass('bad');
  });
  test('the comparison is named: same period last year', () => {
    render(KpiCard, { testid: 'kpi', label: 'Revenue', format: 'currency', value: 900, previous: 1000, vs: 'vs same period last year' });
    const card = screen.getByTestId('kpi');
    expect(card).toHaveTextContent('−10.0% vs same period last year');
    expect(card.querySelector('.change')).toHaveClass('bad');
  });
  test('a comparison before the data starts shows the notice, not a percentage', () => {
    const notice = 'No data before 3 Jan 2025: comparison not available';
    render(KpiCard, { testid: 'kpi', label: 'Revenue', format: 'currency', value: 3045, previous: 1000, comparisonNotice: notice });
    const card = screen.getByTestId('kpi');
    expect(screen.getByTestId('kpi-comparison-notice')).toHaveTextContent(notice);
    expect(card).not.toHaveTextContent('%');
    expect(card.dataset.previous).toBe('');
    expect(card.dataset.value).toBe('3045');
  });
  test('snapshot KPIs show their note; clickable cards are buttons', async () => {
    const onclick = vi.fn();
    render(KpiCard, { testid: 'kpi', label: 'Churn rate', format: 'percent', value: 0.2, note: 'as of 31 Oct 2026', onclick });
    const card = screen.getByRole('button');
    expect(card).toHaveTextContent('as of 31 Oct 2026');
    await fireEvent.click(card);
    expect(onclick).toHaveBeenCalledOnce();
  });
});

describe('DataTable', () => {
  const columns = [
    { key: 'c.name', label: 'Name', href: (r: Record<string, unknown>) => `/customers/${r['c.id']}`, sortable: true },
    { key: 'c.ltv', label: 'LTV', format: 'currency' as const, sortable: true },
    { key: 'c.band', label: 'Band', format: 'label' as const },
  ];
  const rows = [{ 'c.id': 'C1', 'c.name': 'Anna', 'c.ltv': '1500', 'c.band': 'high' }];
  test('formats cells, links and reports sort clicks; aria-sort on the sorted column', async () => {
    const onsort = vi.fn();
    render(DataTable, { columns, rows, caption: 'Customers', sort: { key: 'c.ltv', dir: 'desc' }, onsort });
    expect(screen.getByRole('link', { name: 'Anna' })).toHaveAttribute('href', '/customers/C1');
    expect(screen.getByText('€1,500')).toBeInTheDocument();
    expect(screen.getByText('High')).toBeInTheDocument();
    expect(screen.getByRole('columnheader', { name: /LTV/ })).toHaveAttribute('aria-sort', 'descending');
    await fireEvent.click(screen.getByRole('button', { name: /Name/ }));
    expect(onsort).toHaveBeenCalledWith('c.name');
  });
});

describe('DataTable on a narrow box: columns move into a row detail', () => {
  // jsdom lays nothing out: the box is 500 px wide and every shown column takes 200 px.
  const columns = [
    { key: 'c.name', label: 'Name' },
    { key: 'c.email', label: 'E-mail', priority: 3 as const },
    { key: 'c.ltv', label: 'LTV', format: 'currency' as const, priority: 1 as const },
    { key: 'c.region', label: 'Region' },
  ];
  const rows = [{ 'c.id': 'C1', 'c.name': 'Anna', 'c.email': 'anna@example.com', 'c.ltv': '1500', 'c.region': 'DACH' }];
  beforeEach(() => {
    vi.stubGlobal('ResizeObserver', class {
      constructor(private cb: () => void) {}
      observe() { this.cb(); }
      disconnect() {}
    });
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(500);
    vi.spyOn(HTMLElement.prototype, 'scrollWidth', 'get').mockImplementation(function (this: HTMLElement) {
      return 200 * this.querySelectorAll('thead th').length;
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });
  test('the least important columns go into the detail; a button opens it from the keyboard', async () => {
    const { container } = render(DataTable, { columns, rows, caption: 'Customers', rowKey: 'c.id', testid: 't', rowTestid: 'row' });
    await vi.waitFor(() => expect(container.querySelector('[data-fit]')?.getAttribute('data-fit')).toBe('done'));
    // 4 columns × 200 > 500: E-mail (priority 3) first, then Region (priority 2); Name and LTV stay.
    expect([...container.querySelectorAll('thead th')].map((th) => th.textContent?.trim())).toEqual(['Name', 'LTV']);
    const detail = container.querySelector('tr[data-detail-for="C1"]') as HTMLElement;
    expect(detail.hidden).toBe(true);
    expect(detail).toHaveTextContent('anna@example.com');
    expect(detail).toHaveTextContent('DACH');
    const button = screen.getByRole('button', { name: /Show E-mail, Region for Anna/ });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveAttribute('aria-controls', detail.id);
    await fireEvent.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    expect(detail.hidden).toBe(false);
    expect(screen.getAllByTestId('row')).toHaveLength(1);
  });
});

describe('DateField: a day as pages write it, ISO out', () => {
  test('shows the ISO value as "5 Dec 2026"; accepts the shown format, refuses a day that does not exist', async () => {
    const onchange = vi.fn();
    render(DateField, { id: 'd', label: 'From', value: '2026-12-05', max: '2026-12-31', onchange, testid: 'd' });
    const input = screen.getByTestId('d') as HTMLInputElement;
    expect(input.value).toBe('5 Dec 2026');
    await fireEvent.input(input, { target: { value: '31 Feb 2026' } });
    await fireEvent.change(input);
    expect(screen.getByRole('alert')).toHaveTextContent('From: "31 Feb 2026" is not a date: write it like 5 Dec 2026 or 2026-12-05');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(onchange).not.toHaveBeenCalled();
    await fireEvent.input(input, { target: { value: '01/03/2026' } });
    await fireEvent.change(input);
    expect(onchange).toHaveBeenCalledWith('2026-03-01');
    expect(input.value).toBe('1 Mar 2026');
    expect(screen.queryByRole('alert')).toBeNull();
    await fireEvent.input(input, { target: { value: '2027-01-01' } });
    await fireEvent.change(input);
    expect(screen.getByRole('alert')).toHaveTextContent('From must be on or before 31 Dec 2026');
  });
});

describe('Pagination and Tabs', () => {
  test('pagination shows the range and disables what cannot move', async () => {
    const onpage = vi.fn();
    render(Pagination, { offset: 25, limit: 25, total: 60, count: 25, onpage });
    expect(screen.getByText(/26–50/)).toHaveTextContent('26–50 of 60');
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(onpage).toHaveBeenCalledWith(50);
    await fireEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(onpage).toHaveBeenCalledWith(0);
  });
  test('tabs: arrow keys move the selection', async () => {
    const onselect = vi.fn();
    render(Tabs, { label: 'By', tabs: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }], selected: 'a', onselect });
    const a = screen.getByRole('tab', { name: 'A' });
    expect(a).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: 'B' })).toHaveAttribute('tabindex', '-1');
    await fireEvent.keyDown(a, { key: 'ArrowRight' });
    expect(onselect).toHaveBeenCalledWith('b');
  });
});
