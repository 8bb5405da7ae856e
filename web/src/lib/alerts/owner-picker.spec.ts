import { expect, test } from 'vitest';
import { ownerChoices } from './owner-picker.ts';

const row = (id: string | null, name: string | null) => ({ 'customer_base.owner_id': id, 'customer_base.owner_name': name, 'customer_base.customers': 3 });

test('one choice per owner, by name, sorted by name', () => {
  expect(ownerChoices([row('U-OWN-02', 'Zoe Brandt'), row('U-OWN-01', 'Anna Meier'), row('U-OWN-01', 'Anna Meier')])).toEqual([
    { id: 'U-OWN-01', label: 'Anna Meier' },
    { id: 'U-OWN-02', label: 'Zoe Brandt' },
  ]);
});

test.each([
  ['no owner id', [row(null, 'Ghost'), row('', 'Blank'), row('  ', 'Space')], []],
  ['no name: the id', [row('U-OWN-09', null), row('U-OWN-08', '')], [{ id: 'U-OWN-08', label: 'U-OWN-08' }, { id: 'U-OWN-09', label: 'U-OWN-09' }]],
  ['the same name twice: with the ids', [row('U-OWN-04', 'Sam Lee'), row('U-OWN-03', 'Sam Lee')], [{ id: 'U-OWN-03', label: 'Sam Lee (U-OWN-03)' }, { id: 'U-OWN-04', label: 'Sam Lee (U-OWN-04)' }]],
])('%s', (_what, rows, expected) => expect(ownerChoices(rows)).toEqual(expected));

test('the owner in the URL stays a choice, under its id, when the semantic layer does not list it', () => {
  expect(ownerChoices([row('U-OWN-01', 'Anna Meier')], 'U-OWN-77')).toEqual([
    { id: 'U-OWN-01', label: 'Anna Meier' },
    { id: 'U-OWN-77', label: 'U-OWN-77' },
  ]);
  expect(ownerChoices([row('U-OWN-01', 'Anna Meier')], 'U-OWN-01')).toEqual([{ id: 'U-OWN-01', label: 'Anna Meier' }]);
});
