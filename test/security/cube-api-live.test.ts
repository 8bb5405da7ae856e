/**
 * The Cube API attacked live (sixth review's "not reached"): a real Cube server over a real embedded
 * warehouse with the semantic fixture's two owners. As Ann's owner token, every request below tries
 * to read Bob's rows or a hidden cube's members; each answer must hold none of Bob's values (listed
 * from the fixture, not from Cube) or be refused with an error naming the problem.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { customers, OWNER_ANN, OWNER_BOB, users } from '../semantic/fixture.ts';
import { startSemanticFixture, type Answer, type SemanticFixture } from '../semantic/support.ts';

let fx: SemanticFixture;
let ann: string;

// Bob's customers are those whose latest version has his owner id (C04 moved to Ann in version 2).
const latest = new Map<string, (typeof customers)[number]>();
for (const c of customers) if ((latest.get(c.customer_id)?.version ?? 0) <= c.version) latest.set(c.customer_id, c);
const annIds = [...latest.values()].filter((c) => c.owner_id === OWNER_ANN).map((c) => c.customer_id);
const bobRecords = [...latest.values()].filter((c) => c.owner_id === OWNER_BOB);
const bobName = users.find((u) => u.owner_id === OWNER_BOB)!.name;
// C11 (Bob's record merged into Ann's C01) shares Alice's name and e-mail: its id is Bob's, its name is not.
const bobValues = new Set<string>([
  OWNER_BOB,
  bobName,
  ...bobRecords.map((c) => c.customer_id),
  ...bobRecords.filter((c) => c.customer_id !== 'C11').flatMap((c) => [c.name, c.email]),
]);

/** Every string anywhere in a value (rows, nested GraphQL objects). */
const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];

function noBob(data: unknown, what: string): void {
  const leaked = strings(data).filter((s) => bobValues.has(s) || [...bobValues].some((b) => s.includes(b)));
  assert.deepEqual(leaked, [], `${what}: Bob's values in the answer`);
}

const refusedOrClean = (answer: Answer, what: string, message: RegExp): void => {
  if (answer.status === 200) {
    noBob(answer.body.data ?? answer.body.results, what);
    return;
  }
  assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
  assert.match(String(answer.body.error), message, what);
  assert.doesNotMatch(JSON.stringify(answer.body), /customers_resolved|SELECT|\bat \S+:\d+/, `${what}: internals in the error`);
};

const refused = (answer: Answer, what: string, message: RegExp): void => {
  assert.equal(answer.status, 400, `${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 400)}`);
  assert.match(String(answer.body.error), message, what);
  assert.equal(answer.body.data, undefined, what);
};

const load = (query: unknown) => fx.post('v1/load', { query }, ann);
const idsOf = (answer: Answer) => (answer.body.data ?? []).map((r) => r['customer_base.customer_id']).sort();

before(async () => {
  fx = await startSemanticFixture();
  ann = fx.token('owner', OWNER_ANN);
});
after(async () => {
  await fx?.close();
});

test('the fixture has what the attacks need: Bob owns customers, Ann does too', () => {
  assert.deepEqual(annIds, ['C01', 'C02', 'C03', 'C04', 'C05']);
  assert.deepEqual(bobRecords.map((c) => c.customer_id), ['C06', 'C07', 'C08', 'C09', 'C10', 'C11', 'C12']);
});

