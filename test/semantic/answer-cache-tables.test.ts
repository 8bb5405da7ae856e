/**
 * Answers keyed by the tables they read (semantic/answer-cache.ts AnswerStore with a projection,
 * semantic/tables-read.ts ReadSets.project): a data change to tables an answer does not read leaves
 * it current (a hit, not a stale answer to renew), a change to one it reads makes it stale from that
 * change's first sight, for at most the bound. Pure: versions are tableVersionsSql-shaped strings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerStore } from '../../semantic/answer-cache.ts';
import { parseTableVersions } from '../../semantic/refresh-keys.ts';
import { ModelReads, ReadSets, TableGraph, renderScopeFilters, tablesReadBy } from '../../semantic/tables-read.ts';

/** A version as tableVersionsSql writes it. */
const v = (tables: Record<string, number>, day = '2026-12-07'): string =>
  `${day}|${Object.entries(tables)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([t, h]) => `${t}=${h}`)
    .join(';')}`;
/** Which tables each key reads (what ReadSets resolves from the model; fixed here). */
const READS: Record<string, string[]> = { deals: ['opportunities', 'customer_aliases'], orders: ['derived_snapshots', 'customers'] };
const project = (key: string, value: string): string => {
  const { day, tables } = parseTableVersions(value);
  return `${day}|${READS[key].map((t) => `${t}=${tables.get(t) ?? ''}`).join(';')}`;
};
const body = (text: string) => ({ body: Buffer.from(text), contentType: 'application/json' });

test('the version string reads back as the day and each table’s hash', () => {
  assert.deepEqual(parseTableVersions(v({ b: 2, a: 1 })), { day: '2026-12-07', tables: new Map([['a', '1'], ['b', '2']]) });
});

test('a change to tables an answer does not read leaves it current; a change to one it reads makes it stale from that change, within the bound', () => {
  const store = new AnswerStore(1 << 20, 30_000, project);
  const base = { opportunities: 1, customer_aliases: 1, derived_snapshots: 1, customers: 1, transactions: 1 };
  const v1 = { value: v(base), seenAt: 0, changedAt: 0 };
  assert.equal(store.lookup(v1, 'deals', 0, true), undefined);
  assert.ok(store.set(v1.value, 'deals', body('deals-1')));
  assert.ok(store.set(v1.value, 'orders', body('orders-1')));

  // A load writes transactions: neither key reads it.
  const v2 = { value: v({ ...base, transactions: 2 }), seenAt: 10_000, changedAt: 9_000 };
  assert.deepEqual(store.lookup(v2, 'deals', 10_500, true), { ...body('deals-1'), stale: false }, 'deals: current, not stale');
  assert.equal(store.replayRank('deals', v2.value), undefined, 'nothing for the re-warm to do');
  // Its derived refresh commits: the orders answer reads that, deals do not.
  const v3 = { value: v({ ...base, transactions: 2, derived_snapshots: 2 }), seenAt: 20_000, changedAt: 18_000 };
  assert.deepEqual(store.lookup(v3, 'deals', 20_500, true), { ...body('deals-1'), stale: false });
  assert.deepEqual(store.lookup(v3, 'orders', 20_500, true), { ...body('orders-1'), stale: true }, 'orders: stale');
  assert.equal(store.lookup(v3, 'orders', 20_500, false), undefined, 'a replay asks Cube');
  assert.equal(store.replayRank('orders', v3.value), 18_000, 'stale since the commit was first seen, not since the transactions load');
  // The bound counts from 18 s (the change to what it reads), not from 9 s (the first change of any table).
  assert.equal(store.lookup(v3, 'orders', 48_000, true)?.stale, true);
  assert.equal(store.lookup(v3, 'orders', 48_001, true), undefined, 'past the bound: dropped');
  assert.equal(store.stats.unchanged > 0, true);
  assert.equal(store.stats.versionChanges, 2);
});

