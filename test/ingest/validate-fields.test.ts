import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currencyCode, currencyCodeProblem, missingRateProblem } from '../../ingest/validate/check-currency.ts';
import { dateFormatProblem, dateRangeProblem, daysInRange, secondsInRange } from '../../ingest/validate/check-date.ts';
import { firstControlChar, idProblem } from '../../ingest/validate/check-id.ts';
import { numberProblem, type NumberRule } from '../../ingest/validate/check-number.ts';
import { enumProblem, matchEnum } from '../../ingest/validate/match-enum.ts';
import { compileDateFormat, newDateParts } from '../../ingest/validate/parse-date.ts';
import { parseStageHistory } from '../../ingest/validate/parse-stage-history.ts';

const b = (s: string): Buffer => Buffer.from(s);

describe('firstControlChar', () => {
  const cases: [string, number][] = [
    ['T-1001', -1],
    ['', -1],
    ['a\tb', 1],
    ['\u0000x', 0],
    ['x\n', 1],
    ['Zoë', -1],
  ];
  for (const [value, expected] of cases) {
    it(JSON.stringify(value), () => {
      const v = b(value);
      assert.equal(firstControlChar(v, 0, v.length), expected);
    });
  }
  it('says why', () => assert.equal(idProblem('a\tb'), '"a\\tb" contains control characters'));
});

describe('matchEnum', () => {
  const allowed = ['completed', 'refunded', 'cancelled'].map(b);
  const cases: [string, number][] = [
    ['completed', 0],
    ['REFUNDED', 1],
    ['Cancelled', 2],
    ['complete', -1],
    ['completedx', -1],
    ['', -1],
    ['cancelléd', -1],
  ];
  for (const [value, expected] of cases) {
    it(value || '(empty)', () => {
      const v = b(value);
      assert.equal(matchEnum(allowed, v, 0, v.length), expected);
    });
  }
  it('matches inside a larger buffer', () => {
    const v = b('xxRefundedyy');
    assert.equal(matchEnum(allowed, v, 2, 10), 1);
  });
  it('says why', () => assert.equal(enumProblem('done', ['open', 'won']), '"done" is not one of: open, won'));
});

describe('numberProblem', () => {
  const amount: NumberRule = { decimal: true, min: 0, max: Infinity, decimalSeparator: '.' };
  const csat: NumberRule = { decimal: false, min: 1, max: 5, decimalSeparator: ',' };
  const cases: [string, string, number, NumberRule, string | undefined][] = [
    ['amount in range', '12.50', 1250, amount, undefined],
    ['amount zero', '0', 0, amount, undefined],
    ['amount negative', '-1', -100, amount, '"-1" is negative (must be ≥ 0)'],
    ['amount unparsable', '12,5x', NaN, amount, '"12,5x" is not a number (decimal separator ".")'],
    ['decimal separator named', '1.2.3', NaN, { ...amount, decimalSeparator: ',' }, '"1.2.3" is not a number (decimal separator ",")'],
    ['whole number unparsable', '2.5', NaN, csat, '"2.5" is not a whole number'],
    ['below a minimum other than 0', '0', 0, csat, '"0" is below the minimum 1'],
    ['above the maximum', '6', 6, csat, '"6" is above the maximum 5'],
    ['at the maximum', '5', 5, csat, undefined],
  ];
  for (const [name, raw, v, rule, expected] of cases) {
    it(name, () => assert.equal(numberProblem(raw, v, rule), expected));
  }
});