describe('ungrouped and filter combinations', () => {
  test('ungrouped rows with every customer dimension, filtered to Bob, unfiltered, with a huge limit', async () => {
    const dims = ['customer_base.customer_id', 'customer_base.customer_name', 'customer_base.owner_id', 'customer_base.owner_name'];
    const plain = await load({ dimensions: dims, ungrouped: true, limit: 50000 });
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
    assert.deepEqual(idsOf(plain), annIds);
    noBob(plain.body.data, 'ungrouped');
    const toBob = await load({ dimensions: dims, ungrouped: true, filters: [{ member: 'customer_base.owner_id', operator: 'equals', values: [OWNER_BOB] }] });
    assert.equal(toBob.status, 200);
    assert.deepEqual(toBob.body.data, []);
    // ungrouped with a measure: Cube refuses or answers row-wise, but never Bob's rows.
    refusedOrClean(await load({ measures: ['sales.net_revenue'], dimensions: ['sales.customer_name'], ungrouped: true }), 'ungrouped measure', /ungrouped|measure|Unknown/i);
  });

  test('or/and trees, nested and negated, cannot reach outside the owner condition', async () => {
    const bobIds = bobRecords.map((c) => c.customer_id);
    const shapes: unknown[][] = [
      [{ or: [{ member: 'customer_base.owner_id', operator: 'notEquals', values: [OWNER_ANN] }, { member: 'customer_base.owner_id', operator: 'notSet' }] }],
      [{ or: [{ and: [{ member: 'customer_base.customer_id', operator: 'equals', values: bobIds }] }, { member: 'customer_base.customer_id', operator: 'notEquals', values: ['x'] }] }],
      [{ and: [{ or: [{ member: 'customer_base.owner_id', operator: 'contains', values: ['U-'] }] }] }],
      [{ member: 'customer_base.customer_id', operator: 'equals', values: ["C06' OR 1=1 --", 'C06") OR ("1"="1', "') OR owner_id != ''"] }],
      [{ member: 'customer_base.customer_id', operator: 'startsWith', values: ['%'] }],
      [{ member: 'customer_base.customer_id', operator: 'contains', values: ["%' OR '1'='1"] }],
      [{ dimension: 'customer_base.owner_id', operator: 'equals', values: [OWNER_BOB] }],
    ];
    for (const filters of shapes) {
      const answer = await load({ dimensions: ['customer_base.customer_id', 'customer_base.customer_name'], filters, ungrouped: true });
      refusedOrClean(answer, JSON.stringify(filters), /filter|operator|member|value/i);
      if (answer.status === 200) for (const id of idsOf(answer)) assert.ok(annIds.includes(id as string), `${id} via ${JSON.stringify(filters)}`);
    }
  });

  test('a count over every customer is Ann\'s count, whatever the filter', async () => {
    const count = async (filters: unknown[]) => {
      const answer = await load({ measures: ['customer_base.customers'], filters });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return Number(answer.body.data![0]['customer_base.customers']);
    };
    assert.equal(await count([]), annIds.length);
    assert.equal(await count([{ or: [{ member: 'customer_base.owner_id', operator: 'set' }, { member: 'customer_base.owner_id', operator: 'notSet' }] }]), annIds.length);
  });
});

