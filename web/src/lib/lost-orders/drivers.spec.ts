import { expect, test } from 'vitest';
import type { Row } from '../cube/types.ts';
import { ALL_DEALS, candidateSlices, ciText, driversQuery, driverSentence, effectText, pickSlice, sliceNotes, toDriver } from './drivers.ts';

const f = { owner: '', region: '', channel: '', segment: '' };

test.each([
  [{ ...f }, undefined, [ALL_DEALS]],
  [{ ...f, region: 'DACH' }, undefined, [{ dim: 'region', value: 'DACH' }, ALL_DEALS]],
  [{ ...f, owner: 'U-OWN-02', region: 'DACH' }, undefined, [{ dim: 'owner', value: 'U-OWN-02' }, { dim: 'region', value: 'DACH' }, ALL_DEALS]],
  // A signed-in owner's own slice comes first, whatever ?owner= says.
  [{ ...f, owner: 'U-OWN-02' }, 'U-OWN-01', [{ dim: 'owner', value: 'U-OWN-01' }, ALL_DEALS]],
] as const)('slices to try for %o (owner %s)', (filters, owner, expected) => expect(candidateSlices(filters, owner)).toEqual(expected));

test('one query for every candidate slice; significant only unless asked', () => {
  const q = driversQuery([{ dim: 'region', value: 'DACH' }, ALL_DEALS], true);
  expect(q.filters).toEqual([
    {
      or: [
        { and: [{ member: 'loss_drivers.slice_dim', operator: 'equals', values: ['region'] }, { member: 'loss_drivers.slice_value', operator: 'equals', values: ['DACH'] }] },
        { and: [{ member: 'loss_drivers.slice_dim', operator: 'equals', values: ['all'] }] },
      ],
    },
    { member: 'loss_drivers.is_significant', operator: 'equals', values: ['true'] },
  ]);
  expect(q.dimensions).toContain('loss_drivers.driver_rank'); // Cube orders only by members it selects
  expect(driversQuery([ALL_DEALS], false).filters).toHaveLength(1);
});

const row = (dim: string, value: string, factor: string, effect: number): Row => ({
  'loss_drivers.slice_dim': dim,
  'loss_drivers.slice_value': value,
  'loss_drivers.factor': factor,
  'loss_drivers.factor_label': `label ${factor}`,
  'loss_drivers.direction': effect >= 1 ? 'loss' : 'win',
  'loss_drivers.effect': String(effect),
  'loss_drivers.ci_low': '1.9',
  'loss_drivers.ci_high': '2.8',
  'loss_drivers.deals_with': '412',
  'loss_drivers.deals_behind': '1912',
  'loss_drivers.is_significant': true,
});

test('the most specific slice with rows wins, and the panel says when it fell back', () => {
  const slices = candidateSlices({ ...f, region: 'DACH' });
  const rows = [row('all', '', 'a', 2.3), row('region', 'Nordics', 'b', 1.5)];
  const picked = pickSlice(rows, slices);
  expect(picked?.slice).toEqual(ALL_DEALS);
  expect(picked?.rows.map((r) => r['loss_drivers.factor'])).toEqual(['a']);
  expect(sliceNotes({ ...f, region: 'DACH' }, slices, picked?.slice)[0]).toBe('Too few closed deals in DACH to estimate drivers: showing all deals.');
  expect(pickSlice([row('region', 'DACH', 'b', 1.5), ...rows], slices)?.slice).toEqual({ dim: 'region', value: 'DACH' });
  expect(pickSlice([], slices)).toBeUndefined();
});

test('filters no slice can honour are named', () => {
  const notes = sliceNotes({ ...f, channel: 'web', owner: 'U1', region: 'DACH' }, candidateSlices({ owner: 'U1', region: 'DACH' }), { dim: 'owner', value: 'U1' }, (id) => `Owner ${id}`);
  expect(notes).toContain('Drivers are estimated per owner or per region, not both: the region filter is not applied here.');
  expect(notes).toContain('Not filtered by channel (drivers are estimated per region, product or owner).');
  expect(notes.at(-1)).toMatch(/not only the selected period/);
});

test('the sentence the issue asks for', () => {
  const d = toDriver(row('all', '', 'no_meeting_21d', 2.3));
  expect(d).toMatchObject({ effect: 2.3, ciLow: 1.9, ciHigh: 2.8, n: 1912, nWith: 412, significant: true, direction: 'loss' });
  expect(driverSentence(d)).toBe('label no_meeting_21d: lost 2.3× as often, 95% CI 1.9–2.8×, n = 1,912');
  expect(effectText({ effect: 0.6 })).toBe('lost 0.60× as often (less)');
  expect(ciText({ ciLow: 0.45, ciHigh: 0.8 })).toBe('95% CI 0.45–0.80×');
});

test('a ratio below one never reads as no change', () => {
  // 0.96 was "lost 1.0× as often (less)" and an interval 0.96–1.04 was "1.0–1.0×".
  expect(effectText({ effect: 0.96 })).toBe('lost 0.96× as often (less)');
  expect(ciText({ ciLow: 0.96, ciHigh: 1.04 })).toBe('95% CI 0.960–1.04×');
});

test('an interval is never shown as a point', () => {
  // no_meeting_21d on the demo data: 1.2527–1.3285 read "95% CI 1.3–1.3×".
  expect(ciText({ ciLow: 1.2526924016875771, ciHigh: 1.3284928947723733 })).toBe('95% CI 1.25–1.33×');
  expect(toDriver({ ...row('all', '', 'x', 1.1), 'loss_drivers.is_significant': 'false' }).significant).toBe(false);
});