test('an answer asked at an earlier version is kept when that version and the current one agree on its tables, and dated by when its tables last changed', () => {
  const store = new AnswerStore(1 << 20, 30_000, project);
  const base = { opportunities: 1, customer_aliases: 1, derived_snapshots: 1, customers: 1, transactions: 1 };
  const v1 = { value: v(base), seenAt: 1_000 };
  store.lookup(v1, 'deals', 1_000, true);
  const v2 = { value: v({ ...base, transactions: 2 }), seenAt: 50_000 };
  store.lookup(v2, 'deals', 50_000, true);
  // A deals answer asked at v1 arrives after v2 was published: still of the deals' data now.
  assert.ok(store.set(v1.value, 'deals', body('deals-1')), 'kept: v2 changed nothing it reads');
  assert.equal(store.seenAtFor('deals', v2), 1_000, 'the deals’ view of v2 has been there since v1');
  assert.equal(store.seenAtFor('orders', v2), 1_000);
  const v3 = { value: v({ ...base, transactions: 2, customers: 2 }), seenAt: 60_000 };
  store.lookup(v3, 'orders', 60_000, true);
  assert.equal(store.seenAtFor('orders', v3), 60_000, 'customers changed at v3: the orders’ view is new');
  assert.equal(store.set(v2.value, 'orders', body('orders-2')), false, 'an orders answer of v2 is of older customers: not kept');
  assert.equal(store.projection('deals', v3.value), store.projection('deals', v1.value), 'one flight for deals across the three versions');
  // Another day is a change for every key (answers relative to today).
  const tomorrow = { value: v({ ...base, transactions: 2, customers: 2 }, '2026-12-08'), seenAt: 90_000 };
  assert.equal(store.lookup(tomorrow, 'deals', 90_000, true)?.stale, true);
});

test('without a projection every change makes every answer stale, as before', () => {
  const store = new AnswerStore(1 << 20, 30_000);
  const v1 = { value: v({ a: 1, b: 1 }), seenAt: 0 };
  store.lookup(v1, 'deals', 0, true);
  assert.ok(store.set(v1.value, 'deals', body('deals-1')));
  const v2 = { value: v({ a: 1, b: 2 }), seenAt: 5_000 };
  assert.equal(store.lookup(v2, 'deals', 5_000, true)?.stale, true);
  assert.equal(store.replayRank('deals', v2.value), 5_000);
});

/** A small model and schema, by hand: deals through a view, owners' filter over people, orders over a derived table. */
const DOCS = [
  {
    cubes: [
      {
        name: 'deals',
        sql: 'SELECT * FROM deals_v WHERE {SECURITY_CONTEXT.owner_id.filter(lambda owner: f"cid IN (SELECT cid FROM people WHERE owner = {owner})")}',
        joins: [{ name: 'people', relationship: 'many_to_one', sql: '{CUBE}.cid = {people.cid}' }],
        measures: [{ name: 'count', type: 'count' }],
        dimensions: [{ name: 'stage', sql: 'stage', type: 'string' }],
      },
      { name: 'people', sql_table: 'people', dimensions: [{ name: 'name', sql: 'name', type: 'string' }] },
      { name: 'orders', sql: 'SELECT * FROM orders_current', measures: [{ name: 'count', type: 'count' }] },
    ],
  },
  { views: [{ name: 'v_deals', cubes: [{ join_path: 'deals', includes: '*' }, { join_path: 'deals.people', includes: [{ name: 'name', alias: 'person' }] }] }] },
];
const ROWS = [
  { name: 'deals', engine: 'ReplacingMergeTree', create_table_query: 'CREATE TABLE db.deals (cid String) ENGINE = ReplacingMergeTree' },
  { name: 'aliases', engine: 'MergeTree', create_table_query: 'CREATE TABLE db.aliases (people String) ENGINE = MergeTree' },
  { name: 'people', engine: 'ReplacingMergeTree', create_table_query: 'CREATE TABLE db.people (cid String) ENGINE = ReplacingMergeTree' },
  { name: 'deals_v', engine: 'View', create_table_query: 'CREATE VIEW db.deals_v AS SELECT * FROM db.deals AS d LEFT JOIN db.aliases AS a ON a.x = d.cid' },
  { name: 'orders_current', engine: 'View', create_table_query: 'CREATE VIEW db.orders_current AS SELECT * FROM db.paid_orders' },
  { name: 'paid_orders', engine: 'MergeTree', create_table_query: 'CREATE TABLE db.paid_orders (x UInt8) ENGINE = MergeTree' },
  { name: 'derived_snapshots', engine: 'MergeTree', create_table_query: 'CREATE TABLE db.derived_snapshots (x UInt8) ENGINE = MergeTree' },
  { name: 'transactions', engine: 'MergeTree', create_table_query: 'CREATE TABLE db.transactions (x UInt8) ENGINE = MergeTree' },
];
const key = (query: unknown, scope: [string, string][] = [['role', 'executive']]): string => `${JSON.stringify(scope)}\n${JSON.stringify({ query, queryType: null })}`;

