import { describe, expect, it } from 'vitest';
import { consentFilter, exclusion, exclusionText, purposeLabel, purposeToken, withConsent } from './consent.ts';

describe('consent filter of segments', () => {
  it.each([
    ['marketing_email', '|marketing_email|'],
    ['sms', '|sms|'],
  ])('%s → %s (as is: Cube doubles backslashes, so no escape would survive)', (purpose, token) => {
    expect(purposeToken(purpose)).toBe(token);
  });

  it('defaults to marketing e-mail and adds to the filters', () => {
    expect(consentFilter()).toEqual({
      member: 'customer_base.granted_consents',
      operator: 'contains',
      values: ['|marketing_email|'],
    });
    const q = withConsent(
      {
        measures: ['customer_base.customers'],
        filters: [{ member: 'customer_base.region', operator: 'equals', values: ['North'] }],
      },
      'marketing_sms',
    );
    expect(q.filters).toEqual([
      { member: 'customer_base.region', operator: 'equals', values: ['North'] },
      consentFilter('marketing_sms'),
    ]);
    expect(withConsent({ measures: ['x'] }).filters).toEqual([consentFilter()]);
  });

  it.each([
    [120, 105, 15],
    [10, 10, 0],
    [0, 0, 0],
    [5, 7, 0],
    [Number.NaN, 3, 0],
  ])('%d matching, %d consented → %d excluded', (m, c, e) => {
    expect(exclusion(m, c).excluded).toBe(e);
  });

  it('says it in one line', () => {
    expect(exclusionText(exclusion(1200, 1050), (n) => n.toLocaleString('en-GB'))).toBe(
      '1,200 match · 150 excluded for lack of consent (marketing e-mail)',
    );
    expect(purposeLabel('marketing_sms')).toBe('marketing sms');
  });
});
