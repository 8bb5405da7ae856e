import { quoteValue } from '../core/reasons.ts';

/** The ISO 4217 code a value spells (any case), or undefined. */
export function currencyCode(raw: string): string | undefined {
  const code = raw.toUpperCase();
  return /^[A-Z]{3}$/.test(code) ? code : undefined;
}

export function currencyCodeProblem(raw: string): string {
  return `${quoteValue(raw)} is not a 3-letter currency code`;
}

export function missingRateProblem(code: string, base: string): string {
  return `no conversion rate from ${code} to ${base} (add currency.rates.${code} to the mapping)`;
}
