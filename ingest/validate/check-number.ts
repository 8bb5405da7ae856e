import { quoteValue } from '../core/reasons.ts';

export interface NumberRule {
  /** Decimal fields are parsed to cents; int fields to whole numbers. */
  decimal: boolean;
  min: number;
  max: number;
  /** The mapping's decimal separator, named in the reason. */
  decimalSeparator: string;
}

/**
 * Why a parsed number (`v`: cents for decimals, NaN when unparsable) is refused, or undefined when
 * it is within the rule. Only called on the error path, so building text here costs nothing per row.
 */
export function numberProblem(raw: string, v: number, rule: NumberRule): string | undefined {
  if (Number.isNaN(v)) {
    return rule.decimal ? `${quoteValue(raw)} is not a number (decimal separator "${rule.decimalSeparator}")` : `${quoteValue(raw)} is not a whole number`;
  }
  const value = rule.decimal ? v / 100 : v;
  if (value < rule.min) return rule.min === 0 ? `${quoteValue(raw)} is negative (must be ≥ 0)` : `${quoteValue(raw)} is below the minimum ${rule.min}`;
  if (value > rule.max) return `${quoteValue(raw)} is above the maximum ${rule.max}`;
  return undefined;
}
