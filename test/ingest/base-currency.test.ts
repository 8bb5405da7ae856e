import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseCurrencyMismatch } from '../../ingest/mapping/base-currency.ts';
import { resolveReportingCurrency } from '../../lib/warehouse/reporting-currency.ts';

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
  it('once the warehouse records a currency, that one is compared, whatever CRM_BASE_CURRENCY says', () => {
    assert.equal(baseCurrencyMismatch({ currency: { base: 'usd' } }, undefined, 'm.json', 'USD'), undefined);
    const msg = baseCurrencyMismatch({ currency: { base: 'EUR' } }, 'EUR', 'm.json', 'usd');
    assert.match(
      msg ?? '',
      /^mapping m\.json: currency\.base is EUR, but this warehouse's amounts are in USD \(recorded by its first load\)/,
    );
    assert.match(msg ?? '', /convert into USD, or load into a new data directory \(CRM_DATA_DIR\) to report in EUR/);
  });
});

describe('the reporting currency npm start uses', () => {
  it('is the recorded one; else CRM_BASE_CURRENCY; else EUR', () => {
    assert.equal(resolveReportingCurrency('USD', undefined), 'USD');
    assert.equal(resolveReportingCurrency('USD', ' usd '), 'USD');
    assert.equal(resolveReportingCurrency(undefined, 'gbp'), 'GBP');
    assert.equal(resolveReportingCurrency(undefined, ''), 'EUR');
  });
  it('refuses a CRM_BASE_CURRENCY that names another, naming both and what to do', () => {
    assert.throws(
      () => resolveReportingCurrency('USD', 'EUR'),
      /amounts are in USD \(recorded by its first load\), but CRM_BASE_CURRENCY is EUR: unset CRM_BASE_CURRENCY \(or set it to USD\)/,
    );
  });
});