describe('hidden cubes', () => {
  // Cubes behind the views (public: false in semantic/model/cubes): customers holds every owner's rows.
  const hiddenMember = 'customers.customer_id';
  const base = { dimensions: ['customer_base.customer_id'] };
  const shapes: [string, Record<string, unknown>][] = [
    ['dimension', { dimensions: [hiddenMember, 'customers.email'] }],
    ['dimension ungrouped', { dimensions: [hiddenMember, 'customers.email'], ungrouped: true }],
    ['measure', { measures: ['customers.count'] }],
    ['measure of another hidden cube', { measures: ['paid_orders.count'] }],
    ['filter', { ...base, filters: [{ member: 'customers.owner_id', operator: 'equals', values: [OWNER_BOB] }] }],
    ['filter nested in or/and', { ...base, filters: [{ or: [{ and: [{ member: 'customers.owner_id', operator: 'set' }] }] }] }],
    ['deprecated filter.dimension', { ...base, filters: [{ dimension: 'customers.owner_id', operator: 'set' }] }],
    ['segment', { ...base, segments: ['customers.all'] }],
    ['order (object)', { ...base, order: { 'customers.email': 'asc' } }],
    ['order (pairs)', { ...base, order: [['customers.email', 'asc']] }],
    ['order with granularity', { ...base, order: { 'customers.signup_date.day': 'asc' } }],
    ['timeDimension', { measures: ['customer_base.customers'], timeDimensions: [{ dimension: 'customers.signup_date', granularity: 'day' }] }],
    ['timeDimension compareDateRange', { measures: ['customers.count'], timeDimensions: [{ dimension: 'customers.signup_date', compareDateRange: [['2024-01-01', '2024-03-31'], ['2024-04-01', '2024-12-31']] }] }],
    ['account owners', { dimensions: ['account_owners.owner_id', 'account_owners.owner_name'] }],
  ];
  for (const [name, query] of shapes) {
    test(`a hidden member as ${name} is refused`, async () => {
      const answer = await load(query);
      refused(answer, name, /Unknown member|Unknown|Invalid query format/i);
      assert.doesNotMatch(JSON.stringify(answer.body), /customers_resolved|SELECT|\bat \S+:\d+/);
    });
  }

  test('the same through /v1/dry-run and a multi-query array', async () => {
    refused(await fx.post('v1/dry-run', { query: { dimensions: [hiddenMember] } }, ann), 'dry-run', /Unknown member|Unknown/i);
    const multi = await load([{ dimensions: ['customer_base.customer_id'] }, { dimensions: [hiddenMember] }]);
    assert.notEqual(multi.status, 200, JSON.stringify(multi.body).slice(0, 400));
    noBob(multi.body, 'multi-query');
  });

  test('/v1/meta lists only the views and no member of a hidden cube', async () => {
    const res = await fetch(`${fx.semantic.url}/v1/meta`, { headers: { authorization: `Bearer ${ann}` } });
    assert.equal(res.status, 200);
    const meta = (await res.json()) as { cubes: { name: string; type?: string; measures: { name: string }[]; dimensions: { name: string }[]; segments: { name: string }[] }[] };
    const views = meta.cubes.filter((c) => c.type === 'view').map((c) => c.name);
    assert.ok(views.includes('customer_base'), views.join());
    const notViews = meta.cubes.filter((c) => c.type !== 'view').map((c) => c.name);
    assert.deepEqual(notViews, []);
    for (const cube of meta.cubes)
      for (const m of [...cube.measures, ...cube.dimensions, ...cube.segments]) assert.equal(m.name.split('.')[0], cube.name, `${m.name} in ${cube.name}`);
    noBob(meta, 'meta');
  });
});

