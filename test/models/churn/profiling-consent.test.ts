// Churn scoring follows profiling consent (issue 16): the feature query's population leaves out
// customers without it, per the configured default. Pure: the query text only (the end-to-end
// check that no such customer has a score is in test/web/consent.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFeatureQuery } from '../../../models/churn/features.ts';

describe('profiling consent in the churn feature query', () => {
  const orders = (q: string): string =>
    q.slice(q.indexOf('lines AS ('), q.indexOf('GROUP BY', q.indexOf('lines AS (')));
  test('unset: everyone (training, tests)', () => {
    assert.doesNotMatch(buildFeatureQuery({ cutoff: '2024-06-30', population: 'buyers' }).query, /consent_current/);
  });
  test('default granted: customers whose newest profiling event is a withdrawal are left out', () => {
    const q = buildFeatureQuery({ cutoff: '2024-06-30', population: 'buyers', profilingConsent: 'granted' }).query;
    assert.match(
      orders(q),
      /AND customer_id NOT IN \(SELECT customer_id FROM consent_current WHERE purpose = 'profiling' AND status = 'withdrawn'\)/,
    );
  });
  test('default denied: only customers whose newest profiling event is a grant', () => {
    const q = buildFeatureQuery({ cutoff: '2024-06-30', population: 'buyers', profilingConsent: 'denied' }).query;
    assert.match(
      orders(q),
      /AND customer_id IN \(SELECT customer_id FROM consent_current WHERE purpose = 'profiling' AND status = 'granted'\)/,
    );
    assert.doesNotMatch(q, /NOT IN \(SELECT customer_id FROM consent_current/);
  });
});
