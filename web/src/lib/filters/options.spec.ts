import { expect, test } from 'vitest';
import { toOptions } from './options.ts';

test('options: distinct, non-empty, labelled', () => {
  const rows = [
    { 'customer_base.owner_id': 'U-OWN-01', 'customer_base.owner_name': 'Anna' },
    { 'customer_base.owner_id': 'U-OWN-01', 'customer_base.owner_name': 'Anna' },
    { 'customer_base.owner_id': '', 'customer_base.owner_name': null },
    { 'customer_base.owner_id': 'U-OWN-02', 'customer_base.owner_name': null },
  ];
  expect(toOptions(rows, 'customer_base.owner_id', 'customer_base.owner_name')).toEqual([
    { value: 'U-OWN-01', label: 'Anna' },
    { value: 'U-OWN-02', label: 'U-OWN-02' },
  ]);
});
