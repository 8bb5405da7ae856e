import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { timeMembers } from '../../semantic/security/time-members.ts';

const yaml = createRequire(createRequire(import.meta.url).resolve('@cubejs-backend/schema-compiler'))('js-yaml') as { load(text: string): unknown };

test('time members of cubes and views, by included name, alias, "*" with excludes and prefix', () => {
  const docs = [
    { cubes: [{ name: 'orders', dimensions: [{ name: 'id', type: 'string' }, { name: 'placed_at', type: 'time' }, { name: 'shipped_at', type: 'time' }, { name: 'paid_at', type: 'time' }] }] },
    {
      views: [
        { name: 'v_list', cubes: [{ join_path: 'x.orders', includes: ['id', 'placed_at', { name: 'shipped_at', alias: 'sent_on' }] }] },
        { name: 'v_star', cubes: [{ join_path: 'orders', includes: '*', excludes: ['paid_at'] }] },
        { name: 'v_prefix', cubes: [{ join_path: 'orders', includes: ['placed_at'], prefix: true }] },
      ],
    },
  ];
  assert.deepEqual([...timeMembers(docs)].sort(), [
    'orders.paid_at',
    'orders.placed_at',
    'orders.shipped_at',
    'v_list.placed_at',
    'v_list.sent_on',
    'v_prefix.orders_placed_at',
    'v_star.placed_at',
    'v_star.shipped_at',
  ]);
});

test("the product's model: the views' date members are time members, their other members not", () => {
  const dir = fileURLToPath(new URL('../../semantic/model', import.meta.url));
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.yml') ? [join(d, e.name)] : []));
  const times = timeMembers(files(dir).map((f) => yaml.load(readFileSync(f, 'utf8'))));
  for (const m of ['customer_base.signup_date', 'customer_base.first_purchase_at', 'sales.order_date']) assert.ok(times.has(m), m);
  for (const m of ['customer_base.customer_id', 'customer_base.tenure_days', 'customer_base.customers']) assert.ok(!times.has(m), m);
});
