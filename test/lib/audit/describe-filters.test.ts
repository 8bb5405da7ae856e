/** What the audit log keeps of a filter: members and operators; values only when they are numbers, dates, ids or enums. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFilters, type FilterLike } from '../../../lib/audit/describe-filters.ts';
import { auditRow, unknownAccount } from '../../../lib/audit/log.ts';

const ENUMS = new Set(['customer_base.region', 'customer_base.rfm_segment']);

const cases: [string, FilterLike[], string][] = [
  [
    'enum values kept',
    [{ member: 'customer_base.region', operator: 'equals', values: ['EMEA', 'APAC'] }],
    'customer_base.region equals ["EMEA", "APAC"]',
  ],
  [
    'numbers kept',
    [{ member: 'customer_base.lifetime_value', operator: 'gte', values: ['100', '2.5'] }],
    'customer_base.lifetime_value gte [100, 2.5]',
  ],
  [
    'dates kept',
    [{ member: 'sales.order_date', operator: 'inDateRange', values: ['2024-01-01', '2024-12-31'] }],
    'sales.order_date inDateRange [2024-01-01, 2024-12-31]',
  ],
  [
    'free text on another member replaced',
    [{ member: 'customer_base.customer_name', operator: 'contains', values: ['Ada Lovelace'] }],
    'customer_base.customer_name contains [?]',
  ],
  [
    'an e-mail replaced',
    [{ member: 'customer_base.email', operator: 'equals', values: ['ada@example.com'] }],
    'customer_base.email equals [?]',
  ],
  ['no values', [{ member: 'customer_base.owner_id', operator: 'set' }], 'customer_base.owner_id set'],
  [
    'groups, joined by AND at the top',
    [
      {
        or: [
          { member: 'customer_base.rfm_segment', operator: 'equals', values: ['Champions'] },
          { member: 'customer_base.city', operator: 'equals', values: ['Berlin'] },
        ],
      },
      { member: 'customer_base.lifetime_orders', operator: 'gt', values: ['3'] },
    ],
    '(customer_base.rfm_segment equals ["Champions"] OR customer_base.city equals [?]) AND customer_base.lifetime_orders gt [3]',
  ],
  ['a member name that is not a name', [{ member: 'x y@z', operator: 'equals', values: ['EMEA'] }], '? equals [?]'],
];

for (const [name, filters, expected] of cases) {
  test(`describeFilters: ${name}`, () => assert.equal(describeFilters(filters, ENUMS), expected));
}

test('auditRow refuses what is not an id, naming the action and field', () => {
  const base = {
    action: 'customer.view' as const,
    actor: 'U-1',
    actorRole: 'analyst',
    targetKind: 'customer' as const,
    outcome: 'ok' as const,
  };
  assert.equal(auditRow({ ...base, targetIds: ['c-1'] }).target_ids[0], 'c-1');
  assert.throws(
    () => auditRow({ ...base, targetIds: ['ada@example.com'] }),
    /audit row for customer\.view: targetIds\[0\] looks like an e-mail/,
  );
  assert.throws(() => auditRow({ ...base, actor: 'Ada Lovelace' }), /customer\.view: actor looks like/);
  assert.throws(() => auditRow({ ...base, action: 'customer.peek' as never }), /action must be one of/);
  assert.throws(() => auditRow({ ...base, outcome: 'maybe' as never }), /outcome must be one of ok, denied, failed/);
  assert.throws(() => auditRow({ ...base, rowCount: -1 }), /rowCount must be a whole number/);
  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  assert.equal(auditRow({ ...base, at }).at, '2026-01-02 03:04:05.678');
  assert.equal(auditRow(base).row_count, null);
});

test('unknownAccount: a keyed hash, the same for the same address whatever its case, never the address', () => {
  const a = unknownAccount('Ada@Example.com ', 'key-1');
  assert.equal(a, unknownAccount('ada@example.com', 'key-1'));
  assert.notEqual(a, unknownAccount('ada@example.com', 'key-2'));
  assert.match(a, /^unknown-account:[0-9a-f]{16}$/);
  assert.ok(!a.includes('ada'));
});
