import type { EntitySpec } from './types.ts';

export const transactions: EntitySpec = {
  name: 'transactions',
  table: 'transactions',
  key: ['source', 'transaction_id'],
  idField: 'transaction_id',
  resolvesCustomer: true,
  versionField: 'updated_at',
  movableSortColumns: ['customer_id', 'order_date'],
  money: { amount: 'amount', currency: 'currency' },
  sourceIsColumn: true,
  fields: [
    { name: 'source', type: 'id', required: true, doc: 'system the order comes from' },
    { name: 'transaction_id', type: 'id', required: true, doc: 'order line id, unique within the source' },
    { name: 'order_id', type: 'id', doc: 'groups the lines of one order' },
    { name: 'customer_ref', type: 'id', required: true, doc: "the customer's source_id in the same source" },
    { name: 'order_date', type: 'datetime', required: true, doc: 'when the order was placed' },
    { name: 'status', type: 'enum', required: true, values: ['completed', 'refunded', 'cancelled', 'pending'], doc: 'completed | refunded | cancelled | pending' },
    { name: 'amount', type: 'decimal', required: true, min: 0, doc: 'line amount (≥ 0; refunds are a status, not a sign), converted to the base currency' },
    { name: 'currency', type: 'currency', column: null, doc: 'ISO 4217 code; default: the mapping’s currency, else the base currency' },
    { name: 'quantity', type: 'int', min: 0, max: 4294967295, default: '1', doc: 'units (≥ 0, default 1)' },
    { name: 'product_id', type: 'id', doc: 'product id' },
    { name: 'product_name', type: 'string', doc: 'product name' },
    { name: 'category', type: 'string', doc: 'product category' },
    { name: 'channel', type: 'string', doc: 'sales channel (web, store, phone, …)' },
    { name: 'updated_at', type: 'datetime', column: null, doc: 'last change (e.g. the refund): the newest version wins' },
  ],
};
