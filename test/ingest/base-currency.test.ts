import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseCurrencyMismatch } from '../../ingest/mapping/base-currency.ts';

describe('a mapping’s base currency against the reporting currency', () => {
  it('agrees when equal (any case), or when the mapping names no base (it converts to the reporting one)', () => {
    assert.equal(baseCurrencyMismatch({ currency: { base: 'usd' } }, 'USD', 'm.json'), undefined);
    assert.equal(baseCurrencyMismatch({ currency: { base: 'EUR' } }, undefined, 'm.json'), undefined);
    assert.equal(
      baseCurrencyMismatch({ currency: { default: 'USD', rates: { USD: 0.9 } } }, undefined, 'm.json'),
      undefined,
    );
    assert.equal(baseCurrencyMismatch({}, 'GBP', 'm.json'), undefined);
  });
  it('names the mapping, both currencies and the setting to change', () => {
    const unset = baseCurrencyMismatch({ currency: { base: 'USD' } }, undefined, 'cdnow.json');
    assert.match(
      unset ?? '',
      /^mapping cdnow\.json: currency\.base is USD, but .* every amount in EUR \(CRM_BASE_CURRENCY is unset, so EUR\)/,
    );
    assert.match(unset ?? '', /CRM_BASE_CURRENCY=USD/);
    const set = baseCurrencyMismatch({ currency: { base: 'USD' } }, 'gbp', 'x.json');
    assert.match(set ?? '', /in GBP \(CRM_BASE_CURRENCY is GBP\)/);
  });
});
