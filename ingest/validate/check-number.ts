import { quoteValue } from '../core/reasons.ts';

export interface NumberRule {
  /** Decimal fields are parsed to cents; int fields to whole numbers. */
  decimal: boolean;
  min: number;
  max: number;
  /** The mapping's decimal separator, named in the reason. */
  decimalSeparator: string;
  /** The mapping's numbers.currencySymbol, named in the reason when set. */
  currencySymbol?: string;
}

/**
 * Why a parsed number (`v`: cents for decimals, NaN when unparsable) is refused, or undefined when
 * it is within the rule. Only called on the error path, so building text here costs nothing per row.
 */
export function numberProblem(raw: string, v: number, rule: NumberRule): string | undefined {
  if (Number.isNaN(v)) {
    if (!rule.decimal) return `${quoteValue(raw)} is not a whole number`;
    // A number, only too long: say the limit rather than "not a number" (parseCents reads 13 digits
    // before the separator at most, so that its hundredths stay exact in a double).
    const whole = raw.split(rule.decimalSeparator)[0].replace(/[^0-9]/g, '').replace(/^0+/, '');
    if (whole.length > 13 && /^[\s\d.,'()+\-\u00a0\p{Sc}]*$/u.test(raw)) return `${quoteValue(raw)} is past the largest amount read, 9,999,999,999,999.99 (13 digits before the decimal separator)`;
    // A currency sign ("$", "€": Unicode's currency symbols) or an ISO code beside the digits.
    const sign = /\p{Sc}|(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])/u.exec(raw.trim());
    // An amount written with a currency sign ("$1,234.50") is the common case: name the option.
    const hint = sign ? `; a currency sign beside the number ("${sign[0]}") needs "numbers.currencySymbol" in the mapping${rule.currencySymbol ? ` (it is "${rule.currencySymbol}")` : ''}` : '';
    return `${quoteValue(raw)} is not a number (decimal separator "${rule.decimalSeparator}"${hint})`;
  }
  const value = rule.decimal ? v / 100 : v;
  if (value < rule.min) return rule.min === 0 ? `${quoteValue(raw)} is negative (must be ≥ 0)` : `${quoteValue(raw)} is below the minimum ${rule.min}`;
  if (value > rule.max) return `${quoteValue(raw)} is above the maximum ${rule.max}`;
  return undefined;
}
