/**
 * Quantities read exactly (ingest/validate/parse-quantity.ts): the canonical text the encoder writes
 * and hashes, what is refused and why, and unit price × a decimal quantity in cents. Expected values
 * are worked out by hand here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_NUMBER_FORMAT, type NumberFormat } from '../../ingest/validate/parse-number.ts';
import {
  newQuantity,
  parseQuantity,
  quantityProblem,
  quantityScaled,
  QuantityStatus,
  timesQuantityToCents,
} from '../../ingest/validate/parse-quantity.ts';

/** The text the encoder writes for `raw`: whole part, then the fraction's significant digits. */
function canonical(raw: string, fmt: NumberFormat = DEFAULT_NUMBER_FORMAT): string | QuantityStatus {
  const b = Buffer.from(raw);
  const q = newQuantity();
  const status = parseQuantity(b, 0, b.length, fmt, q);
  if (status !== QuantityStatus.Ok) return status;
  const text = `${q.whole}${q.fracLen > 0 ? `.${b.toString('latin1', q.fracStart, q.fracStart + q.fracLen)}` : ''}`;
  return q.negative ? `-${text}` : text;
}

describe('parseQuantity', () => {
  test('whole numbers are written as the whole-number encoder wrote them (same row hash)', () => {
    for (const [raw, want] of [['3', '3'], ['03', '3'], ['3.0', '3'], ['3.', '3'], ['+2', '2'], ['0', '0'], ['-0', '0'], ['4294967295', '4294967295'], ['3.00000000000', '3']]) {
      assert.equal(canonical(raw), want, raw);
    }
  });

  test('decimals keep their significant digits, no trailing zeros', () => {
    for (const [raw, want] of [['7.5', '7.5'], ['7.50', '7.5'], ['0.25', '0.25'], ['.5', '0.5'], ['0.3333333', '0.3333333'], ['2.00000001', '2.00000001'], ['0.05', '0.05'], ['9999999999.99999999', '9999999999.99999999']]) {
      assert.equal(canonical(raw), want, raw);
    }
    assert.equal(canonical('-7.5'), '-7.5');
    // The mapping's separators: "1.234,5" with a decimal comma and thousands point.
    assert.equal(canonical('1.234,5', { decimal: 44, thousands: 46 }), '1234.5');
    assert.equal(canonical('7,5', { decimal: 44, thousands: -1 }), '7.5');
  });

  test('refused: more than 8 decimals, more than 10 integer digits, anything not a plain number', () => {
    assert.equal(canonical('1.123456789'), QuantityStatus.TooManyDecimals);
    assert.equal(canonical('0.000000001'), QuantityStatus.TooManyDecimals);
    assert.equal(canonical('10000000000'), QuantityStatus.TooLarge);
    assert.equal(canonical('00000000012.5'), '12.5'); // leading zeros are not digits of the value
    for (const raw of ['', '-', '.', 'NaN', 'Infinity', '1e400', '1e3', '7.5 h', '7..5', '(2)', '0x10', '1 000']) {
      assert.equal(canonical(raw), QuantityStatus.NotANumber, raw);
    }
  });

  test('reasons name the value and the limit', () => {
    assert.equal(quantityProblem('1.123456789', QuantityStatus.TooManyDecimals, '.'), '"1.123456789" has more than 8 decimals, the most a quantity keeps (it is not rounded): round it in the export');
    assert.equal(quantityProblem('10000000000', QuantityStatus.TooLarge, '.'), '"10000000000" is above the largest quantity 9999999999.99999999');
    assert.equal(quantityProblem('1e400', QuantityStatus.NotANumber, ','), '"1e400" is not a number (decimal separator ","; a quantity such as 3 or 7.5)');
  });
});

describe('unit price × decimal quantity', () => {
  const cents = (price: number, raw: string): number => {
    const b = Buffer.from(raw);
    const q = newQuantity();
    assert.equal(parseQuantity(b, 0, b.length, DEFAULT_NUMBER_FORMAT, q), QuantityStatus.Ok);
    return timesQuantityToCents(price, 6, quantityScaled(b, q));
  };
  test('exact products rounded half away from zero to cents', () => {
    assert.equal(cents(150_000000, '7.5'), 112500); // 150.00 × 7.5 = 1125.00
    assert.equal(cents(150_000000, '0.3333333'), 5000); // 49.999995 → 50.00
    assert.equal(cents(90_000000, '2.3333'), 21000); // 209.997 → 210.00
    assert.equal(cents(65000, '1000.5'), 6503); // 0.065 × 1000.5 = 65.0325 → 65.03
    assert.equal(cents(5000, '0.9'), 0); // 0.005 × 0.9 = 0.0045 → 0.00
    assert.equal(cents(5000, '1'), 1); // 0.005 → 0.01 (half away from zero)
    // Beyond a double's exact range: 999999.999999 × 9999999999.99999999, by hand in BigInt.
    assert.equal(cents(999999_999999, '9999999999.99999999'), Number((999999999999n * 999999999999999999n + 5n * 10n ** 11n) / 10n ** 12n));
  });
});
