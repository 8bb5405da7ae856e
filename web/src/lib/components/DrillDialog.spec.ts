// @vitest-environment jsdom
/**
 * The shared drill dialog: the plain table by default; with `table` and `note` (the lost-orders
 * drill's causes) the page's rows go to the snippet and the note is shown, as text. The semantic
 * layer is the network here (fetch stubbed with Cube's answer), so the dialog, its query and
 * paging are the real ones. jsdom has no modal dialogs: showModal/close are made to toggle `open`.
 */
import { cleanup, render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Row } from '$lib/cube/types.ts';
import type { Column, Drill } from '$lib/drill.ts';
import DrillDialog from './DrillDialog.svelte';
import { stubDialogsAndCube } from './dialog-spec-support.ts';

const ROWS: Row[] = [
  { 'pipeline.opportunity_id': 'o-1', 'pipeline.deal_amount': '1200' },
  { 'pipeline.opportunity_id': 'o-2', 'pipeline.deal_amount': '800' },
];
const drill = (title: string): Drill => ({
  title,
  description: 'Closed in November',
  query: { dimensions: ['pipeline.opportunity_id', 'pipeline.deal_amount'], order: [['pipeline.deal_amount', 'desc']] },
  columns: [
    { key: 'pipeline.opportunity_id', label: 'Deal' },
    { key: 'pipeline.deal_amount', label: 'Amount' },
  ],
});

let loads: unknown[] = [];
beforeAll(() => {
  loads = stubDialogsAndCube(() => ROWS);
});
afterEach(() => cleanup());

describe('DrillDialog', () => {
  test('plain: the drill rows in the drill table, 50 a page, with the total asked for', async () => {
    render(DrillDialog, { drill: drill('Lost deals'), onclose: () => {} });
    expect(await screen.findByText('o-2')).toBeInTheDocument();
    expect(screen.getByTestId('drill-table')).toBeInTheDocument();
    expect(screen.queryByTestId('drill-note')).toBeNull();
    expect(loads.at(-1)).toMatchObject({ limit: 50, offset: 0, total: true });
  });

  test('with a table snippet and a note: the snippet gets the page rows, columns and caption; the note is text', async () => {
    const seen: { rows: Row[]; columns: Column[]; caption: string }[] = [];
    const table = createRawSnippet((args: () => { rows: Row[]; columns: Column[]; caption: string }) => ({
      render: () => {
        seen.push(args());
        return `<p data-testid="custom-table">${args().rows.length} deals</p>`;
      },
    }));
    const note = 'Causes <b>in</b> the data';
    render(DrillDialog, { drill: drill('Lost to price'), onclose: () => {}, note, table });
    expect(await screen.findByTestId('custom-table')).toHaveTextContent('2 deals');
    expect(screen.queryByTestId('drill-table')).toBeNull();
    expect(seen.at(-1)?.rows.map((r) => r['pipeline.opportunity_id'])).toEqual(['o-1', 'o-2']);
    expect(seen.at(-1)?.columns.map((c) => c.key)).toEqual(['pipeline.opportunity_id', 'pipeline.deal_amount']);
    expect(seen.at(-1)?.caption).toBe('Lost to price');
    expect(screen.getByTestId('drill-note').textContent).toBe(note);
    expect(screen.getByTestId('drill-dialog').querySelector('b')).toBeNull();
  });
});

describe('DrillDialog rows note', () => {
  test('a drill whose note needs the answer shows it above the rows, as text', async () => {
    const withNote: Drill = { ...drill('Lapsed'), rowsNote: (rows) => `${rows.length} rows <i>counted</i> to 30 Jun 1998` };
    render(DrillDialog, { drill: withNote, onclose: () => {} });
    expect(await screen.findByTestId('drill-rows-note')).toHaveTextContent('2 rows <i>counted</i> to 30 Jun 1998');
    expect(screen.getByTestId('drill-dialog').querySelector('i')).toBeNull();
  });

  test('no note when the drill has none', async () => {
    render(DrillDialog, { drill: drill('Plain'), onclose: () => {} });
    expect(await screen.findByText('o-2')).toBeInTheDocument();
    expect(screen.queryByTestId('drill-rows-note')).toBeNull();
  });
});
