/**
 * Seventh security review: GraphQL documents whose answer grows faster than their text. On the
 * review's stack (ports 6400–6403, load 27–29), an owner's token sent the semantic API 1,000
 * aliases of `__schema { types { name fields { … } } }` — a 94 KB request: the answer was 34 MB
 * and took 32 s, and a `/v1/meta` asked meanwhile waited 22.3 s (0.14–0.36 s after): the Cube
 * process, every user's queries, was busy with one request. The 1 MB body limit allowed ten times
 * that; the fan-out limit counts `cube` fields only.
 *
 * graphqlShapeProblem reads documents with the graphql Cube's endpoint uses; the guard answers
 * 400 with its sentence (query-fanout.ts, before the answer cache and Cube).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { graphqlShapeProblem, MAX_INTROSPECTION_LISTS } from '../../semantic/security/graphql-shape.ts';
import { queryFanoutGuard } from '../../semantic/security/query-fanout.ts';

const requireHere = createRequire(import.meta.url);
const gatewayRequire = createRequire(createRequire(requireHere.resolve('@cubejs-backend/server')).resolve('@cubejs-backend/api-gateway'));
const { getIntrospectionQuery } = gatewayRequire('graphql') as { getIntrospectionQuery: (o?: Record<string, boolean>) => string };

const aliases = (n: number, body: (i: number) => string): string => `{ ${Array.from({ length: n }, (_, i) => body(i)).join(' ')} }`;

const REFUSED: [string, string][] = [
  ['the review’s request: 1,000 aliased __schema', aliases(1000, (i) => `a${i}: __schema { types { name fields { name } } }`)],
  ['two aliases are enough to refuse', aliases(2, (i) => `a${i}: __schema { types { name } }`)],
  ['aliased lists inside __schema', `{ __schema { types { ${Array.from({ length: 50 }, (_, i) => `f${i}: fields { name }`).join(' ')} } } }`],
  ['aliased __type', aliases(20, (i) => `t${i}: __type(name: "Query") { name }`)],
  ['a member repeated under aliases (every row repeated)', `{ cube(limit: 50000) { customer_base { ${Array.from({ length: 200 }, (_, i) => `m${i}: customer_id`).join(' ')} } } }`],
  ['__typename repeated under aliases', `{ cube { customer_base { ${Array.from({ length: 200 }, (_, i) => `t${i}: __typename`).join(' ')} } } }`],
  ['repeats hidden in fragments', `{ __schema { ...A ...B } } fragment A on __Schema { a: types { name } } fragment B on __Schema { b: types { name } }`],
  ['repeats hidden in fields merged by response key', `{ __schema { types { a: fields { name } } types { b: fields { name } } } }`],
  ['repeats hidden in inline fragments', `{ __schema { ... on __Schema { a: types { name } } ... on __Schema { b: types { name } } } }`],
  ['introspection cycles: types → fields → type → fields → type → fields', `{ __schema { types { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } } }`],
  ['the same cycle through __type', `{ __type(name: "__Type") { fields { type { ofType { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } } } } }`],
  ['a member repeated in a second operation of the document', `query A { cube { customer_base { customer_id } } } query B { cube { customer_base { a: customer_id b: customer_id } } }`],
];

const ALLOWED: [string, string][] = [
  ['GraphiQL’s introspection query', getIntrospectionQuery()],
  ['GraphiQL’s with descriptions and every option', getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true })],
  ['a cube query', `{ cube(limit: 10, where: { customer_base: { region: { equals: "EMEA" } } }) { customer_base { customer_id customer_name region } } }`],
  ['twelve aliased cube fields (query-fanout.ts counts them)', aliases(12, (i) => `c${i}: cube(limit: 1) { customer_base { customer_id } }`)],
  ['the same field asked twice under one key (GraphQL merges it)', `{ cube { customer_base { customer_id customer_id ...F } } } fragment F on CustomerBaseMembers { customer_id }`],
  ['a fragment spread inside itself (GraphQL refuses it; no endless expansion here)', `{ __schema { ...A } } fragment A on __Schema { types { name } ...A }`],
  ['not a document (Cube answers it)', '{ cube { '],
];

test('documents that repeat a field under aliases or nest introspection lists are refused with a sentence', () => {
  for (const [what, doc] of REFUSED) {
    const problem = graphqlShapeProblem(doc);
    assert.ok(problem, `${what}: refused`);
    assert.match(problem!, /asked \d+ times under one parent|nests \d+ lists|too large/, what);
  }
});

test('GraphiQL’s introspection, cube queries and the fan-out guard’s own cases still pass', () => {
  for (const [what, doc] of ALLOWED) assert.equal(graphqlShapeProblem(doc), undefined, what);
  assert.equal(MAX_INTROSPECTION_LISTS, 3);
});

test('fragments spread within fragments past any real document are refused as too large', () => {
  // 50 × 50 × 50 spreads of A from a few hundred bytes: expanding them is the work to bound.
  const spreads = (name: string): string => Array.from({ length: 50 }, () => `...${name}`).join(' ');
  const doc = `{ __schema { ...B } } fragment B on __Schema { ${spreads('C')} } fragment C on __Schema { ${spreads('D')} } fragment D on __Schema { ${spreads('A')} } fragment A on __Schema { types { name } }`;
  assert.match(graphqlShapeProblem(doc) ?? '', /too large/);
});

test('the guard answers 400 with the sentence for POST and GET, before anything runs', () => {
  const doc = aliases(3, (i) => `a${i}: __schema { types { name } }`);
  for (const req of [
    { method: 'POST', url: '/cubejs-api/graphql', headers: { 'content-type': 'application/json' }, body: { query: doc } },
    { method: 'GET', url: `/cubejs-api/GraphQL?query=${encodeURIComponent(doc)}`, headers: {}, query: { query: doc } },
  ]) {
    let status = 0;
    let body: unknown;
    let passed = false;
    const res = { status: (s: number) => ((status = s), { json: (b: unknown) => void (body = b) }) };
    queryFanoutGuard()(req as never, res as never, () => void (passed = true));
    assert.equal(passed, false, `${req.method}: not passed on`);
    assert.equal(status, 400);
    assert.match(JSON.stringify(body), /__schema is asked 3 times under one parent/);
  }
});

test('a document nested thousands deep is a 400 with a sentence, not the engine\'s stack message (eighth review)', () => {
  const where = `{ cube(where: ${'{OR: ['.repeat(30_000)}{customer_base: {customer_id: {set: true}}}${']}'.repeat(30_000)}) { customer_base { customers } } }`;
  const selections = `{ ${'a { '.repeat(30_000)}b${' }'.repeat(30_000)} }`;
  for (const doc of [where, selections]) assert.match(graphqlShapeProblem(doc) ?? '', /nests too deep to be read/);
  // An ordinary query is still not this guard's business.
  assert.equal(graphqlShapeProblem('{ cube(where: {OR: [{customer_base: {customer_id: {set: true}}}]}) { customer_base { customers } } }'), undefined);
});
