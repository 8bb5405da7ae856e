import { describe, expect, test } from 'vitest';
import { buildTimeline, splitReasons, timelineNote } from './timeline.ts';

test('orders, interactions and deals merge newest first; deals sort by close date', () => {
  const items = buildTimeline(
    [{ 'sales.order_id': 'O1', 'sales.order_date': '2026-01-10T10:00:00.000', 'sales.order_value': '120.5', 'sales.order_status': 'completed', 'sales.sales_channel': 'web', 'sales.order_lines': 2 }],
    [{ 'engagement.interaction_id': 'I1', 'engagement.occurred_at': '2026-02-01T09:00:00.000', 'engagement.interaction_type': 'support_ticket', 'engagement.channel': 'email', 'engagement.direction': 'inbound', 'engagement.outcome': 'resolved', 'engagement.subject': 'Late delivery', 'engagement.csat': 2 }],
    [
      { 'pipeline.opportunity_id': 'D1', 'pipeline.deal_name': 'Renewal', 'pipeline.created_at': '2025-12-01T00:00:00.000', 'pipeline.closed_at': '2026-03-01T00:00:00.000', 'pipeline.deal_status': 'lost', 'pipeline.stage': 'closed_lost', 'pipeline.loss_reason': 'price', 'pipeline.deal_amount': '5000', 'pipeline.notes': 'Too expensive' },
      { 'pipeline.opportunity_id': 'D2', 'pipeline.deal_name': 'Upsell', 'pipeline.created_at': '2025-11-01T00:00:00.000', 'pipeline.closed_at': null, 'pipeline.deal_status': 'open', 'pipeline.stage': 'proposal', 'pipeline.deal_amount': '800' },
    ],
  );
  expect(items.map((i) => i.id)).toEqual(['D1', 'I1', 'O1', 'D2']);
  expect(items[0]).toMatchObject({ kind: 'deal', title: 'Deal Renewal', notes: 'Too expensive' });
  expect(items[0].detail).toContain('reason: Price');
  expect(items[1].title).toBe('Support ticket: Late delivery');
  expect(items[1].detail).toContain('CSAT 2/5');
  expect(items[2]).toMatchObject({ amount: 120.5, status: 'completed' });
  expect(items[3].detail).toContain('Open · Proposal');
});

test('a credit-only order shows the money given back, negative', () => {
  const [item] = buildTimeline(
    [{ 'sales.order_id': 'C536379', 'sales.order_date': '2010-12-01T09:41:00.000', 'sales.order_value': '0', 'sales.order_refunds': '27.5', 'sales.order_status': 'credit', 'sales.sales_channel': '', 'sales.order_lines': 0 }],
    [],
    [],
  );
  expect(item).toMatchObject({ kind: 'order', title: 'Credit C536379', amount: -27.5, status: 'credit' });
});

test('a subject that already names the type is not prefixed twice', () => {
  const [item] = buildTimeline([], [{ 'engagement.interaction_id': 'I9', 'engagement.occurred_at': '2026-01-01T00:00:00.000', 'engagement.interaction_type': 'call', 'engagement.subject': 'Call: account review' }], []);
  expect(item.title).toBe('Call: account review');
});

test('reasons split on semicolons', () => {
  expect(splitReasons('no purchase for 90 days; 2 complaints ;')).toEqual(['no purchase for 90 days', '2 complaints']);
  expect(splitReasons(null)).toEqual([]);
});

describe('timelineNote says what a cut timeline leaves out', () => {
  const none = { order: 0, interaction: 0, deal: 0 };
  const all = ['order', 'interaction', 'deal'] as const;
  test('everything loaded and shown: no note', () => {
    expect(timelineNote(150, { ...none, order: 120, interaction: 30 }, all)).toBeUndefined();
  });
  test('everything loaded, more than shown: the total is the customer’s', () => {
    expect(timelineNote(190, { order: 120, interaction: 60, deal: 10 }, all)).toBe('Showing the latest 150 of 190.');
  });
  test('a full query: no total, and the kind that was cut is named (it said "150 of 200" for 350 orders)', () => {
    expect(timelineNote(200, { ...none, order: 200 }, ['order'])).toBe(
      'Showing 150: only the latest 200 orders are loaded here; older ones, if any, are not shown.',
    );
    expect(timelineNote(330, { order: 200, interaction: 30, deal: 100 }, all)).toBe(
      'Showing 150: only the latest 200 orders and 100 deals are loaded here; older ones, if any, are not shown.',
    );
  });
  test('a cut kind outside the tab in view does not count', () => {
    expect(timelineNote(30, { order: 200, interaction: 30, deal: 0 }, ['interaction'])).toBeUndefined();
  });
  test('a full deals query shorter than the list still says so', () => {
    expect(timelineNote(100, { ...none, deal: 100 }, ['deal'])).toBe(
      'Showing 100: only the latest 100 deals are loaded here; older ones, if any, are not shown.',
    );
  });
});

test('an order or interaction stamped at midnight is shown as its day: a days-only source (CDNOW) has no time of day', () => {
  const items = buildTimeline(
    [
      { 'sales.order_id': 'O1', 'sales.order_date': '1997-04-11T00:00:00.000', 'sales.order_value': '65', 'sales.order_status': 'completed', 'sales.order_lines': 1 },
      { 'sales.order_id': 'O2', 'sales.order_date': '1997-04-12T23:30:00.000', 'sales.order_value': '10', 'sales.order_status': 'completed', 'sales.order_lines': 1 },
    ],
    [{ 'engagement.interaction_id': 'I1', 'engagement.occurred_at': '1997-04-10 00:00:00', 'engagement.interaction_type': 'call' }],
    [],
  );
  expect(Object.fromEntries(items.map((i) => [i.id, Boolean(i.dateOnly)]))).toEqual({ O2: false, O1: true, I1: true });
});