test('read sets: join paths, the scope’s row filter as Cube renders it, views expanded, derived tables by their commit row; unresolved reads everything', () => {
  const model = new ModelReads(DOCS);
  const g = new TableGraph(ROWS);
  const reads = (query: unknown, scope?: [string, string][]) => tablesReadBy(key(query, scope), model, g);
  assert.deepEqual(reads({ measures: ['v_deals.count'] }), ['aliases', 'deals', 'deals_v'], 'an executive: the view and what it reads, not people');
  assert.deepEqual(reads({ measures: ['v_deals.count'] }, [['owner_id', 'U1'], ['role', 'owner']]), ['aliases', 'deals', 'deals_v', 'people'], "an owner's filter reads people");
  assert.deepEqual(reads({ measures: ['v_deals.count'], filters: [{ member: 'v_deals.person', operator: 'equals', values: ['x'] }] }), ['aliases', 'deals', 'deals_v', 'people'], 'a filter on a joined member');
  assert.deepEqual(reads({ measures: ['v_deals.count'], order: { 'v_deals.person': 'asc' } }), ['aliases', 'deals', 'deals_v', 'people'], 'a member named as an order key');
  assert.deepEqual(reads({ measures: ['v_deals.no_such_member'] }), ['aliases', 'deals', 'deals_v', 'people'], 'an unknown member of a view: every path');
  assert.deepEqual(reads({ measures: ['orders.count'] }), ['derived_snapshots', 'orders_current', 'paid_orders'], 'a derived table counts as its commit row');
  assert.equal(reads({ measures: ['elsewhere.count'] }), undefined, 'no known member: everything');
  assert.equal(tablesReadBy(key({ measures: ['v_deals.count'] }), new ModelReads(DOCS, false), g), undefined, 'a model with files the resolver cannot read: everything');
  assert.equal(renderScopeFilters('a {SECURITY_CONTEXT.owner_id.filter(lambda o: f"x = {o}")} b', {}), 'a 1 = 1 b');
  assert.equal(renderScopeFilters('a {SECURITY_CONTEXT.owner_id.filter(lambda o: f"x = {o}")} b', { owner_id: '' }), 'a 1 = 1 b', 'an empty claim renders 1 = 1 too');
  assert.match(renderScopeFilters('a {SECURITY_CONTEXT.owner_id.filter(lambda o: f"x = {o}")} b', { owner_id: 'U1' }), /x = \{o\}/);
  assert.match(renderScopeFilters('a {SECURITY_CONTEXT.owner_id.filter(lambda o: f"x = {o}" b', {}), /x = \{o\}/, 'no end found: kept whole');
});