describe('dates: range and reasons', () => {
  const ranges: [string, boolean, boolean][] = [
    ['day 0', daysInRange(0), true],
    ['day -1', daysInRange(-1), false],
    ['2149-06-06', daysInRange(65535), true],
    ['2149-06-07', daysInRange(65536), false],
    ['second 0', secondsInRange(0), true],
    ['2106-02-07 06:28:15', secondsInRange(4294967295), true],
    ['one second later', secondsInRange(4294967296), false],
    ['before 1970', secondsInRange(-1), false],
  ];
  for (const [name, got, expected] of ranges) it(name, () => assert.equal(got, expected));

  const reasons: [string, string, string][] = [
    ['date, ISO expected', dateFormatProblem('2024-13-45', true, 'YYYY-MM-DD', 'signup_date'), '"2024-13-45" is not a date (expected YYYY-MM-DD)'],
    [
      'day-first value gets the mapping hint',
      dateFormatProblem('31.12.2023', true, 'YYYY-MM-DD', 'signup_date'),
      '"31.12.2023" is not a date (expected YYYY-MM-DD; for other formats set dates.signup_date in the mapping)',
    ],
    ['no hint without a field', dateFormatProblem('31.12.2023', false, 'YYYY-MM-DD HH:MM:SS or ISO 8601'), '"31.12.2023" is not a date/time (expected YYYY-MM-DD HH:MM:SS or ISO 8601)'],
    ['no hint when a format is set', dateFormatProblem('31/12/2023', true, 'DD.MM.YYYY', 'order_date'), '"31/12/2023" is not a date (expected DD.MM.YYYY)'],
    ['date range', dateRangeProblem('1969-12-31', true), '"1969-12-31" is outside the range the warehouse stores (1970-01-01 to 2149-06-06)'],
    ['date-time range', dateRangeProblem('2200-01-01 00:00:00', false), '"2200-01-01 00:00:00" is outside the range the warehouse stores (1970 to 2106)'],
  ];
  for (const [name, got, expected] of reasons) it(name, () => assert.equal(got, expected));
});

describe('currency codes', () => {
  const cases: [string, string | undefined][] = [
    ['EUR', 'EUR'],
    ['usd', 'USD'],
    ['Chf', 'CHF'],
    ['EURO', undefined],
    ['E1R', undefined],
    ['€', undefined],
    ['', undefined],
  ];
  for (const [raw, expected] of cases) it(raw || '(empty)', () => assert.equal(currencyCode(raw), expected));
  it('says why', () => {
    assert.equal(currencyCodeProblem('EURO'), '"EURO" is not a 3-letter currency code');
    assert.equal(missingRateProblem('GBP', 'EUR'), 'no conversion rate from GBP to EUR (add currency.rates.GBP to the mapping)');
  });
});

describe('parseStageHistory', () => {
  const dayOf = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
  const germanDates = compileDateFormat('DD.MM.YYYY');
  const cases: [string, string, ReturnType<typeof parseStageHistory>][] = [
    ['empty array', '[]', { entries: [] }],
    [
      'ISO dates, in order',
      '[{"stage":"lead","entered_at":"2024-01-05"},{"stage":"proposal","entered_at":" 2024-02-01 "}]',
      { entries: [['lead', dayOf('2024-01-05')], ['proposal', dayOf('2024-02-01')]] },
    ],
    ['the mapping format of the named field', '[{"stage":"won","entered_at":"01.03.2024"}]', { entries: [['won', dayOf('2024-03-01')]] }],
    ['not JSON', 'lead, won', { problem: '"lead, won" is not a JSON array of {"stage": "...", "entered_at": "YYYY-MM-DD"}' }],
    ['an object, not an array', '{"stage":"lead"}', { problem: '"{\\"stage\\":\\"lead\\"}" is not a JSON array of {"stage": "...", "entered_at": "YYYY-MM-DD"}' }],
    ['an entry without a date', '[{"stage":"lead","entered_at":"2024-01-05"},{"stage":"won"}]', { problem: 'entry 2 is not {"stage": "...", "entered_at": "YYYY-MM-DD"}' }],
    ['null entry', '[null]', { problem: 'entry 1 is not {"stage": "...", "entered_at": "YYYY-MM-DD"}' }],
    ['a bad date', '[{"stage":"lead","entered_at":"2024-13-01"}]', { problem: 'entry 1: "2024-13-01" is not a date (expected YYYY-MM-DD)' }],
    ['a date before 1970', '[{"stage":"lead","entered_at":"1969-12-31"}]', { problem: 'entry 1: "1969-12-31" is not a date (expected YYYY-MM-DD)' }],
  ];
  for (const [name, raw, expected] of cases) {
    it(name, () => assert.deepEqual(parseStageHistory(raw, germanDates, newDateParts()), expected));
  }
  it('without another format only ISO dates are read', () => {
    assert.deepEqual(parseStageHistory('[{"stage":"won","entered_at":"01.03.2024"}]', undefined, newDateParts()), {
      problem: 'entry 1: "01.03.2024" is not a date (expected YYYY-MM-DD)',
    });
  });
});
