import { expect, test } from 'vitest';
import { exportRow, memberExportColumns } from './export-columns.ts';

const headers = (currency: string): string[] => memberExportColumns({ currency }).map(([h]) => h);

test('the money columns name the configured base currency, the others their unit', () => {
  const usd = headers('USD');
  expect(usd).toContain('lifetime_value_usd');
  expect(usd).toContain('predicted_clv_usd');
  expect(usd.filter((h) => h.endsWith('_eur'))).toEqual([]);
  expect(usd).toContain('churn_probability_pct');
  expect(usd).toContain('days_since_last_purchase');
  expect(headers('EUR').filter((h) => /_eur$/.test(h))).toEqual(['lifetime_value_eur', 'predicted_clv_eur']);
});

test('each money and days column carries its unit for the rounding', () => {
  const units = Object.fromEntries(memberExportColumns({ currency: 'GBP' }).map(([h, , unit]) => [h, unit]));
  expect(units).toMatchObject({ lifetime_value_gbp: 'money', predicted_clv_gbp: 'money', churn_probability_pct: 'percent', days_since_last_purchase: 'days', customer_id: undefined });
});

test('the file says which day the recency days count to, as a plain date', () => {
  const cols = memberExportColumns({ currency: 'EUR' });
  const at = (h: string) => cols.findIndex(([header]) => header === h);
  expect(cols[at('days_counted_to')]?.[1]).toBe('customer_base.value_as_of');
  expect(at('days_counted_to')).toBe(at('days_since_last_purchase') + 1);
  expect(exportRow({ 'customer_base.value_as_of': '1998-06-30T00:00:00.000', 'customer_base.customer_id': 'C-1' })).toEqual({ 'customer_base.value_as_of': '1998-06-30', 'customer_base.customer_id': 'C-1' });
  expect(exportRow({ 'customer_base.value_as_of': null })).toEqual({ 'customer_base.value_as_of': null });
});
