import { afterEach, expect, test } from 'vitest';
import { configureFormat } from './format.ts';
import { formatWords } from './format-words.ts';

afterEach(() => configureFormat({}));

test('amounts name the configured base currency', () => {
  expect(formatWords('currency')).toBe('amount in EUR (the base currency)');
  configureFormat({ currency: 'USD' });
  expect(formatWords('currency')).toBe('amount in USD (the base currency)');
  expect(formatWords('percent')).toBe('share, shown as a percentage');
  expect(formatWords('datetime')).toBe('datetime');
});

test('quantities (decimal since migration 024) say that decimals are shown where the data has them', () => {
  expect(formatWords('quantity')).toBe('units, hours or weight (decimals where the data has them)');
});
