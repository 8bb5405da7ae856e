/**
 * What the semantic layer remembers for the next start's warm-up (semantic/warm-up.ts) is kept in
 * the data directory (semantic-warm.json) and replayed with a token signed for the remembered role
 * and owner. An attacker's view of that file: it must hold no token or other secret, and no
 * person — a 360 page's query names the customer by id, a search box sends an e-mail or a name —
 * because erasure (lib/privacy) does not rewrite it and the warm-up would ask for the erased
 * person again at every start. Pure: the recorder is driven with request objects, no server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jwt from 'jsonwebtoken';
import { AskedRequests, parseAsked } from '../../semantic/warm-up.ts';

const SECRET = 'warm-up-test-secret-0123456789abcdef';
const sign = (claims: Record<string, unknown>): string => jwt.sign({ sub: 'u-1', name: 'Ann', ...claims }, SECRET, { algorithm: 'HS256', expiresIn: 600 });

/** Feeds one request through the recorder as express would (JSON body parsed) and returns what is kept. */
function record(asked: AskedRequests, req: { method: string; url: string; body?: unknown; token: string }): void {
  let passed = false;
  asked.recorder(SECRET)({ method: req.method, url: req.url, headers: { authorization: req.token }, body: req.body } as never, {} as never, () => {
    passed = true;
  });
  assert.ok(passed, 'the recorder always passes the request on');
}

const PERSON = { id: 'C-4711', email: 'erika.mustermann@example.org', name: 'Erika Mustermann' };

test('queries that name a person are not remembered; the cockpit queries are, without the token', () => {
  const asked = new AskedRequests();
  const owner = sign({ role: 'owner', owner_id: 'U-OWN-01' });
  const cockpit = { measures: ['sales.revenue'], timeDimensions: [{ dimension: 'sales.order_date', granularity: 'month', dateRange: ['2026-01-01', '2026-06-30'] }], filters: [{ member: 'customer_base.region', operator: 'equals', values: ['EMEA'] }] };
  record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query: cockpit }, token: owner });
  // The 360 page, the customers search and the 360 page's deals, POST and GET, nested in and/or.
  const personal = [
    { dimensions: ['customer_base.customer_name'], filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [PERSON.id] }] },
    { dimensions: ['customer_base.customer_id'], filters: [{ or: [{ member: 'customer_base.email', operator: 'contains', values: [PERSON.email] }, { member: 'customer_base.customer_name', operator: 'contains', values: [PERSON.name] }] }] },
    { dimensions: ['deal_risk.causes'], filters: [{ and: [{ member: 'deal_risk.customer_id', operator: 'equals', values: [PERSON.id] }] }] },
    { dimensions: ['customer_base.customer_id'], filters: [{ dimension: 'customer_base.company', operator: 'contains', values: [PERSON.name] }] },
  ];
  for (const query of personal) {
    record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query }, token: owner });
    record(asked, { method: 'GET', url: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify(query))}`, token: owner });
  }
  // A token, a password or anything else placed beside the query in the URL or the body.
  record(asked, { method: 'GET', url: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify(cockpit))}&token=${owner}`, token: owner });
  record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query: cockpit, authorization: owner, password: 'hunter2' }, token: owner });

  const kept = JSON.stringify(asked.all());
  for (const value of [PERSON.id, PERSON.email, PERSON.name, 'Mustermann', owner, owner.split('.')[2], SECRET, 'hunter2', 'u-1', 'Ann'])
    assert.ok(!kept.includes(value), `the remembered queries hold ${value}: ${kept}`);
  // The cockpit query is still remembered (the warm-up's purpose), with the owner it was asked as.
  assert.ok(asked.all().some((e) => e.role === 'owner' && e.owner_id === 'U-OWN-01' && (e.body ?? decodeURIComponent(e.path)).includes('sales.revenue')), kept);
});

test('a file written before this rule loses its entries that name a person when read', () => {
  const entry = (query: unknown) => ({ method: 'POST', path: '/cubejs-api/v1/load', body: JSON.stringify({ query }), role: 'owner', owner_id: 'U-OWN-01', count: 3, last: 1 });
  const text = JSON.stringify([
    entry({ measures: ['sales.revenue'] }),
    entry({ dimensions: ['customer_base.customer_name'], filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [PERSON.id] }] }),
    { ...entry({ measures: ['sales.revenue'] }), method: 'GET', path: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify({ filters: [{ member: 'customer_base.email', operator: 'equals', values: [PERSON.email] }] }))}`, body: undefined },
  ]);
  const kept = parseAsked(text);
  assert.equal(kept.length, 1, JSON.stringify(kept));
  assert.ok(!JSON.stringify(kept).includes(PERSON.id) && !JSON.stringify(kept).includes('erika'));
});

test('a merged cockpit request (a KPI and its comparison in one, queryType multi) is remembered with its query type, GET and POST', () => {
  // Without `queryType: multi` Cube refuses a compareDateRange query ("not supported by the client"),
  // so a replay that dropped it would warm nothing: the replayed request must carry it.
  const asked = new AskedRequests();
  const exec = sign({ role: 'executive' });
  const merged = {
    measures: ['sales.revenue', 'sales.active_customers'],
    timeDimensions: [{ dimension: 'sales.order_date', compareDateRange: [['2025-11-01', '2026-10-31'], ['2024-11-01', '2025-10-31']] }],
    filters: [],
  };
  record(asked, { method: 'GET', url: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify(merged))}&queryType=multi`, token: exec });
  record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query: { ...merged, measures: ['pipeline.win_rate'] }, queryType: 'multi' }, token: exec });
  const [get, post] = asked.all();
  const params = new URL(get.path, 'http://x').searchParams;
  assert.equal(params.get('queryType'), 'multi');
  assert.deepEqual(JSON.parse(params.get('query')!), merged);
  assert.deepEqual(JSON.parse(post.body!), { query: { ...merged, measures: ['pipeline.win_rate'] }, queryType: 'multi' });
  // And read back from the file the next start reads.
  assert.equal(parseAsked(JSON.stringify(asked.all())).length, 2);
});

test('a request asking for fresh keys (renewQuery: the answer cache’s own misses as its loopback polls repeat them) is not remembered, and a file loses such entries', () => {
  const asked = new AskedRequests();
  const exec = sign({ role: 'executive' });
  const query = { measures: ['pipeline.deals'] };
  record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query }, token: exec });
  record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query: { ...query, renewQuery: true } }, token: exec });
  record(asked, { method: 'GET', url: `/cubejs-api/v1/load?query=${encodeURIComponent(JSON.stringify({ ...query, renewQuery: true }))}&queryType=multi`, token: exec });
  record(asked, { method: 'POST', url: '/cubejs-api/v1/load', body: { query: [query, { ...query, renewQuery: true }], queryType: 'multi' }, token: exec });
  const kept = asked.all();
  assert.equal(kept.length, 1, JSON.stringify(kept));
  assert.ok(!JSON.stringify(kept).includes('renewQuery'));
  const entry = (q: unknown) => ({ method: 'POST', path: '/cubejs-api/v1/load', body: JSON.stringify({ query: q }), role: 'executive', count: 3, last: 1 });
  assert.deepEqual(parseAsked(JSON.stringify([entry(query), entry({ ...query, renewQuery: true })])), [entry(query)]);
});