describe('member names with SQL in them', () => {
  const names = [
    "customer_base.customer_id) OR (1=1",
    'customer_base.customer_id; DROP TABLE customers',
    "customer_base.customer_id' --",
    'customer_base.`customer_id`',
    'customer_base.customer_id FROM customers_resolved --',
    'customer_base.customer_id/**/UNION/**/SELECT/**/owner_id',
    '(SELECT owner_id FROM customers_resolved).x',
    'customers_resolved.owner_id',
    'system.tables.name',
  ];
  for (const name of names) {
    test(`refused: ${name}`, async () => {
      // An order entry naming no member of the model is dropped by Cube 0.33 (the rows come unsorted),
      // so a syntactically valid name there answers 200: in scope, checked below.
      for (const query of [{ dimensions: [name] }, { measures: [name] }, { dimensions: ['customer_base.customer_id'], filters: [{ member: name, operator: 'set' }] }, { dimensions: ['customer_base.customer_id'], order: { [name]: 'asc' } }]) {
        const answer = await load(query);
        if (answer.status === 200 && 'order' in query && /^[a-z_]+\.[a-z_]+$/.test(name)) {
          assert.deepEqual(idsOf(answer), annIds);
          continue;
        }
        assert.equal(answer.status, 400, `${JSON.stringify(query)}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
        assert.equal(answer.body.data, undefined);
        // The error may quote the caller's own member name back; nothing else of ours.
        assert.doesNotMatch([JSON.stringify(name).slice(1, -1), name.split('.')[0]].reduce((t, own) => t.split(own).join(''), JSON.stringify(answer.body)), /customers_resolved|SELECT|\bat \S+:\d+/, JSON.stringify(query));
      }
    });
  }
});

describe('compareDateRange, total, limit/offset, renewQuery', () => {
  test('compareDateRange: each period holds Ann\'s customers only', async () => {
    // Cube answers a compareDateRange query only to a client that takes several results.
    const answer = await fx.post('v1/load', { queryType: 'multi', query: {
      dimensions: ['sales.customer_id', 'sales.customer_name'],
      measures: ['sales.net_revenue'],
      timeDimensions: [{ dimension: 'sales.order_date', compareDateRange: [['2024-01-01', '2024-03-31'], ['2024-04-01', '2024-06-30']] }],
    } }, ann);
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 400));
    const results = answer.body.results as { data: Record<string, string | null>[] }[];
    assert.equal(results.length, 2);
    for (const r of results) for (const row of r.data) assert.ok(annIds.includes(String(row['sales.customer_id'])), String(row['sales.customer_id']));
    noBob(results, 'compareDateRange');
  });

  test('total counts Ann\'s rows only, with limit 1 and an offset past the end', async () => {
    for (const extra of [{ limit: 1 }, { limit: 1, offset: 1000 }, { limit: 1, ungrouped: true }]) {
      const answer = await load({ dimensions: ['customer_base.customer_id'], total: true, ...extra });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(Number(answer.body.total), annIds.length, JSON.stringify(extra));
      noBob(answer.body.data, 'total');
    }
  });

  test('limit and offset extremes are refused or stay in scope', async () => {
    const values: Record<string, unknown>[] = [
      { limit: 0 }, { limit: -1 }, { limit: 1e12 }, { limit: 'all' }, { limit: '1; SELECT 1' }, { limit: 1.5 },
      { offset: -1 }, { offset: 1e15 }, { offset: '0 UNION SELECT owner_id FROM customers_resolved' }, { offset: Number.MAX_SAFE_INTEGER },
    ];
    for (const extra of values) {
      const answer = await load({ dimensions: ['customer_base.customer_id', 'customer_base.owner_id'], ungrouped: true, ...extra });
      refusedOrClean(answer, JSON.stringify(extra), /limit|offset|must be|number|integer|rows/i);
      if (answer.status === 200) for (const id of idsOf(answer)) assert.ok(annIds.includes(id as string));
    }
  });

  test('renewQuery with ungrouped rows stays in scope', async () => {
    const answer = await load({ dimensions: ['customer_base.customer_id', 'customer_base.owner_id'], ungrouped: true, renewQuery: true });
    assert.equal(answer.status, 200);
    assert.deepEqual(idsOf(answer), annIds);
    refusedOrClean(await load({ dimensions: ['customers.customer_id'], renewQuery: true }), 'renewQuery hidden', /Unknown/);
    assert.notEqual((await load({ dimensions: ['customers.customer_id'], renewQuery: true })).status, 200);
  });
});

describe('the query timezone', () => {
  // Cube 0.33's ClickHouse dialect pastes the query's timezone between quotes into the SQL
  // (toTimeZone(x, '<timezone>')) without escaping it: a quote in it ends the string.
  const month = { measures: ['customer_base.customers'], timeDimensions: [{ dimension: 'customer_base.signup_date', granularity: 'month' }] };
  const injections = [
    "UTC'))) AS customer_base__signup_date_month, (SELECT arrayStringConcat(groupArray(customer_id), ',') FROM customers_resolved) AS customer_base__customers --",
    "UTC'), '",
    "UTC' --",
    'UTC\\',
    'Europe/Berlin ',
    'Not/AZone',
  ];
  for (const timezone of injections) {
    test(`refused before any SQL: ${JSON.stringify(timezone).slice(0, 40)}`, async () => {
      const answer = await load({ ...month, timezone });
      noBob(answer.body.data, timezone);
      refused(answer, timezone, /timezone/i);
      assert.match(String(answer.body.error), /IANA/);
      refused(await fx.post('v1/sql', { query: { ...month, timezone } }, fx.token('analyst')), `sql ${timezone}`, /timezone/i);
    });
  }

  test('a real zone still answers, in scope: Ann\'s customers by signup month in Berlin', async () => {
    const answer = await load({ ...month, timezone: 'Europe/Berlin' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
    const total = (answer.body.data ?? []).reduce((s, r) => s + Number(r['customer_base.customers']), 0);
    assert.equal(total, annIds.length);
  });

  test('GraphQL takes the same refusal', async () => {
    const answer = await fx.graphql(`{ cube(timezone: "UTC' --") { customer_base { customers signup_date { month } } } }`, ann);
    noBob(answer.body, 'graphql timezone');
    assert.match(String(answer.body.errors?.[0]?.message), /timezone/i, JSON.stringify(answer.body).slice(0, 300));
    assert.equal((answer.body.data as { cube?: unknown } | null | undefined)?.cube ?? null, null);
  });
});

describe('GraphQL', () => {
  const gql = (q: string) => fx.graphql(q, ann);

  test('a hidden cube is not in the schema', async () => {
    for (const q of ['{ cube { customers { customer_id email owner_id } } }', '{ cube { account_owners { owner_id owner_name } } }', '{ cube { paid_orders { count } } }']) {
      const answer = await gql(q);
      assert.equal(answer.body.data, undefined, `${q}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      assert.ok(answer.body.errors?.length, q);
      noBob(answer.body, q);
    }
  });

  test('where with OR/AND, ungrouped-like listing, orderBy, limit/offset: Ann\'s rows only', async () => {
    const queries = [
      `{ cube(where: { OR: [{ customer_base: { owner_id: { equals: "${OWNER_BOB}" } } }, { customer_base: { owner_id: { notEquals: "${OWNER_BOB}" } } }] }) { customer_base { customer_id customer_name owner_id } } }`,
      `{ cube(where: { AND: [{ customer_base: { customer_id: { in: ["C06", "C07", "C12"] } } }] }) { customer_base { customer_id } } }`,
      `{ cube(limit: 100000, offset: 0, orderBy: { customer_base: { customer_id: asc } }) { customer_base { customer_id owner_name email } } }`,
      `{ cube(where: { customer_base: { customer_id: { equals: "C06' OR '1'='1" } } }) { customer_base { customer_id } } }`,
      `{ cube { sales { net_revenue customer_id customer_name order_date { month } } } }`,
    ];
    for (const q of queries) {
      const answer = await gql(q);
      if (answer.status === 200 && answer.body.data) {
        const ids = strings(answer.body.data).filter((s) => /^C\d\d$/.test(s));
        for (const id of ids) assert.ok(annIds.includes(id), `${id} via ${q}`);
      }
      noBob(answer.body, q);
    }
  });
});

describe('/v1/sql', () => {
  test('an owner gets no SQL for any query shape', async () => {
    for (const query of [
      { dimensions: ['customer_base.customer_id'], ungrouped: true },
      { dimensions: ['customers.customer_id'] },
      [{ dimensions: ['customer_base.customer_id'] }],
      { measures: ['sales.net_revenue'], timeDimensions: [{ dimension: 'sales.order_date', compareDateRange: [['2024-01-01', '2024-03-31'], ['2024-04-01', '2024-06-30']] }] },
    ]) {
      for (const path of ['v1/sql', 'v1/sql/', 'v1//sql', 'V1/SQL', 'v1/%73ql', 'v1/./sql']) {
        const answer = await fx.post(path, { query }, ann);
        assert.notEqual(answer.status, 200, `${path} ${JSON.stringify(query)}: ${JSON.stringify(answer.body).slice(0, 300)}`);
        assert.doesNotMatch(JSON.stringify(answer.body), /customers_resolved|SELECT|FROM /, path);
      }
    }
    // GET with the query in the URL, as Cube also accepts.
    const res = await fetch(`${fx.semantic.url}/v1/sql?query=${encodeURIComponent(JSON.stringify({ dimensions: ['customer_base.customer_id'] }))}`, { headers: { authorization: `Bearer ${ann}` } });
    assert.equal(res.status, 403);
    assert.doesNotMatch(await res.text(), /SELECT|customers_resolved/);
  });

  test("an analyst's SQL holds no secret, no credential and no hidden member's SQL it did not ask for", async () => {
    const analyst = fx.token('analyst');
    const answer = await fx.post('v1/sql', { query: { dimensions: ['customer_base.customer_id'], ungrouped: true } }, analyst);
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
    const text = JSON.stringify(answer.body);
    assert.ok(!text.includes(fx.secret), 'the API secret in the SQL answer');
    if (fx.tw.warehouse.password) assert.ok(!text.includes(fx.tw.warehouse.password), 'the warehouse password in the SQL answer');
    refused(await fx.post('v1/sql', { query: { dimensions: ['customers.email'] } }, analyst), 'analyst hidden sql', /Unknown member/);
  });
});
