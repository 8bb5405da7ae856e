import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENTITIES } from '../../ingest/entities/index.ts';
import type { EntityName } from '../../ingest/entities/types.ts';
import { tableLayout } from '../../ingest/load/table-layout.ts';

// What each entity's declarations (resolvesIdentity, matchKey, attributesColumn, keyColumns,
// withoutAudit, money) make of its insert payload; the generic code names no entity.
describe('table layout from the entity contract', () => {
  const cases: [EntityName, { extra: string[]; customerId: boolean; audit: boolean; keys: string[] }][] = [
    ['customers', { extra: ['email_norm', 'phone_norm', 'attributes'], customerId: true, audit: true, keys: ['source', 'source_id'] }],
    ['transactions', { extra: ['original_amount', 'original_currency'], customerId: true, audit: true, keys: ['source', 'transaction_id'] }],
    ['interactions', { extra: [], customerId: true, audit: true, keys: ['source', 'interaction_id'] }],
    ['opportunities', { extra: ['original_amount', 'original_currency'], customerId: true, audit: true, keys: ['source', 'opportunity_id'] }],
    ['campaigns', { extra: [], customerId: false, audit: true, keys: ['campaign_id'] }],
    ['campaign_members', { extra: [], customerId: true, audit: true, keys: ['campaign_id', 'customer_id'] }],
    ['users', { extra: [], customerId: false, audit: false, keys: ['user_id'] }],
  ];
  for (const [name, expected] of cases) {
    it(name, () => {
      const spec = ENTITIES[name];
      const layout = tableLayout(spec);
      const stored = spec.fields.filter((f) => f.column !== null).map((f) => f.column ?? f.name);
      assert.deepEqual(
        layout.business.filter((c) => !stored.includes(c)),
        expected.extra,
      );
      assert.equal(layout.hasCustomerId, expected.customerId);
      assert.equal(layout.hasAudit, expected.audit);
      assert.deepEqual(layout.keyColumns, expected.keys);
      assert.deepEqual(layout.columns.slice(layout.business.length), [
        ...(expected.customerId ? ['customer_id'] : []),
        ...(expected.audit ? ['row_hash', 'version', 'batch_id'] : ['version']),
      ]);
    });
  }

  it('a matching key is followed by its normalised column', () => {
    const { business } = tableLayout(ENTITIES.customers);
    assert.equal(business[business.indexOf('email') + 1], 'email_norm');
    assert.equal(business[business.indexOf('phone') + 1], 'phone_norm');
  });
});
