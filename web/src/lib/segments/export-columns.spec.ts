import { expect, test } from 'vitest';
import { memberExportColumns } from './export-columns.ts';

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
