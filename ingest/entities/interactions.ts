import type { EntitySpec } from './types.ts';

export const INTERACTION_TYPES = [
  'email_sent', 'email_open', 'email_click', 'call', 'meeting', 'web_visit', 'support_ticket', 'complaint', 'chat', 'campaign_response',
] as const;

export const interactions: EntitySpec = {
  name: 'interactions',
  table: 'interactions',
  key: ['source', 'interaction_id'],
  idField: 'interaction_id',
  resolvesCustomer: true,
  firstSeenField: 'occurred_at',
  movableSortColumns: ['customer_id', 'occurred_at'],
  sourceIsColumn: true,
  derive: { id: true },
  fields: [
    { name: 'source', type: 'id', required: true, doc: 'system the touchpoint comes from' },
    { name: 'interaction_id', type: 'id', required: true, doc: 'id unique within the source' },
    { name: 'customer_ref', type: 'id', required: true, doc: "the customer's source_id in the same source" },
    { name: 'occurred_at', type: 'datetime', required: true, doc: 'when it happened' },
    { name: 'type', type: 'enum', required: true, values: INTERACTION_TYPES, doc: INTERACTION_TYPES.join(' | ') },
    { name: 'channel', type: 'string', doc: 'email, phone, web, store, …' },
    { name: 'direction', type: 'enum', values: ['inbound', 'outbound'], doc: 'inbound | outbound (empty allowed)' },
    { name: 'outcome', type: 'string', doc: 'resolved, no_answer, positive, …' },
    { name: 'csat', type: 'int', min: 1, max: 5, nullable: true, doc: 'satisfaction score 1–5 when the source has one' },
    { name: 'campaign_id', type: 'id', doc: 'campaign the touchpoint belongs to' },
    { name: 'owner_id', type: 'id', doc: 'employee who handled it' },
    { name: 'subject', type: 'string', doc: 'subject line or title' },
    { name: 'duration_seconds', type: 'int', min: 0, max: 4294967295, default: '0', doc: 'length of calls, meetings, chats (≥ 0)' },
  ],
};
