/**
 * The churn-risk export says which day its recency days count to, as the segment export does:
 * days_since_last_purchase counts to the figures' as-of day (value_as_of: the data's end for an old
 * export), not to the day the file was downloaded.
 */
import { expect, test } from 'vitest';
import { csvStream, withUnits } from '../format/csv-stream.ts';
import { EXPORT_COLUMNS } from './queries.ts';

test('a days_counted_to column right after the days, from the as-of day, written as a plain date', async () => {
  const at = (h: string) => EXPORT_COLUMNS.findIndex(([header]) => header === h);
  expect(EXPORT_COLUMNS[at('days_counted_to')]?.[1]).toBe('customer_risk.value_as_of');
  expect(at('days_counted_to')).toBe(at('days_since_last_purchase') + 1);

  const columns = withUnits(
    EXPORT_COLUMNS,
    { 'customer_risk.days_since_last_purchase': 'days', 'customer_risk.value_as_of': 'date' },
    { currency: 'USD' },
  );
  const row = {
    'customer_risk.customer_id': 'C-1',
    'customer_risk.days_since_last_purchase': '212',
    'customer_risk.value_as_of': '1998-06-30T00:00:00.000',
  };
  async function* pages() {
    yield [row];
  }
  const text = await new Response(csvStream(columns, pages())).text();
  const [header, line] = text.replace(/^\uFEFF/, '').split('\r\n');
  const cells = Object.fromEntries(header.split(',').map((h, i) => [h, line.split(',')[i]]));
  // 1998-06-30 − 212 days = 1997-11-30: the last order's day the two columns give back.
  expect(
    new Date(Date.parse(`${cells.days_counted_to}T00:00:00Z`) - Number(cells.days_since_last_purchase) * 86_400_000)
      .toISOString()
      .slice(0, 10),
  ).toBe('1997-11-30');
  expect(cells.days_counted_to).toBe('1998-06-30');
});
