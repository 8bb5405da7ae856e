// @vitest-environment jsdom
/**
 * The lost-orders drill on the shared DrillDialog: the drill's deals with their causes in the data
 * beside the stated reason, joined by deal, and the note under the title; the causes shown as text.
 * The semantic layer is the network here (fetch answers the drill's and deal_risk's queries as
 * Cube would), so the dialog, both queries and the join are the real ones.
 */
import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, beforeAll, expect, test, vi } from 'vitest';
import type { Row } from '$lib/cube/types.ts';
import type { Drill } from '$lib/drill.ts';
import LostDealsDialog from './LostDealsDialog.svelte';
import { stubDialogsAndCube } from '$lib/components/dialog-spec-support.ts';

const DEALS: Row[] = [
  { 'pipeline.opportunity_id': 'D2', 'pipeline.customer_id': 'C02', 'pipeline.loss_reason': 'price' },
  { 'pipeline.opportunity_id': 'D9', 'pipeline.customer_id': 'C09', 'pipeline.loss_reason': 'timing' },
];
const CAUSES: Row[] = [
  { 'deal_risk.opportunity_id': 'D2', 'deal_risk.customer_id': 'C02', 'deal_risk.causes': 'no meeting <b>21</b> days; one contact', 'deal_risk.cause_effects': '0.18;0.05', 'deal_risk.disagreement': 'stated: price — data: no meeting' },
];
const drill: Drill = {
  title: 'Lost to price',
  query: { dimensions: ['pipeline.opportunity_id', 'pipeline.customer_id', 'pipeline.loss_reason'] },
  columns: [
    { key: 'pipeline.opportunity_id', label: 'Deal' },
    { key: 'pipeline.loss_reason', label: 'Stated reason' },
  ],
};

beforeAll(() => {
  stubDialogsAndCube((query) => (String(query.dimensions?.[0]).startsWith('deal_risk.') ? CAUSES : DEALS));
});
afterEach(() => cleanup());

test('each deal with its causes and the disagreement beside the stated reason; an unscored deal says so; text only', async () => {
  const { container } = render(LostDealsDialog, { drill, onclose: () => {} });
  await vi.waitFor(() => {
    const cell = container.querySelector('[data-testid="drill-table"] tbody tr [data-key="deal_causes.text"]');
    expect(cell?.textContent?.trim() ?? '…').not.toBe('…');
  });
  const headers = [...container.querySelectorAll('[data-testid="drill-table"] thead th')].map((th) => th.textContent?.trim());
  expect(headers.slice(0, 4)).toEqual(['Deal', 'Stated reason', 'Causes in the data', 'Stated vs data']);
  const cells = (key: string) => [...container.querySelectorAll(`[data-testid="drill-table"] tbody [data-key="${key}"]`)].map((td) => td.textContent?.trim());
  expect(cells('deal_causes.text')).toEqual(['no meeting <b>21</b> days (+18 pts)\none contact (+5.0 pts)', 'not scored yet']);
  expect(cells('deal_causes.disagreement')).toEqual(['stated: price — data: no meeting', '—']); // empty: the table's missing-value dash
  expect(container.querySelector('[data-testid="drill-table"] b')).toBeNull();
  expect(screen.getByTestId('drill-note')).toHaveTextContent('Causes in the data: the factors that add most');
});
