import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDateInput, parseDateInput, type FormatContext } from '../../../lib/format/index.ts';

const GB: FormatContext = { locale: 'en-GB', currency: 'EUR' };
const US: FormatContext = { locale: 'en-US', currency: 'USD' };
const DE: FormatContext = { locale: 'de-DE', currency: 'EUR' };

describe('parseDateInput: the displayed format, ISO and the locale numeric order', () => {
  const ok: [string, FormatContext, string][] = [
    ['5 Dec 2026', GB, '2026-12-05'],
    ['  05 december 2026 ', GB, '2026-12-05'],
    ['5 Sept 2026', GB, '2026-09-05'], // en-GB's own short name for September
    ['5 Sep 2026', GB, '2026-09-05'],
    ['2026-12-05', GB, '2026-12-05'],
    ['2026-2-3', GB, '2026-02-03'],
    ['05/12/2026', GB, '2026-12-05'], // day first in en-GB
    ['12/05/2026', US, '2026-12-05'], // month first in en-US
    ['Dec 5, 2026', US, '2026-12-05'],
    ['5.12.2026', DE, '2026-12-05'],
    ['5. Dez. 2026', DE, '2026-12-05'],
    ['5 Dec 2026', DE, '2026-12-05'], // English names are understood everywhere
    ['29 Feb 2028', GB, '2028-02-29'], // a leap day
  ];
  for (const [text, ctx, iso] of ok) {
    test(`${ctx.locale} "${text}" → ${iso}`, () => assert.deepEqual(parseDateInput(text, ctx), { ok: true, iso }));
  }
  const bad: [string, RegExp][] = [
    ['', /^Enter a date: write it like 5 Dec 2026 or 2026-12-05$/],
    ['31 Feb 2026', /^"31 Feb 2026" is not a date: write it like 5 Dec 2026 or 2026-12-05$/],
    ['29 Feb 2026', /is not a date/], // not a leap year
    ['2026-13-01', /is not a date/],
    ['13/13/2026', /is not a date/],
    ['5 Foo 2026', /is not a date/],
    ['yesterday', /^"yesterday" is not a date/],
  ];
  for (const [text, message] of bad) {
    test(`"${text}" is refused with a message`, () => {
      const r = parseDateInput(text, GB);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, message);
    });
  }
});

describe('checkDateInput: bounds named as the page writes dates', () => {
  test('inside the bounds', () =>
    assert.deepEqual(checkDateInput('1 Mar 2026', { label: 'From', min: '2026-01-01', max: '2026-10-31' }, GB), {
      ok: true,
      iso: '2026-03-01',
    }));
  test('after the max, with its label', () =>
    assert.deepEqual(
      checkDateInput('2026-11-01', { label: 'To', max: '2026-10-31', maxLabel: 'the data as-of day' }, GB),
      {
        ok: false,
        error: 'To must be on or before the data as-of day (31 Oct 2026)',
      },
    ));
  test('before the min', () =>
    assert.deepEqual(checkDateInput('31 Dec 2025', { label: 'To', min: '2026-01-01' }, GB), {
      ok: false,
      error: 'To must be on or after 1 Jan 2026',
    }));
  test('the field is named in a parse error', () =>
    assert.match(
      checkDateInput('x', { label: 'From' }, GB).ok
        ? ''
        : (checkDateInput('x', { label: 'From' }, GB) as { error: string }).error,
      /^From: "x" is not a date/,
    ));
});
