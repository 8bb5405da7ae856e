import { describe, expect, test } from 'vitest';
import { buildDictionary, definitionOf, labelOf, metricOf, searchDictionary, type MetaAnswer } from './dictionary.ts';

// The shape of Cube 0.33's /v1/meta for two views: what a view passes through (description, meta)
// and what it does not (format, an explicit title: the title is the view's and the member's name).
const meta: MetaAnswer = {
  cubes: [
    {
      name: 'sales',
      title: 'Sales',
      description: 'Paid orders.',
      type: 'view',
      measures: [
        { name: 'sales.revenue', title: 'Sales Revenue', shortTitle: 'Revenue', description: 'Revenue of paid orders, before refunds.', type: 'number', meta: { label: 'Revenue', format: 'currency' } },
        { name: 'sales.average_order_value', title: 'Sales Average Order Value', shortTitle: 'Average Order Value', description: 'Revenue ÷ paid orders.', type: 'number', meta: { label: 'Average order value', format: 'currency' } },
        { name: 'sales.items_sold', title: 'Sales Items Sold', shortTitle: 'Items Sold', description: 'Units.', type: 'number' },
        { name: 'sales.hidden', shortTitle: 'Hidden', description: 'Not public.', isVisible: false },
      ],
      dimensions: [{ name: 'sales.order_date', shortTitle: 'Order Date', type: 'time', description: 'When.' }],
    },
    {
      name: 'customer_risk',
      title: 'Customer Risk',
      description: 'Churn risk.',
      measures: [{ name: 'customer_risk.value_at_risk', shortTitle: 'Value At Risk', description: 'Churn probability × predicted 12-month CLV, summed.', meta: { label: 'Value at risk', format: 'currency' } }],
      dimensions: [{ name: 'customer_risk.churn_value_at_risk', type: 'number', shortTitle: 'Churn Value At Risk', description: 'Per customer.', meta: { label: 'Value at risk', format: 'currency' } }],
    },
    { name: 'empty_view', title: 'Empty', measures: [], dimensions: [{ name: 'empty_view.x', type: 'string' }] },
  ],
};

describe('buildDictionary', () => {
  const dict = buildDictionary(meta);

  test('label and format from meta, the description as the definition', () => {
    expect(metricOf(dict, 'sales.revenue')).toEqual({ name: 'sales.revenue', view: 'sales', kind: 'measure', label: 'Revenue', description: 'Revenue of paid orders, before refunds.', format: 'currency' });
    expect(metricOf(dict, 'sales.average_order_value').label).toBe('Average order value');
  });

  test('a member without meta gets its short title in sentence case and a number format', () => {
    expect(metricOf(dict, 'sales.items_sold')).toMatchObject({ label: 'Items sold', format: 'number' });
  });

  test('hidden members and unlabelled dimensions stay out; labelled dimensions are in', () => {
    expect(dict.byName.has('sales.hidden')).toBe(false);
    expect(dict.byName.has('sales.order_date')).toBe(false);
    expect(metricOf(dict, 'customer_risk.churn_value_at_risk')).toMatchObject({ kind: 'dimension', label: 'Value at risk', format: 'currency' });
  });

  test('groups by view in /meta order, measures by label; views without measures are left out', () => {
    expect(dict.groups.map((g) => g.view)).toEqual(['sales', 'customer_risk']);
    expect(dict.groups[0].metrics.map((m) => m.label)).toEqual(['Average order value', 'Items sold', 'Revenue']);
    expect(dict.groups[1].metrics.map((m) => m.name)).toEqual(['customer_risk.value_at_risk']);
  });

  test('an unknown member is an error naming it; the helpers fall back while loading', () => {
    expect(() => metricOf(dict, 'sales.nope')).toThrow('the semantic layer defines no measure sales.nope');
    expect(labelOf(undefined, 'sales.revenue', '…')).toBe('…');
    expect(labelOf(dict, 'sales.revenue')).toBe('Revenue');
    expect(definitionOf(dict, 'customer_risk.value_at_risk')).toBe('Churn probability × predicted 12-month CLV, summed.');
    expect(definitionOf(undefined, 'sales.revenue')).toBe('');
  });

  test('a /meta answer without cubes is refused with a clear message', () => {
    expect(() => buildDictionary({} as MetaAnswer)).toThrow('the semantic layer’s /meta answer has no cubes list');
  });
});

describe('searchDictionary', () => {
  const { groups } = buildDictionary(meta);
  test.each([
    ['', ['sales.average_order_value', 'sales.items_sold', 'sales.revenue', 'customer_risk.value_at_risk']],
    ['revenue', ['sales.average_order_value', 'sales.revenue']],
    ['REFUNDS', ['sales.revenue']],
    ['clv churn', ['customer_risk.value_at_risk']],
    ['risk', ['customer_risk.value_at_risk']],
    ['nothing like this', []],
  ])('%s', (text, names) => {
    expect(searchDictionary(groups, text).flatMap((g) => g.metrics.map((m) => m.name))).toEqual(names);
  });
  test('accents and case are ignored; empty groups are dropped', () => {
    const found = searchDictionary(groups, 'ÓRDER');
    expect(found.map((g) => g.view)).toEqual(['sales']);
  });
});
