import type { Row } from '../cube/types.ts';
import { formatCurrency, formatNumber, humanize } from '../format/format.ts';

/**
 * The customer 360 timeline: orders, interactions and deals merged into one list, newest first.
 * Pure, so the merge and its labels are unit-tested.
 */
export type TimelineKind = 'order' | 'interaction' | 'deal';

export interface TimelineItem {
  kind: TimelineKind;
  id: string;
  /** ISO timestamp the item is sorted by. */
  at: string;
  title: string;
  detail: string;
  /** Amount for orders and deals. */
  amount?: number;
  status?: string;
  notes?: string;
  /** The source only has a day (deals): show no time. */
  dateOnly?: boolean;
}

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/**
 * A source that only has days (CDNOW, many exports) loads each at midnight: showing "00:00 UTC" would
 * state a time of day the data never had. A midnight stamp is shown as its day (a real order placed
 * at exactly 00:00:00 loses only a time that says nothing).
 */
const atMidnight = (at: string): boolean => /[T ]00:00:00(\.0+)?Z?$/.test(at);

/** Rows the 360 page asks for per kind (customer360Queries), newest first, and the items it lists. */
export const TIMELINE_LIMITS: Readonly<Record<TimelineKind, number>> = { order: 200, interaction: 200, deal: 100 };
export const TIMELINE_SHOWN = 150;
const NAMES: Record<TimelineKind, string> = { order: 'orders', interaction: 'interactions', deal: 'deals' };

/**
 * The line under a timeline that does not show everything, or undefined. A kind whose query came
 * back full may have older rows that were never loaded: then the count of what was loaded is not
 * the customer's total, and the note says what was cut instead of "of 400" (it said "the latest
 * 150 of 200" for a customer with 350 orders).
 */
export function timelineNote(items: number, loaded: Readonly<Record<TimelineKind, number>>, kinds: readonly TimelineKind[]): string | undefined {
  const cut = kinds.filter((k) => loaded[k] >= TIMELINE_LIMITS[k]);
  const shown = Math.min(items, TIMELINE_SHOWN);
  if (cut.length === 0) return items > TIMELINE_SHOWN ? `Showing the latest ${TIMELINE_SHOWN} of ${formatNumber(items)}.` : undefined;
  const what = cut.map((k) => `${TIMELINE_LIMITS[k]} ${NAMES[k]}`).join(' and ');
  return `Showing ${formatNumber(shown)}: only the latest ${what} are loaded here; older ones, if any, are not shown.`;
}

export function buildTimeline(orders: Row[], interactions: Row[], deals: Row[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const o of orders) {
    // A credit-only order (a return loaded as credit lines, semantic/README.md) has no paid lines:
    // what it is worth is the money given back, shown negative.
    const credit = s(o['sales.order_status']) === 'credit';
    items.push({
      kind: 'order',
      id: s(o['sales.order_id']),
      at: s(o['sales.order_date']),
      title: `${credit ? 'Credit' : 'Order'} ${s(o['sales.order_id'])}`,
      detail: credit ? humanize(s(o['sales.sales_channel'])) : [humanize(s(o['sales.sales_channel'])), `${s(o['sales.order_lines']) || '?'} line(s)`].join(' · '),
      amount: credit ? -Number(o['sales.order_refunds']) : Number(o['sales.order_value']),
      status: s(o['sales.order_status']),
      dateOnly: atMidnight(s(o['sales.order_date'])),
    });
  }
  for (const i of interactions) {
    const subject = s(i['engagement.subject']);
    const type = humanize(s(i['engagement.interaction_type']));
    items.push({
      kind: 'interaction',
      id: s(i['engagement.interaction_id']),
      at: s(i['engagement.occurred_at']),
      dateOnly: atMidnight(s(i['engagement.occurred_at'])),
      // Sources often start the subject with the type already ("Call: follow-up").
      title: !subject ? type : subject.toLowerCase().startsWith(type.toLowerCase()) ? subject : `${type}: ${subject}`,
      detail: [humanize(s(i['engagement.channel'])), s(i['engagement.direction']), s(i['engagement.outcome']) && humanize(s(i['engagement.outcome'])), i['engagement.csat'] ? `CSAT ${s(i['engagement.csat'])}/5` : '']
        .filter(Boolean)
        .join(' · '),
    });
  }
  for (const d of deals) {
    const status = s(d['pipeline.deal_status']);
    const closed = s(d['pipeline.closed_at']);
    items.push({
      kind: 'deal',
      id: s(d['pipeline.opportunity_id']),
      at: closed || s(d['pipeline.created_at']),
      title: `Deal ${s(d['pipeline.deal_name']) || s(d['pipeline.opportunity_id'])}`,
      detail: [status === 'open' ? `Open · ${humanize(s(d['pipeline.stage']))}` : humanize(status), status === 'lost' && d['pipeline.loss_reason'] ? `reason: ${humanize(s(d['pipeline.loss_reason']))}` : '', formatCurrency(d['pipeline.deal_amount'] as string)]
        .filter(Boolean)
        .join(' · '),
      amount: Number(d['pipeline.deal_amount']),
      status,
      notes: s(d['pipeline.notes']) || undefined,
      dateOnly: true,
    });
  }
  return items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id)));
}

/** The model's reasons as a list ("a; b; c" → ["a", "b", "c"]). */
export const splitReasons = (text: unknown): string[] =>
  s(text)
    .split(';')
    .map((r) => r.trim())
    .filter(Boolean);
