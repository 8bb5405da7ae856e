import { describe, expect, test } from 'vitest';
import { bandBars, ownerBars, valueAtRiskOption } from './value-at-risk-chart.ts';

const bandRows = [
  { 'customer_risk.risk_band': 'low', 'customer_risk.value_at_risk': '1200.5', 'customer_risk.scored_customers': '40' },
  { 'customer_risk.risk_band': 'high', 'customer_risk.value_at_risk': '98000', 'customer_risk.scored_customers': '7' },
];

describe('value at risk by band and owner', () => {
  test('bands in high, medium, low order; a band without rows is an empty bar', () => {
    expect(bandBars(bandRows)).toEqual([
      { key: 'high', label: 'High', value: 98000, customers: 7 },
      { key: 'medium', label: 'Medium', value: 0, customers: 0 },
      { key: 'low', label: 'Low', value: 1200.5, customers: 40 },
    ]);
  });
  test('owners keep the query order and get their names; unknown ids stay ids', () => {
    const rows = [
      { 'customer_risk.owner_id': 'U-2', 'customer_risk.value_at_risk': '500', 'customer_risk.scored_customers': '3' },
      { 'customer_risk.owner_id': 'U-9', 'customer_risk.value_at_risk': '100', 'customer_risk.scored_customers': '1' },
      { 'customer_risk.owner_id': null, 'customer_risk.value_at_risk': '50', 'customer_risk.scored_customers': '1' },
    ];
    expect(ownerBars(rows, new Map([['U-2', 'Ada Lovelace']])).map((b) => [b.key, b.label, b.value])).toEqual([
      ['U-2', 'Ada Lovelace', 500],
      ['U-9', 'U-9', 100],
      ['', 'No owner', 50],
    ]);
  });
  test('lapsed customers have no value-at-risk bar; an owner bar counts the active customers it sums', () => {
    expect(bandBars([...bandRows, { 'customer_risk.risk_band': 'lapsed', 'customer_risk.value_at_risk': null, 'customer_risk.scored_customers': '900' }]).map((b) => b.key)).toEqual(['high', 'medium', 'low']);
    const [bar] = ownerBars([{ 'customer_risk.owner_id': 'U-2', 'customer_risk.value_at_risk': '500', 'customer_risk.active_scored_customers': '3' }], new Map());
    expect(bar.customers).toBe(3);
  });
  test('band colours; the tooltip shows the label, amount and customers, escaped', () => {
    const bars = [{ key: 'U-1', label: '<img src=x onerror=alert(1)> & Co', value: 12345, customers: 2 }];
    const o = valueAtRiskOption(bars) as { tooltip: { formatter: (p: unknown) => string }; series: { data: { value: number }[] }[] };
    const html = o.tooltip.formatter([{ dataIndex: 0 }]);
    expect(html).toBe('<strong>&lt;img src=x onerror=alert(1)&gt; &amp; Co</strong><br/>Value at risk €12,345<br/>2 active customers');
    expect(o.series[0].data.map((d) => d.value)).toEqual([12345]);
    const banded = valueAtRiskOption(bandBars(bandRows), { byBand: true }) as { series: { data: { itemStyle: { color: string } }[] }[] };
    expect(banded.series[0].data.map((d) => d.itemStyle.color)).toEqual(['#dc2626', '#d97706', '#059669']);
  });
});