test('ReadSets: a key sees the day and its tables; definitions are re-read when a table comes or a view is re-created; until then, or when forgotten, everything', () => {
  const sets = new ReadSets(new ModelReads(DOCS));
  const hashes = Object.fromEntries(ROWS.map((r) => [r.name, 1]));
  const value = v(hashes);
  const deals = key({ measures: ['v_deals.count'] });
  assert.equal(sets.project(deals, value), value, 'before any definitions: the whole version');
  assert.equal(sets.needsDefinitions(value), true);
  sets.update(ROWS, value);
  assert.equal(sets.needsDefinitions(value), false);
  assert.equal(sets.project(deals, value), '2026-12-07|aliases=1;deals=1;deals_v=1');
  assert.equal(sets.project(deals, v({ ...hashes, transactions: 2 })), sets.project(deals, value), 'transactions: not read');
  assert.equal(sets.needsDefinitions(v({ ...hashes, transactions: 2 })), false, 'rows changed: same definitions');
  assert.equal(sets.needsDefinitions(v({ ...hashes, deals_v: 2 })), true, 'a view re-created');
  assert.equal(sets.needsDefinitions(v({ ...hashes, new_table: 1 })), true, 'a table added');
  sets.forget();
  assert.equal(sets.project(deals, value), value);
});

test('an answer kept while the read sets were unknown is judged by them once known: current through a change it does not read, stale through one it does', () => {
  const sets = new ReadSets(new ModelReads(DOCS));
  const store = new AnswerStore(1 << 20, 30_000, (k, value) => sets.project(k, value));
  const hashes = Object.fromEntries(ROWS.map((r) => [r.name, 1]));
  const deals = key({ measures: ['v_deals.count'] });
  // Kept before the definitions were read (or while they could not be): its key's view was the whole version.
  const v1 = { value: v(hashes), seenAt: 0 };
  store.lookup(v1, deals, 0, true);
  assert.ok(store.set(v1.value, deals, body('deals-1')));
  sets.update(ROWS, v1.value);
  // A load writes transactions: the deals do not read it. On 1c294ad..efca37f this answer came back stale.
  const v2 = { value: v({ ...hashes, transactions: 2 }), seenAt: 10_000 };
  assert.deepEqual(store.lookup(v2, deals, 10_000, true), { ...body('deals-1'), stale: false }, 'current: transactions are not read');
  assert.equal(store.replayRank(deals, v2.value), undefined);
  const v3 = { value: v({ ...hashes, transactions: 2, aliases: 2 }), seenAt: 20_000, changedAt: 19_000 };
  assert.deepEqual(store.lookup(v3, deals, 20_000, true), { ...body('deals-1'), stale: true }, 'aliases are read (through the view): stale');
  assert.equal(store.replayRank(deals, v3.value), 19_000, 'stale since the aliases changed, not since the transactions load');

  // The other way: definitions forgotten (a failed read) after it was kept; every key reads everything again.
  const again = new ReadSets(new ModelReads(DOCS));
  again.update(ROWS, v1.value);
  const store2 = new AnswerStore(1 << 20, 30_000, (k, value) => again.project(k, value));
  store2.lookup(v1, deals, 0, true);
  assert.ok(store2.set(v1.value, deals, body('deals-1')));
  again.forget();
  assert.equal(store2.lookup(v2, deals, 10_000, true)?.stale, true, 'unknown read sets: any change makes it stale, never current by a set no longer known');
  again.update(ROWS, v2.value);
  assert.equal(store2.lookup(v2, deals, 10_500, true)?.stale, false, 'known again: current, not due for the rest of its life');
});

/**
 * Per-member read sets (session 11): a cube's member that reads another table through a sub-query
 * (the customers' source ids over the identity map) counts only for the queries that name it, so a
 * load writing that table leaves the others current; what a member references counts with it.
 */
