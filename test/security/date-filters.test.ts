/**
 * Ninth security review's follow-up: a filter with a date that does not exist (`beforeDate
 * "2020-13-45"`, `inDateRange` with February 30th) or a range that runs backwards answered 200 with
 * empty data, which a user reads as "no customers then". Now a 400 naming the member and the value,
 * on a real Cube server over the semantic fixture, through REST (/v1/load, /v1/sql) and GraphQL
 * (a literal, and a variable, which only queryRewrite sees). Real dates still answer, with the
 * fixture's own customers, counted here from the fixture.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { customers, OWNER_ANN } from '../semantic/fixture.ts';
import { startSemanticFixture, type Answer, type SemanticFixture } from '../semantic/support.ts';

let fx: SemanticFixture;
let ann: string;

before(async () => {
  fx = await startSemanticFixture();
  ann = fx.token('owner', OWNER_ANN);
});
after(async () => {
  await fx?.close();
});

// Ann's customers by their latest version (C04 moved to her in version 2), with their signup days.
const latest = new Map<string, (typeof customers)[number]>();
for (const c of customers) if ((latest.get(c.customer_id)?.version ?? 0) <= c.version) latest.set(c.customer_id, c);
const annSignups = [...latest.values()].filter((c) => c.owner_id === OWNER_ANN).map((c) => ({ id: c.customer_id, day: c.signup_date }));
const annSignedUp = (test: (day: string) => boolean): string[] => annSignups.filter((c) => test(c.day)).map((c) => c.id).sort();

const MEMBER = 'customer_base.signup_date';
const ids = { dimensions: ['customer_base.customer_id'], ungrouped: true };
const withFilter = (operator: string, values: string[]) => ({ ...ids, filters: [{ member: MEMBER, operator, values }] });
const withRange = (dateRange: string | string[]) => ({ ...ids, timeDimensions: [{ dimension: MEMBER, dateRange }] });
const idsOf = (a: Answer): string[] => (a.body.data ?? []).map((r) => String(r['customer_base.customer_id'])).sort();

function refused(answer: { status: number; body: { error?: string; data?: unknown } }, what: string, ...named: RegExp[]): void {
  assert.equal(answer.status, 400, `${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  for (const re of named) assert.match(String(answer.body.error), re, what);
  assert.equal(answer.body.data, undefined, what);
}

describe('REST', () => {
  const bad: [string, unknown, RegExp[]][] = [
    ['beforeDate 2020-13-45', withFilter('beforeDate', ['2020-13-45']), [/customer_base\.signup_date/, /beforeDate/, /"2020-13-45"/, /not a date/]],
    ['afterDate 2024-02-30', withFilter('afterDate', ['2024-02-30']), [/signup_date/, /"2024-02-30"/]],
    ['afterDate 25:61', withFilter('afterDate', ['2024-01-01T25:61:00']), [/signup_date/, /"2024-01-01T25:61:00"/]],
    ['inDateRange with 2023-02-29', withFilter('inDateRange', ['2023-02-29', '2024-03-01']), [/signup_date \(inDateRange\)/, /"2023-02-29"/]],
    ['inDateRange backwards', withFilter('inDateRange', ['2024-03-01', '2024-01-01']), [/signup_date \(inDateRange\)/, /backwards/, /"2024-03-01" is after "2024-01-01"/]],
    ['notInDateRange with one date', withFilter('notInDateRange', ['2024-03-01']), [/signup_date \(notInDateRange\)/, /two dates/]],
    ['inDateRange nested in or', { ...ids, filters: [{ or: [{ member: MEMBER, operator: 'inDateRange', values: ['2024-01-01', 'yesterday-ish'] }] }] }, [/signup_date/, /"yesterday-ish"/]],
    ['dateRange with month 13', withRange(['2020-13-01', '2020-12-01']), [/dateRange of customer_base\.signup_date/, /"2020-13-01"/]],
    ['dateRange backwards', withRange(['2024-03-01', '2024-01-01']), [/dateRange of customer_base\.signup_date/, /backwards/]],
    ['dateRange "from … to …" backwards', withRange('from 2024-03-01 to 2024-01-01'), [/dateRange of customer_base\.signup_date/, /backwards/]],
    ['dateRange 2024-02-30 as one string', withRange('2024-02-30'), [/dateRange of customer_base\.signup_date/, /"2024-02-30"/]],
  ];
  for (const [what, query, named] of bad) {
    test(`${what}: 400 naming the member and value, on /v1/load and /v1/sql`, async () => {
      refused(await fx.post('v1/load', { query }, ann), what, ...named);
      refused(await fx.post('v1/sql', { query }, fx.token('analyst')), `sql ${what}`, ...named);
      // GET with the query in the URL, as the dashboard's client sends it.
      const res = await fetch(`${fx.semantic.url}/v1/load?query=${encodeURIComponent(JSON.stringify(query))}`, { headers: { authorization: `Bearer ${ann}` } });
      refused({ status: res.status, body: (await res.json()) as { error?: string } }, `GET ${what}`, ...named);
    });
  }

  test('real dates and ranges answer with the fixture\'s customers', async () => {
    const before = await fx.post('v1/load', { query: withFilter('beforeDate', ['2024-02-01']) }, ann);
    assert.equal(before.status, 200, JSON.stringify(before.body).slice(0, 300));
    assert.deepEqual(idsOf(before), annSignedUp((d) => d < '2024-02-01'));
    const range = await fx.post('v1/load', { query: withFilter('inDateRange', ['2024-01-10', '2024-02-15']) }, ann);
    assert.equal(range.status, 200, JSON.stringify(range.body).slice(0, 300));
    assert.deepEqual(idsOf(range), annSignedUp((d) => d >= '2024-01-10' && d <= '2024-02-15'));
    // One day as from and to: that day, not "backwards".
    const day = await fx.post('v1/load', { query: withRange(['2024-02-15', '2024-02-15']) }, ann);
    assert.equal(day.status, 200, JSON.stringify(day.body).slice(0, 300));
    assert.deepEqual(idsOf(day), annSignedUp((d) => d === '2024-02-15'));
    assert.ok(idsOf(range).length > 0 && idsOf(before).length > 0, 'the fixture has customers in the ranges');
    // Relative ranges are Cube's to read and still answer.
    assert.equal((await fx.post('v1/load', { query: withRange('last 7 days') }, ann)).status, 200);
  });
});

describe('GraphQL', () => {
  const where = (filter: string) => `{ cube(where: { customer_base: { signup_date: { ${filter} } } }) { customer_base { customer_id } } }`;

  test('a literal impossible date or a backwards range: 400 naming the member and value', async () => {
    const month13 = await fx.graphql(where('beforeDate: "2020-13-45"'), ann);
    refused(month13, 'graphql beforeDate', /customer_base\.signup_date/, /"2020-13-45"/);
    const backwards = await fx.graphql(where('inDateRange: ["2024-03-01", "2024-01-01"]'), ann);
    refused(backwards, 'graphql inDateRange', /customer_base\.signup_date \(inDateRange\)/, /backwards/);
    const onView = await fx.graphql('{ cube { customer_base(where: { signup_date: { afterDate: "2024-02-30" } }) { customer_id } } }', ann);
    refused(onView, 'graphql where on the view', /customer_base\.signup_date/, /"2024-02-30"/);
  });

  test('the date in a variable is refused by queryRewrite (Cube has read it as "Invalid date" by then)', async () => {
    const res = await fetch(`${fx.semantic.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ann}` },
      body: JSON.stringify({
        query: 'query Q($r: [String]) { cube(where: { customer_base: { signup_date: { inDateRange: $r } } }) { customer_base { customer_id } } }',
        variables: { r: ['2024-03-01', '2024-01-01'] },
      }),
    });
    const body = (await res.json()) as { data?: { cube?: unknown } | null; errors?: { message: string }[] };
    assert.match(String(body.errors?.[0]?.message), /signup_date/, JSON.stringify(body).slice(0, 300));
    assert.match(String(body.errors?.[0]?.message), /backwards|does not exist/);
    assert.equal(body.data?.cube ?? null, null);
  });

  test('a real range answers with the fixture\'s customers', async () => {
    const answer = await fx.graphql(where('inDateRange: ["2024-01-10", "2024-02-15"]'), ann);
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
    const got = ((answer.body.data as { cube: { customer_base: { customer_id: string } }[] }).cube ?? []).map((r) => r.customer_base.customer_id).sort();
    assert.deepEqual(got, annSignedUp((d) => d >= '2024-01-10' && d <= '2024-02-15'));
  });
});

// Tenth review: what the ninth's check did not cover. A text compared with a time member, a zone
// Node knows but ClickHouse does not, and dates outside what ClickHouse stores (it clamps to
// 1970-01-01 … 2106-02-07) each came back as a generic error or as silently clamped data.
describe('values ClickHouse cannot read as the query means them', () => {
  const refusedHere: [string, unknown, RegExp[]][] = [
    ['equals "zzz" on a time member', withFilter('equals', ['zzz']), [/customer_base\.signup_date \(equals\)/, /"zzz"/, /not a date/]],
    ['notEquals with a second value that is no date', withFilter('notEquals', ['2024-01-10', 'soon']), [/signup_date \(notEquals\)/, /"soon"/]],
    ['gt "2024-13-01" on a time member', withFilter('gt', ['2024-13-01']), [/signup_date \(gt\)/, /"2024-13-01"/]],
    ['beforeDate 1960-01-01', withFilter('beforeDate', ['1960-01-01']), [/signup_date \(beforeDate\)/, /"1960-01-01"/, /1970-01-01 to 2106-02-07/]],
    ['inDateRange ending in 2200', withFilter('inDateRange', ['2024-01-01', '2200-01-01']), [/signup_date \(inDateRange\)/, /"2200-01-01"/, /1970-01-01 to 2106-02-07/]],
    ['dateRange starting in 1900', withRange(['1900-01-01', '2024-01-01']), [/dateRange of customer_base\.signup_date/, /"1900-01-01"/, /1970-01-01/]],
    ['a zone Node knows and ClickHouse does not', { ...withRange(['2024-01-01', '2024-03-01']), timezone: 'US/Pacific-New' }, [/timezone/i, /"US\/Pacific-New"/]],
  ];
  for (const [what, query, named] of refusedHere) {
    test(`${what}: 400 naming it, on /v1/load and /v1/sql`, async () => {
      refused(await fx.post('v1/load', { query }, ann), what, ...named);
      refused(await fx.post('v1/sql', { query }, fx.token('analyst')), `sql ${what}`, ...named);
    });
  }

  test('GraphQL: equals with a text on a time member, a date before 1970, a zone ClickHouse lacks', async () => {
    const where = (filter: string) => `{ cube(where: { customer_base: { signup_date: { ${filter} } } }) { customer_base { customer_id } } }`;
    // Refused in queryRewrite, which GraphQL answers with the message and no rows.
    const refusedGql = (a: { body: { data?: unknown } }, what: string, ...named: RegExp[]): void => {
      const text = JSON.stringify(a.body);
      for (const re of named) assert.match(text, re, `${what}: ${text.slice(0, 300)}`);
      assert.equal((a.body.data as { cube?: unknown } | null | undefined)?.cube ?? null, null, what);
    };
    refusedGql(await fx.graphql(where('equals: "zzz"'), ann), 'graphql equals', /customer_base\.signup_date \(equals\)/, /\\"zzz\\"/);
    refusedGql(await fx.graphql(where('beforeDate: "1960-01-01"'), ann), 'graphql beforeDate', /signup_date \(beforeDate\)/, /1960-01-01/);
    refusedGql(await fx.graphql('{ cube(timezone: "US/Pacific-New") { customer_base { signup_date { month } } } }', ann), 'graphql timezone', /does not know \\"US\/Pacific-New\\"/);
  });

  test('real values still answer: equals a day, dates at the stored bounds, a zone ClickHouse has', async () => {
    const day = annSignups[0]!.day;
    const eq = await fx.post('v1/load', { query: withFilter('equals', [day]) }, ann);
    assert.equal(eq.status, 200, JSON.stringify(eq.body).slice(0, 300));
    assert.deepEqual(idsOf(eq), annSignedUp((d) => d === day));
    const all = await fx.post('v1/load', { query: withFilter('inDateRange', ['1970-01-01', '2106-02-06']) }, ann);
    assert.equal(all.status, 200, JSON.stringify(all.body).slice(0, 300));
    assert.deepEqual(idsOf(all), annSignedUp(() => true));
    const zoned = await fx.post('v1/load', { query: { ...withRange(['1970-01-01', '2106-02-06']), timezone: 'America/Los_Angeles' } }, ann);
    assert.equal(zoned.status, 200, JSON.stringify(zoned.body).slice(0, 300));
    assert.equal(idsOf(zoned).length, annSignups.length);
  });
});
