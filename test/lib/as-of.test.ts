import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeAsOf,
  lastFactQuery,
  resolveAsOf,
  STALE_AFTER_DAYS,
  type AsOf,
  type ResolveAsOfInput,
} from '../../lib/as-of.ts';
import { loadConfig } from '../../lib/config/schema.ts';

/** The as-of rule with fixed dates (no clock): configured wins; data older than a week → its end; else today. */
const cases: Array<[string, ResolveAsOfInput, AsOf]> = [
  [
    'CRM_AS_OF wins over old data',
    { configured: '1998-03-31', today: '2026-12-06', lastFactDate: '1998-06-30' },
    { date: '1998-03-31', reason: 'configured' },
  ],
  [
    'CRM_AS_OF wins over current data',
    { configured: '2026-11-30', today: '2026-12-06', lastFactDate: '2026-12-06' },
    { date: '2026-11-30', reason: 'configured' },
  ],
  [
    'CRM_AS_OF after the data and today is still what was asked',
    { configured: '2027-01-01', today: '2026-12-06', lastFactDate: '2026-12-01' },
    { date: '2027-01-01', reason: 'configured' },
  ],
  [
    'blank CRM_AS_OF counts as unset',
    { configured: '  ', today: '2026-12-06', lastFactDate: '2026-12-05' },
    { date: '2026-12-06', reason: 'today' },
  ],
  [
    'CDNOW: data ending in 1998 is analysed as of its end',
    { today: '2026-12-06', lastFactDate: '1998-06-30' },
    { date: '1998-06-30', reason: 'data-end' },
  ],
  [
    'last fact today → today',
    { today: '2026-12-06', lastFactDate: '2026-12-06' },
    { date: '2026-12-06', reason: 'today' },
  ],
  [
    'exactly 7 days old is still current (a week without sales)',
    { today: '2026-12-06', lastFactDate: '2026-11-29' },
    { date: '2026-12-06', reason: 'today' },
  ],
  [
    '8 days old ends in the past',
    { today: '2026-12-06', lastFactDate: '2026-11-28' },
    { date: '2026-11-28', reason: 'data-end' },
  ],
  [
    'across a year boundary',
    { today: '2027-01-03', lastFactDate: '2026-12-26' },
    { date: '2026-12-26', reason: 'data-end' },
  ],
  [
    'facts dated after today → today',
    { today: '2026-12-06', lastFactDate: '2027-02-01' },
    { date: '2026-12-06', reason: 'today' },
  ],
  ['no facts → today', { today: '2026-12-06' }, { date: '2026-12-06', reason: 'today' }],
];

for (const [name, input, expected] of cases) {
  test(`resolveAsOf: ${name}`, () => assert.deepEqual(resolveAsOf(input), expected));
}

test('the threshold is the documented 7 days', () => {
  assert.equal(STALE_AFTER_DAYS, 7);
});

test('bad dates are errors naming which date', () => {
  assert.throws(
    () => resolveAsOf({ configured: '1998-02-30', today: '2026-12-06' }),
    /CRM_AS_OF must be a calendar date YYYY-MM-DD, got "1998-02-30"/,
  );
  assert.throws(() => resolveAsOf({ configured: '30.06.1998', today: '2026-12-06' }), /CRM_AS_OF .*"30\.06\.1998"/);
  assert.throws(() => resolveAsOf({ today: '2026-12-6' }), /today must be/);
  assert.throws(() => resolveAsOf({ today: '2026-12-06', lastFactDate: '1970-13-01' }), /the last fact date must be/);
});

test('CRM_AS_OF is checked when a process starts', () => {
  assert.equal(loadConfig({ CRM_AS_OF: '1998-06-30' }).CRM_AS_OF, '1998-06-30');
  assert.equal(loadConfig({}).CRM_AS_OF, undefined);
  assert.throws(
    () => loadConfig({ CRM_AS_OF: '1998-06-31' }),
    /CRM_AS_OF must be a calendar date YYYY-MM-DD, got '1998-06-31'/,
  );
});

test('describeAsOf says what was chosen and why', () => {
  assert.equal(describeAsOf({ date: '1998-03-31', reason: 'configured' }), 'as of 1998-03-31 (CRM_AS_OF)');
  assert.match(
    describeAsOf({ date: '1998-06-30', reason: 'data-end' }),
    /^as of 1998-06-30: the data ends there, more than 7 days before today/,
  );
  assert.equal(
    describeAsOf({ date: '2026-12-06', reason: 'today' }, '2026-12-05'),
    'as of today, 2026-12-06 (last fact 2026-12-05)',
  );
});

test('the last-fact query reads both fact tables of the named database and refuses odd names', () => {
  const q = lastFactQuery('crm').query;
  assert.match(q, /FROM `crm`\.transactions/);
  assert.match(q, /FROM `crm`\.interactions/);
  assert.throws(() => lastFactQuery('crm; DROP'), /invalid ClickHouse name/);
});
