import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customers } from '../../ingest/entities/customers.ts';
import { goldenOf, type SourceRow } from '../../ingest/identity/golden.ts';

const record = (over: Partial<SourceRow>): SourceRow => ({
  source: 'crm',
  source_id: '1',
  customer_id: 'C-1',
  customer_type: '',
  name: '',
  email: '',
  email_norm: '',
  phone: '',
  phone_norm: '',
  company: '',
  region: '',
  country: '',
  city: '',
  acquisition_channel: '',
  owner_id: '',
  signup_date: null,
  version: '1',
  ...over,
});

describe('golden record survivorship (the customers entity declares it per field)', () => {
  const rules = customers.survivorship!;
  const first = record({ source: 'crm', source_id: '1', name: 'Ann Old', email: 'ann@old.example', email_norm: 'ann@old.example', city: 'Berlin', acquisition_channel: 'Paid search', signup_date: '2021-03-01', version: '100' });
  const later = record({ source: 'fair', source_id: '9', name: 'Ann New', email: 'ANN@new.example', email_norm: 'ann@new.example', phone: '030 1234567', phone_norm: '+49301234567', city: 'Hamburg', acquisition_channel: 'Trade fair', signup_date: '2024-05-01', version: '200' });

  test('every golden attribute has a rule', () => {
    for (const f of ['customer_type', 'name', 'email', 'phone', 'company', 'region', 'country', 'city', 'acquisition_channel', 'owner_id', 'signup_date']) {
      assert.ok(rules[f] === 'earliest' || rules[f] === 'newest', f);
    }
  });

  test('a later record keeps the acquisition channel and signup date, takes name and contact details', () => {
    for (const records of [[first, later], [later, first]]) {
      const g = goldenOf('C-1', records, rules);
      assert.deepEqual(
        [g.acquisition_channel, g.signup_date, g.name, g.email, g.phone, g.city, g.source_records, g.sources],
        ['Paid search', '2021-03-01', 'Ann New', 'ann@new.example', '+49301234567', 'Hamburg', 2, ['crm', 'fair']],
      );
    }
  });

  test('earliest: without signup dates the oldest version; an empty value falls through to the next record', () => {
    const a = record({ source: 'a', source_id: '1', acquisition_channel: '', version: '10' });
    const b = record({ source: 'b', source_id: '1', acquisition_channel: 'Referral', version: '20' });
    const c = record({ source: 'c', source_id: '1', acquisition_channel: 'Display', version: '30' });
    assert.equal(goldenOf('C-1', [c, b, a], rules).acquisition_channel, 'Referral');
    // A record with a signup date comes before records without one, whatever their versions.
    const d = record({ source: 'd', source_id: '1', acquisition_channel: 'Newsletter', signup_date: '2022-01-01', version: '40' });
    assert.equal(goldenOf('C-1', [a, b, c, d], rules).acquisition_channel, 'Newsletter');
  });

  test('newest: equal versions go to the larger source:source_id', () => {
    const a = record({ source: 'a', source_id: '1', name: 'From a', version: '5' });
    const b = record({ source: 'b', source_id: '1', name: 'From b', version: '5' });
    assert.equal(goldenOf('C-1', [b, a], rules).name, 'From b');
    assert.equal(goldenOf('C-1', [a, b], rules).name, 'From b');
  });

  test('a field without a rule is a programming error, not a silent default', () => {
    assert.throws(() => goldenOf('C-1', [first], { ...rules, city: undefined as unknown as 'newest' }), /no survivorship rule for customers.city/);
  });
});
