/**
 * Amounts written with a currency sign ("$24,000.00", "-$5.00", "1.234,50 €"), as CRM and
 * spreadsheet exports write them: the mapping's numbers.currencySymbol reads them, detect proposes
 * it (and the currency the sign names), and without it the reject names the record, the field and
 * the option. The expected amounts are read from the fixture here with plain string operations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import { guessCurrencySign } from '../../ingest/detect/guess-number.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import { validateMapping } from '../../ingest/mapping/mapping-file.ts';
import { numberProblem } from '../../ingest/validate/check-number.ts';
import { parseCents, type NumberFormat } from '../../ingest/validate/parse-number.ts';
import { fixture } from './helpers.ts';

const cents = (v: string, fmt: Partial<NumberFormat> & { sym?: string }): number => {
  const b = new TextEncoder().encode(v);
  return parseCents(b, 0, b.length, {
    decimal: (fmt.decimal ?? 46) as number,
    thousands: (fmt.thousands ?? 44) as number,
    symbol: fmt.sym === undefined ? undefined : new TextEncoder().encode(fmt.sym),
  });
};

describe('numbers.currencySymbol: the load reads amounts written with a sign', () => {
  const dollars: [string, number][] = [
    ['$24,000.00', 2_400_000],
    ['$ 950', 95_000],
    ['-$5.00', -500],
    ['$-5.00', -500],
    ['+$1.5', 150],
    ['12.34$', 1234],
    ['950.00', 95_000], // bare amounts in the same column still load
  ];
  for (const [v, want] of dollars) it(`"${v}" → ${want / 100}`, () => assert.equal(cents(v, { sym: '$' }), want));
  it('a decimal comma with € after it, also after a no-break space', () => {
    const de = { decimal: 44, thousands: 46, sym: '€' };
    assert.equal(cents('1.234,50 €', de), 123_450);
    assert.equal(cents('1.234,50\u00a0€', de), 123_450);
    assert.equal(cents('-3,99 €', de), -399);
  });
  it('a three-letter code', () => assert.equal(cents('USD 1,200.00', { sym: 'USD' }), 120_000));
  for (const v of ['€5.00', '$$5', '-$-5', '$', '5 $ 5', 'US$5'])
    it(`"${v}" with "$" is not a number`, () => assert.ok(Number.isNaN(cents(v, { sym: '$' }))));
  it('without the option a sign is not a number, and the reason names the option', () => {
    const v = cents('$24,000.00', {});
    assert.ok(Number.isNaN(v));
    const why = numberProblem('$24,000.00', v, { decimal: true, min: 0, max: 1e12, decimalSeparator: '.' })!;
    assert.match(why, /"\$24,000\.00" is not a number .*\("\$"\) needs "numbers\.currencySymbol" in the mapping/);
    // A plain typo gets no hint about signs.
    assert.doesNotMatch(numberProblem('12.3.4', NaN, { decimal: true, min: 0, max: 1, decimalSeparator: '.' })!, /currencySymbol/);
  });
  it('the mapping validates it', () => {
    assert.equal(validateMapping({ numbers: { currencySymbol: '€' } }).numbers?.currencySymbol, '€');
    for (const bad of ['', '1$', '$ ', '-', 'ABCDE', 7])
      assert.throws(() => validateMapping({ numbers: { currencySymbol: bad } }), /numbers\.currencySymbol/, String(bad));
  });
});

describe('detect: a HubSpot deals export with "$" amounts, US dates with AM/PM and ISO dates with offsets', () => {
  const file = fixture('exports/hubspot-deals-formatted.csv');

  it('guesses the sign only when one sign is used at least three times', () => {
    assert.deepEqual(guessCurrencySign(['$1.00', '$2,000.00', '-$3']), { symbol: '$', currency: 'USD', sure: false, count: 3 });
    assert.equal(guessCurrencySign(['$1.00', '$2.00']), undefined);
    assert.equal(guessCurrencySign(['$1.00', '$2.00', '$3.00', '€4.00']), undefined);
    assert.equal(guessCurrencySign(['1,00 €', '2,00 €', '3.000,00 €'])?.currency, 'EUR');
  });

  it('the unedited draft loads every row with the amounts the file says', async () => {
    const draft = proposeMapping(await readSample(file));
    assert.equal(draft.entity, 'opportunities');
    assert.equal(draft.mapping.numbers?.currencySymbol, '$');
    assert.equal(draft.mapping.currency?.default, 'USD');
    assert.ok(draft.mapping.$comment.some((c) => /"\$" is also other dollars/.test(c)), 'the draft says "$" is a guess');
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 100 });
    assert.equal(run.error, undefined);
    assert.deepEqual(run.rejects, []);
    // The test's own reading: the fifth field, quotes, "$" and "," removed.
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    const want = lines.map((l) => {
      const m = /^(\d+),[^,]*,[^,]*,[^,]*,("([^"]*)"|([^,]*)),/.exec(l)!;
      return [m[1], (m[3] ?? m[4]).replace(/[$,]/g, '')];
    });
    assert.equal(run.valid, lines.length);
    assert.deepEqual(
      run.preview.map((r) => [r.opportunity_id, Number(r.amount).toFixed(2), r.original_currency]),
      want.map(([id, a]) => [id, Number(a).toFixed(2), 'USD']),
    );
    // 12/31/2024 11:59 PM is month first; the close day kept as written.
    assert.equal(run.preview.find((r) => r.opportunity_id === '9012345604')?.closed_at, '2024-12-31');
  });

  it('the same file without the option: every amount rejected, naming line, field and option', async () => {
    const draft = proposeMapping(await readSample(file));
    const numbers = { ...draft.mapping.numbers };
    delete numbers.currencySymbol;
    const run = await dryRun(file, draft.entity, { ...draft.mapping, numbers }, { previewRows: 100 });
    assert.equal(run.valid, 0);
    assert.equal(run.rejects[0].line, 2);
    assert.equal(run.rejects[0].field, 'amount');
    assert.match(run.rejects[0].reason, /numbers\.currencySymbol/);
  });
});
