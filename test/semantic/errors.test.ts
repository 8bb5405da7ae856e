/** The mapping from Cube's raw errors to what a client is told (semantic/security/errors.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaksInternals, publicError, requestIdFor } from '../../semantic/security/errors.ts';
import { isContinueWait } from '../../semantic/wait-for-answer.ts';
import { guardQuery, membersOf, QueryRefused } from '../../semantic/security/query-guard.ts';

const limits = { timeoutSeconds: 60, maxRows: 50_000 };
const INTERNALS = /at \w+ \(|\/work\/|node_modules|\.ts:\d+|SELECT |FROM |Code: \d+/;

// [raw error, Cube's status, Cube's type, expected status, expected type, message pattern]
const CASES: [string, number, string | undefined, number, string, RegExp][] = [
  ['Error: Query execution timeout after 1 min of waiting', 500, undefined, 504, 'QueryTimeout', /timed out after 60 s/],
  ['Error: The query limit has been exceeded.', 500, undefined, 400, 'RowLimitExceeded', /at most 50000 rows/],
  ["Error: Code: 60. DB::Exception: Table crm_pre_aggregations.sales_monthly_abc doesn't exist. (UNKNOWN_TABLE)", 400, undefined, 503, 'RollupRebuilding', /Ask again/],
  ['SyntaxError: Unexpected end of JSON input', 500, undefined, 400, 'InvalidJson', /not valid JSON/],
  ['PayloadTooLargeError: request entity too large', 500, undefined, 413, 'RequestTooLarge', /1 MB/],
  ["'foo' not found for path 'sales.foo'", 400, 'UserError', 400, 'UnknownMember', /^Unknown member: sales\.foo\b/],
  ["Cube 'orders' not found for path 'orders.foo'", 400, 'UserError', 400, 'UnknownMember', /^Unknown member: orders\.foo\b/],
  ['Invalid query format: "filters[0]" does not match any of the allowed types', 400, 'UserError', 400, 'InvalidQuery', /filters\[0\]/],
  [
    "Error: Query failed: Error: Cannot read floating point value here: abc: In scope SELECT count(c.customer_id) FROM customers_resolved WHERE x > toFloat64('abc') ; query id: 1",
    400, undefined, 400, 'QueryFailed', /filter value/,
  ],
  ['Error: Query failed: Error: Code: 241. DB::Exception: Memory limit exceeded: while executing SELECT 1', 400, undefined, 500, 'QueryFailed', /request id/],
  ["TypeError: Cannot read properties of undefined (reading 'measures')\n    at prepareAnnotation (/work/main/node_modules/x.js:1:2)", 500, undefined, 500, 'InternalError', /request id/],
  ['Compile error in /work/main/semantic/model/cubes/x.yml', 400, 'UserError', 400, 'InvalidQuery', /not valid/],
  ['Invalid token: jwt expired', 403, undefined, 403, 'Forbidden', /jwt expired/],
  // Cube's "not yet", once the server-side wait is over (wait-for-answer.ts): what to do, not the protocol word.
  ['Continue wait', 504, undefined, 504, 'StillRunning', /still running after 60 s \(CRM_SEMANTIC_WAIT_SECONDS\).*ask again/],
  ['Error: Continue wait', 400, undefined, 504, 'StillRunning', /still running/],
];

test('publicError: each kind gets its status, type and a message without internals', () => {
  for (const [raw, status, type, wantStatus, wantType, message] of CASES) {
    const pub = publicError(raw, status, type, limits);
    assert.equal(pub.status, wantStatus, raw);
    assert.equal(pub.type, wantType, raw);
    assert.match(pub.error, message, raw);
    assert.doesNotMatch(pub.error, INTERNALS, raw);
  }
});

test('leaksInternals catches stacks, paths, SQL and engine text, not ordinary messages', () => {
  for (const bad of ['at Foo (x)', '\n    at bar', '/work/main/x', 'node_modules/a', 'x.ts:12', 'SELECT 1', 'FROM t', 'Code: 60.', 'DB::Exception', 'file:///x', 'model/cubes/a.yml']) {
    assert.ok(leaksInternals(bad), bad);
  }
  for (const ok of ["Unknown member: sales.foo", 'Invalid query format: "limit" must be a number', 'Cannot query field "nope" on type "SalesMembers".', 'select a view from the list']) {
    assert.ok(!leaksInternals(ok), ok);
  }
});

test('requestIdFor keeps a sane token and replaces anything else', () => {
  for (const id of ['abc', 'req-1', 'a.b:c_d@e', '0f9c7d3e-1111-2222-3333-444455556666']) assert.equal(requestIdFor(id), id);
  assert.equal(requestIdFor(['first', 'second']), 'first');
  for (const bad of [undefined, '', ' x', 'has space', 'x'.repeat(129), '<b>', '../x', 'a\nb', '-leading']) {
    const id = requestIdFor(bad);
    assert.notEqual(id, bad);
    assert.match(id, /^[0-9a-f-]{36}$/);
  }
});

test('guardQuery refuses members of hidden cubes wherever the query names them', () => {
  const ctx = { sub: 'a', role: 'analyst' };
  const hidden = new Set(['customers', 'paid_orders']);
  const q = {
    measures: ['sales.revenue'],
    dimensions: ['sales.region'],
    timeDimensions: [{ dimension: 'sales.order_date' }],
    filters: [{ and: [{ member: 'sales.x', operator: 'set' }, { or: [{ dimension: 'sales.y', operator: 'set' }] }] }],
    order: [['sales.z', 'asc']],
    segments: ['sales.s'],
  };
  assert.deepEqual(membersOf(q).sort(), ['sales.order_date', 'sales.region', 'sales.revenue', 'sales.s', 'sales.x', 'sales.y', 'sales.z']);
  assert.equal(guardQuery(q, ctx, hidden), q);
  assert.deepEqual(membersOf({ order: { 'a.b': 'asc' } }), ['a.b']);
  for (const bad of [
    { measures: ['paid_orders.revenue'] },
    { measures: ['sales.revenue'], filters: [{ or: [{ member: 'customers.region', operator: 'set' }] }] },
    { measures: ['sales.revenue'], order: { 'customers.region': 'asc' } },
  ]) {
    assert.throws(() => guardQuery(bad, ctx, hidden), (e: unknown) => e instanceof QueryRefused && /Unknown member: (paid_orders|customers)\./.test(e.message));
  }
});

test('isContinueWait: Cube\'s REST "Continue wait" and a GraphQL error typed StillRunning, nothing else', () => {
  const b = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
  const cases: [number, Buffer, boolean][] = [
    [200, b({ error: 'Continue wait' }), true],
    [200, b({ data: [], errors: [{ message: 'The query is still running', extensions: { type: 'StillRunning' } }] }), true],
    [200, b({ data: [{ 'sales.orders': '3' }] }), false],
    [400, b({ error: 'Continue wait' }), false],
    [504, b({ error: 'Query timed out', type: 'QueryTimeout' }), false],
    [200, b('not json'), false],
  ];
  for (const [status, body, want] of cases) assert.equal(isContinueWait(status, body), want, `${status} ${body.toString()}`);
});