const MEMBER_DOCS = [
  {
    cubes: [
      {
        name: 'people',
        sql: 'SELECT * FROM people_v WHERE {SECURITY_CONTEXT.owner_id.filter("owner")}',
        // Cube's own cache key: not what an answer is computed from.
        refresh_key: { sql: 'SELECT max(x) FROM audit' },
        joins: [{ name: 'ids', relationship: 'one_to_many', sql: '{CUBE}.pid = {ids.pid}' }],
        dimensions: [
          { name: 'pid', sql: '{CUBE}.pid', type: 'string', primary_key: true },
          { name: 'region', sql: '{CUBE}.region', type: 'string' },
          { name: 'tenure', sql: "dateDiff('day', {CUBE}.signup, (SELECT max(as_of) FROM derived_snapshots))", type: 'number' },
          { name: 'tenure_band', sql: "if({tenure} < 90, 'new', 'old')", type: 'string' },
          { name: 'id_list', sql: '{ids.list}', type: 'string', sub_query: true },
        ],
        measures: [
          { name: 'count', type: 'count' },
          { name: 'long_standing', type: 'count', filters: [{ sql: '{CUBE.tenure} > (SELECT max(days) FROM thresholds)' }] },
        ],
      },
      {
        name: 'ids',
        sql: 'SELECT pid, source_id FROM identity_map',
        dimensions: [{ name: 'pid', sql: '{CUBE}.pid', type: 'string' }, { name: 'source_key', sql: '{CUBE}.source_id', type: 'string', primary_key: true }],
        measures: [{ name: 'list', sql: 'groupArray({CUBE}.source_id)', type: 'string' }],
      },
    ],
  },
  {
    views: [
      {
        name: 'base',
        cubes: [
          { join_path: 'people', includes: ['region', 'tenure_band', 'id_list', 'long_standing', { name: 'count', alias: 'people_count' }] },
          { join_path: 'people.ids', includes: [{ name: 'source_key', alias: 'source' }] },
        ],
      },
    ],
  },
];
const MEMBER_ROWS = ['people', 'identity_map', 'derived_snapshots', 'thresholds', 'audit'].map((name) => ({ name, engine: 'MergeTree', create_table_query: `CREATE TABLE db.${name} (x UInt8) ENGINE = MergeTree` }));
MEMBER_ROWS.push({ name: 'people_v', engine: 'View', create_table_query: 'CREATE VIEW db.people_v AS SELECT * FROM db.people' });

test('per-member read sets: only the members a query names (and what they reference) count; a sub-query member reads its cube; refresh keys do not count', () => {
  const model = new ModelReads(MEMBER_DOCS);
  const g = new TableGraph(MEMBER_ROWS);
  const reads = (query: unknown, scope?: [string, string][]) => tablesReadBy(key(query, scope), model, g);
  assert.deepEqual(reads({ measures: ['base.people_count'], dimensions: ['base.region'] }), ['people', 'people_v'], 'not the identity map, not the derived tables, not the refresh key’s table');
  assert.deepEqual(reads({ dimensions: ['base.id_list'] }), ['identity_map', 'people', 'people_v'], 'the sub-query member reads the other cube');
  assert.deepEqual(reads({ dimensions: ['base.source'] }), ['identity_map', 'people', 'people_v'], 'a member over the joined cube: its path');
  assert.deepEqual(reads({ dimensions: ['base.tenure_band'] }), ['derived_snapshots', 'people', 'people_v'], 'a member referencing another member reads what that one reads');
  assert.deepEqual(reads({ measures: ['base.long_standing'] }), ['derived_snapshots', 'people', 'people_v', 'thresholds'], "a measure's filter SQL and the member it references");
  assert.deepEqual(reads({ measures: ['base.people_count'], filters: [{ member: 'base.tenure_band', operator: 'equals', values: ['new'] }] }), ['derived_snapshots', 'people', 'people_v'], 'a member named only in a filter');
  assert.deepEqual(reads({ measures: ['base.no_such_member'] }), ['audit', 'derived_snapshots', 'identity_map', 'people', 'people_v', 'thresholds'], 'an unknown member: every cube of the view, whole');
  assert.deepEqual(reads({ measures: ['people.count'] }), ['people', 'people_v'], 'a cube named directly: its member');
  assert.deepEqual(reads({ measures: ['people.nothing'] }), ['audit', 'derived_snapshots', 'identity_map', 'people', 'people_v', 'thresholds'], 'an unknown member of a cube: the cube whole');
});
