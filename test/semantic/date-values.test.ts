/**
 * The date rules of semantic/security/date-filters.ts, without Cube: which strings are real dates
 * (calendar days, leap years, times, offsets), and when a range runs backwards. The live answers
 * are in test/security/date-filters.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateValue, graphqlDateProblem, queryDateProblem } from '../../semantic/security/date-filters.ts';

test('real calendar days and times only', () => {
  for (const ok of ['2024-02-29', '2000-02-29', '2023-12-31', '2024-01-01T00:00', '2024-01-01 23:59:59', '2024-01-01T00:00:00.000', '2024-01-01T10:00:00Z', '2024-01-01T10:00:00+05:30'])
    assert.notEqual(dateValue(ok), undefined, ok);
  for (const bad of ['2023-02-29', '1900-02-29', '2020-13-45', '2024-04-31', '2024-00-10', '2024-01-00', '2024-01-01T24:00', '2024-01-01T10:60', '2024-01-01T10:00:61', '2024-1-1', '20240101', 'yesterday', '', 'Invalid date'])
    assert.equal(dateValue(bad), undefined, bad);
});

test('instants: offsets applied, a bare date ends at the end of its day', () => {
  assert.equal(dateValue('2024-01-01T10:00:00+02:00'), Date.UTC(2024, 0, 1, 8));
  assert.equal(dateValue('2024-01-01T10:00:00-01:30'), Date.UTC(2024, 0, 1, 11, 30));
  assert.equal(dateValue('2024-01-01', true), Date.UTC(2024, 0, 2) - 1);
  assert.equal(dateValue('2024-01-01T12:00', true), Date.UTC(2024, 0, 1, 12));
});

test('ranges: one day is not backwards, a day before its start is; nested filters are read', () => {
  const range = (values: string[]) => queryDateProblem({ filters: [{ member: 'v.d', operator: 'inDateRange', values }] });
  assert.equal(range(['2024-03-01', '2024-03-01']), undefined);
  assert.equal(range(['2024-03-01T12:00', '2024-03-01']), undefined, 'noon is before the end of that day');
  assert.match(String(range(['2024-03-02', '2024-03-01'])), /v\.d \(inDateRange\) runs backwards/);
  assert.match(String(queryDateProblem([{}, { filters: [{ and: [{ or: [{ member: 'v.d', operator: 'afterDate', values: ['2024-02-30'] }] }] }] }])), /v\.d \(afterDate\).*"2024-02-30"/);
  assert.equal(queryDateProblem({ timeDimensions: [{ dimension: 'v.d', dateRange: 'last 12 months' }] }), undefined);
  assert.match(String(queryDateProblem({ timeDimensions: [{ dimension: 'v.d', compareDateRange: [['2024-01-01', '2024-01-31'], ['2023-13-01', '2023-12-31']] }] })), /compareDateRange of v\.d/);
  // Text that is not a date is not echoed back (the error boundary hides messages that look like SQL).
  assert.doesNotMatch(String(range(["2024-01-01' OR 1=1 --", '2024-02-01'])), /OR 1=1/);
});

test('GraphQL literals: on cube and on a view field, in AND/OR; variables left to queryRewrite', () => {
  assert.match(String(graphqlDateProblem('{ cube(where: { OR: [{ sales: { order_date: { beforeDate: "2020-13-45" } } }] }) { sales { count } } }')), /sales\.order_date \(beforeDate\)/);
  assert.match(String(graphqlDateProblem('{ cube { sales(where: { order_date: { inDateRange: ["2024-02-01", "2024-01-01"] } }) { count } } }')), /sales\.order_date \(inDateRange\) runs backwards/);
  assert.equal(graphqlDateProblem('query Q($r: [String]) { cube(where: { sales: { order_date: { inDateRange: $r } } }) { sales { count } } }'), undefined);
  assert.equal(graphqlDateProblem('{ cube(where: { sales: { order_date: { inDateRange: ["2024-01-01", "2024-02-01"] } } }) { sales { count } } }'), undefined);
});
