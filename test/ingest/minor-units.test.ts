/**
 * Amounts in the currency's minor unit (Stripe's API and Sigma write 4900 for 49.00 USD): detect
 * recognises the shape and sets currency.minorUnits, and the load divides by the currency's own
 * minor unit. Expected amounts are computed here from the fixture's integers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import { validateMapping } from '../../ingest/mapping/mapping-file.ts';
import { minorUnitsToCents } from '../../ingest/validate/parse-number.ts';
import { fixture } from './helpers.ts';

describe('minor units → hundredths of the major unit', () => {
  const cases: [number, string, number | undefined][] = [
    [490_000, 'USD', 4_900], // "4900" parsed as 4900.00 → 49.00 USD
    [50_000, 'JPY', 50_000], // "500" yen have no minor unit → 500.00
    [1_234_500, 'KWD', 1_235], // "12345" fils → 12.345 KWD → 12.35 (half away from zero)
    [4_950, 'USD', undefined], // "49.50" is not a whole number of cents
  ];
  for (const [parsed, code, want] of cases) it(`${parsed / 100} ${code} minor → ${want === undefined ? 'refused' : want / 100}`, () => assert.equal(minorUnitsToCents(parsed, code), want));
  it('the mapping key is a boolean', () => {
    assert.equal(validateMapping({ currency: { minorUnits: true } }).currency?.minorUnits, true);
    assert.throws(() => validateMapping({ currency: { minorUnits: 'yes' } }), /currency\.minorUnits/);
  });
});

describe('detect: Stripe charge objects (API/Sigma shape)', () => {
  const file = fixture('exports/stripe-charges-api.csv');
  it('the unedited draft loads each charge at amount ÷ 100, in its currency', async () => {
    const draft = proposeMapping(await readSample(file));
    assert.equal(draft.entity, 'transactions');
    assert.equal(draft.mapping.source, 'stripe');
    assert.equal(draft.mapping.currency?.minorUnits, true);
    assert.ok(draft.mapping.$comment.some((c) => /minor unit/.test(c) && /amount_refunded is read/.test(c)));
    assert.equal(draft.mapping.columns?.amount_refunded, 'refunded_amount');
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 100 });
    assert.deepEqual(run.rejects, []);
    // id, amount, amount_refunded, currency, …, status: refunded in full → refunded; in part → the sale plus a credit line of the refunded part.
    const want = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .flatMap((c) => {
        const [amount, refunded] = [Number(c[1]), Number(c[2])];
        const status = c[7] !== 'succeeded' ? 'cancelled' : refunded === amount ? 'refunded' : 'completed';
        const sale = [c[0], (amount / 100).toFixed(2), c[3].toUpperCase(), status];
        if (status === 'cancelled' || !(refunded > 0)) return [sale];
        // Refunded in full: a credit line of 0 (it replaces an earlier export's partial refund).
        return [sale, [`${c[0]}:refund`, refunded < amount ? (refunded / 100).toFixed(2) : '0.00', c[3].toUpperCase(), 'credit']];
      });
    assert.equal(want.filter((w) => w[3] === 'credit' && w[1] !== '0.00').length, 1);
    assert.deepEqual(
      run.preview.map((r) => [r.transaction_id, r.amount, r.original_currency, r.status]),
      want,
    );
  });
  it('a decimal amount under minorUnits is a reject naming the option', async () => {
    const draft = proposeMapping(await readSample(file));
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'minor-'));
    const bad = join(dir, 'charges.csv');
    writeFileSync(bad, readFileSync(file, 'utf8').replace('ch_3Oa2,19900,', 'ch_3Oa2,199.00,'));
    const run = await dryRun(bad, draft.entity, draft.mapping, { previewRows: 100 });
    assert.equal(run.rejects.length, 1);
    assert.deepEqual([run.rejects[0].line, run.rejects[0].field], [3, 'amount']);
    assert.match(run.rejects[0].reason, /"199\.00" is not a whole number of USD minor units .*currency\.minorUnits/);
  });
});
