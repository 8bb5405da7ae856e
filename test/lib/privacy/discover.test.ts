/**
 * How erasure reads a table from its columns (lib/privacy/discover.ts), the person's pattern for
 * free text and the CSV record splitter for rejects files. Pure. Every table the migrations create
 * is checked: each one is either searched or deleted from, or excluded with a reason — a new table
 * of a kind the erasure cannot change fails here, naming it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnRole, EXCLUDED, planTable } from '../../../lib/privacy/discover.ts';
import { csvRecords } from '../../../lib/privacy/files.ts';
import { needlePattern, needles, type Person } from '../../../lib/privacy/person.ts';
import { migrations } from '../../../lib/warehouse/migrations/index.ts';

test.describe('columnRole', () => {
  const cases: [string, string, string][] = [
    ['customer_id', 'String', 'customer_id'],
    ['winner_customer_id', 'LowCardinality(String)', 'customer_id'],
    ['from_id', 'String', 'customer_id'],
    ['customer_ref', 'String', 'source_ref'],
    ['source_id', 'String', 'source_ref'],
    ['email_norm', 'String', 'email'],
    ['pushed_by_email', 'Nullable(String)', 'email'],
    ['phone', 'String', 'phone'],
    ['target_ids', 'Array(String)', 'id_array'],
    ['raw', 'String', 'text'],
    ['amount', 'Decimal(18, 2)', 'other'],
    ['customer_key', 'UInt64', 'other'],
  ];
  for (const [name, type, role] of cases) test(`${name} ${type} → ${role}`, () => assert.equal(columnRole(name, type), role));
});

test('every table of the migrations is deleted from, searched, rewritten or excluded with a reason', () => {
  const tables = migrations.flatMap((m) => m.tables ?? []);
  assert.ok(tables.length > 20);
  const modes: Record<string, string> = {};
  for (const t of tables) {
    const plan = planTable('crm', t.name, t.engine.replace(/\(.*$/, ''), t.columns.map((c) => {
      const [name, ...type] = c.split(' ');
      return { name, type: type.join(' ').replace(/\s+(DEFAULT|COMMENT|CODEC)\b.*$/, '') };
    }));
    modes[t.name] = plan.mode;
    assert.notEqual(plan.mode, 'unsupported', `${t.name}: ${plan.reason}`);
  }
  const kept = Object.entries(modes).filter(([, m]) => m === 'none' || m === 'excluded').map(([t]) => t).sort();
  // Only the tables without any text column (nothing to hold a person) and the named exclusions.
  for (const t of kept) assert.ok(Object.hasOwn(EXCLUDED, t) || modes[t] === 'none', t);
  assert.deepEqual(kept.filter((t) => modes[t] === 'excluded'), Object.keys(EXCLUDED).filter((t) => t in modes).sort());
  for (const t of ['customer_records', 'transactions', 'churn_scores', 'alert_ledger', 'segment_members', 'campaign_members', 'paid_orders', 'customer_aliases', 'identity_map'])
    assert.equal(modes[t], 'keyed', t);
  assert.equal(modes.rejects, 'text');
  assert.equal(modes.ingest_requests, 'text');
  assert.equal(modes.audit_log, 'rewrite');
});

test('a Memory or Log table that could hold a person fails the plan, naming it', () => {
  const plan = planTable('crm', 'new_cache', 'Memory', [{ name: 'customer_id', type: 'String' }]);
  assert.equal(plan.mode, 'unsupported');
  assert.match(plan.reason!, /Memory/);
});

const person: Person = {
  customerIds: ['C-0000000001AB'],
  sourceRecords: [{ source: 'shop', sourceId: 'aud-1' }, { source: 'x', sourceId: '7' }],
  emails: ['a.b@example.test'],
  phones: ['+49 30 5550123', '+49305550123'],
  names: ['Ann Bee', 'Al'],
};

test('needles leave out values short enough to match inside others', () => {
  assert.deepEqual(needles(person), ['+49 30 5550123', '+49305550123', 'Ann Bee', 'C-0000000001AB', 'a.b@example.test', 'aud-1']);
});

test.describe('needlePattern: whole identifiers only', () => {
  const re = new RegExp(needlePattern(person), 'i');
  const cases: [string, boolean][] = [
    ['aud-1,Ann Bee,a.b@example.test', true],
    ['"customer_ref":"aud-1"', true],
    ['aud-10,Someone', false],
    ['xaud-1', false],
    ['ANN BEE called', true],
    ['mail A.B@EXAMPLE.TEST', true],
    ['xa.b@example.test', false],
    ['tel +49305550123;', true],
  ];
  for (const [text, hit] of cases) test(`${text} → ${hit}`, () => assert.equal(re.test(text), hit));
});

test('csvRecords keeps quoted line breaks inside one record', () => {
  const text = 'a,b\n1,"x\ny"\n2,z\n';
  assert.deepEqual(csvRecords(text), ['a,b\n', '1,"x\ny"\n', '2,z\n']);
});
