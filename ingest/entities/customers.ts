import type { EntitySpec } from './types.ts';

export const customers: EntitySpec = {
  name: 'customers',
  table: 'customer_records',
  key: ['source', 'source_id'],
  idField: 'source_id',
  versionField: 'updated_at',
  sourceIsColumn: true,
  fields: [
    { name: 'source', type: 'id', required: true, doc: 'system the record comes from (webshop, support, crm…); from the file, the mapping or --source' },
    { name: 'source_id', type: 'id', required: true, doc: "the record's id in that system" },
    { name: 'customer_type', type: 'enum', values: ['person', 'business'], doc: 'person | business (empty allowed)' },
    { name: 'name', type: 'string', doc: 'full name or company name' },
    { name: 'email', type: 'string', doc: 'e-mail as given; trimmed and lower-cased for matching' },
    { name: 'phone', type: 'string', doc: 'phone as given; normalised to E.164 for matching' },
    { name: 'company', type: 'string', doc: 'employer or account name' },
    { name: 'external_ids', type: 'external_ids', doc: 'ids in other systems: {"shop":"1001"} or shop:1001;crm:A-7' },
    { name: 'region', type: 'string', doc: 'sales region' },
    { name: 'country', type: 'string', doc: 'ISO 3166 alpha-2 code preferred (also the default country for phone numbers)' },
    { name: 'city', type: 'string', doc: 'city' },
    { name: 'acquisition_channel', type: 'string', doc: 'how the customer was acquired' },
    { name: 'owner_id', type: 'id', doc: 'account owner (users.owner_id)' },
    { name: 'signup_date', type: 'date', nullable: true, doc: 'first sign-up / customer since' },
    { name: 'updated_at', type: 'datetime', column: null, doc: 'last change in the source: the newest version wins' },
  ],
};
