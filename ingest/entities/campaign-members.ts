import type { EntitySpec } from './types.ts';

export const campaignMembers: EntitySpec = {
  name: 'campaign_members',
  table: 'campaign_members',
  // One row per campaign and resolved customer (the table's sort key); source + customer_ref name it.
  key: ['campaign_id', 'source', 'customer_ref'],
  keyColumns: ['campaign_id', 'customer_id'],
  idField: 'customer_ref',
  resolvesCustomer: true,
  sourceIsColumn: false,
  fields: [
    { name: 'campaign_id', type: 'id', required: true, doc: 'campaign id' },
    { name: 'source', type: 'id', required: true, column: null, doc: 'system customer_ref belongs to (not stored: used to resolve the customer)' },
    { name: 'customer_ref', type: 'id', required: true, doc: "the customer's source_id in that source" },
    { name: 'added_at', type: 'datetime', required: true, doc: 'when the customer was added' },
    { name: 'status', type: 'enum', required: true, values: ['sent', 'opened', 'clicked', 'responded', 'converted', 'bounced', 'unsubscribed'], doc: 'sent | opened | clicked | responded | converted | bounced | unsubscribed' },
    { name: 'responded_at', type: 'datetime', nullable: true, doc: 'response time' },
    { name: 'converted_at', type: 'datetime', nullable: true, doc: 'conversion time' },
    // Empty or absent is "not reported", stored NULL: a 0 default read as "earned nothing" (migration 023).
    { name: 'revenue', type: 'decimal', min: 0, nullable: true, doc: 'attributed revenue in the base currency (≥ 0); empty: not reported (NULL, not 0)' },
  ],
};
